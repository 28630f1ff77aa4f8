package dev.mnv2.model;

import java.util.Objects;

/**
 * Fully connected layer on a 1×1×C activation. Weights are {@code [in][out]}; torchvision's Linear stores
 * {@code [out][in]}, so checkpoint readers transpose.
 */
public record Dense(String name, int inFeatures, int outFeatures, float[] weight, float[] bias) implements Layer {
    public Dense {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(bias, "bias");
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException(name + ": features must be > 0");
        }
        if (weight.length != (long) inFeatures * outFeatures || bias.length != outFeatures) {
            throw new IllegalArgumentException(name + ": weight must be " + inFeatures + "x" + outFeatures
                    + " and bias " + outFeatures + " long");
        }
    }

    public static Dense zeros(String name, int in, int out) {
        return new Dense(name, in, out, new float[in * out], new float[out]);
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
        return (long) weight.length + bias.length;
    }

    @Override
    public long macs(Shape input) {
        return (long) inFeatures * outFeatures;
    }
}
