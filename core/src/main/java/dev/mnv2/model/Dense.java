package dev.mnv2.model;

import java.util.Objects;

/**
 * Fully connected layer on a 1×1×C activation. Weights are {@code [in][out]}; torchvision's Linear stores
 * {@code [out][in]}, so checkpoint readers transpose.
 */
public record Dense(String name, int inFeatures, int outFeatures, float[] weight, float[] bias) implements Layer {
    public Dense {
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(bias, "bias");
        new DenseSpec(name, inFeatures, outFeatures); // checks the name and feature counts
        if (weight.length != (long) inFeatures * outFeatures || bias.length != outFeatures) {
            throw new IllegalArgumentException(name + ": weight must be " + inFeatures + "x" + outFeatures
                    + " and bias " + outFeatures + " long");
        }
    }

    public static Dense zeros(String name, int in, int out) {
        return zeros(new DenseSpec(name, in, out));
    }

    /** The layer of {@code spec} with zero weights and bias. */
    public static Dense zeros(DenseSpec spec) {
        return new Dense(spec.name(), spec.inFeatures(), spec.outFeatures(),
                new float[Math.multiplyExact(spec.inFeatures(), spec.outFeatures())], new float[spec.outFeatures()]);
    }

    @Override
    public DenseSpec spec() {
        return new DenseSpec(name, inFeatures, outFeatures);
    }
}
