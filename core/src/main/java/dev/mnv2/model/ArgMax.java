package dev.mnv2.model;

/** Per pixel, the index of the largest channel (the first on ties), stored as a float in one channel. */
public record ArgMax(String name) implements Layer, LayerSpec {
    @Override
    public Shape outputShape(Shape input) {
        return new Shape(input.height(), input.width(), 1);
    }

    @Override
    public ArgMax spec() {
        return this;
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
