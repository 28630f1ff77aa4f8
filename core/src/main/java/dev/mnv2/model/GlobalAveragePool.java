package dev.mnv2.model;

/** Mean over all spatial positions: H×W×C to 1×1×C. Has no parameters, so it is its own spec. */
public record GlobalAveragePool(String name) implements Layer, LayerSpec {
    @Override
    public GlobalAveragePool spec() {
        return this;
    }

    @Override
    public Shape outputShape(Shape input) {
        return new Shape(1, 1, input.channels());
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
