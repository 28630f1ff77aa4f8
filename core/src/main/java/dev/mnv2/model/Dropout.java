package dev.mnv2.model;

/** Dropout before the classifier; the identity at inference. */
public record Dropout(String name, double rate) implements Layer {
    public Dropout {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException(name + ": dropout rate must be in [0, 1): " + rate);
        }
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }
}
