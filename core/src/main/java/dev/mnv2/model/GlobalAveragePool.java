package dev.mnv2.model;

/** Mean over all spatial positions: H×W×C to 1×1×C. */
public record GlobalAveragePool(String name) implements Layer {
    @Override
    public Shape outputShape(Shape input) {
        return new Shape(1, 1, input.channels());
    }
}
