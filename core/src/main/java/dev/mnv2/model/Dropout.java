package dev.mnv2.model;

/** Dropout before the classifier; the identity at inference. Has no parameters, so it is its own spec. */
public record Dropout(String name, double rate) implements Layer, LayerSpec {
    public Dropout {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException(name + ": dropout rate must be in [0, 1): " + rate);
        }
    }

    @Override
    public Dropout spec() {
        return this;
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public long parameters() {
        return 0;
    }

    @Override
    public long parametersWithoutBatchNorm() {
        return 0;
    }

    @Override
    public long macs(Shape input) {
        return 0;
    }
}
