package dev.mnv2.model;

import java.util.Objects;

/** What a {@link Dense} layer computes, without its weights: a fully connected map of 1×1×in to 1×1×out. */
public record DenseSpec(String name, int inFeatures, int outFeatures) implements LayerSpec {
    public DenseSpec {
        Objects.requireNonNull(name, "name");
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException(name + ": features must be > 0");
        }
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.elements() != inFeatures) {
            throw new IllegalArgumentException(name + ": expects " + inFeatures + " features, got " + input);
        }
        return new Shape(1, 1, outFeatures);
    }

    @Override
    public long parameters() {
        return parametersWithoutBatchNorm();
    }

    @Override
    public long parametersWithoutBatchNorm() {
        return (long) inFeatures * outFeatures + outFeatures;
    }

    @Override
    public long macs(Shape input) {
        return (long) inFeatures * outFeatures;
    }
}
