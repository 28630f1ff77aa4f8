package dev.mnv2.model;

import java.util.Arrays;

/**
 * Batch normalisation in inference form: y = gamma * (x - mean) / sqrt(var + eps) + beta.
 * The arrays are the layer's parameters and are filled in place by weight loaders.
 */
public record BatchNorm(float[] gamma, float[] beta, float[] mean, float[] variance, float epsilon) {
    /** TensorFlow's default; torchvision uses 1e-5 and sets it when importing. */
    public static final float DEFAULT_EPSILON = 1e-3f;

    public BatchNorm {
        int c = gamma.length;
        if (beta.length != c || mean.length != c || variance.length != c) {
            throw new IllegalArgumentException("batch-norm arrays must all have " + c + " entries");
        }
        checkEpsilon(epsilon);
    }

    /** Throws IllegalArgumentException unless {@code epsilon} is finite and >= 0 (NaN and infinity are not). */
    static void checkEpsilon(float epsilon) {
        if (!(epsilon >= 0) || Float.isInfinite(epsilon)) {
            throw new IllegalArgumentException("batch-norm epsilon must be finite and >= 0, got " + epsilon);
        }
    }

    /** Identity normalisation (gamma 1, beta 0, mean 0, variance 1) over {@code channels}. */
    public static BatchNorm identity(int channels, float epsilon) {
        float[] ones = new float[channels];
        Arrays.fill(ones, 1f);
        return new BatchNorm(ones, new float[channels], new float[channels], ones.clone(), epsilon);
    }

    public int channels() {
        return gamma.length;
    }

    /** Multiplier applied to channel {@code c}: gamma / sqrt(var + eps). */
    public float scale(int c) {
        return (float) (gamma[c] / Math.sqrt((double) variance[c] + epsilon));
    }

    /** Offset added to channel {@code c} after scaling: beta - mean * scale. */
    public float shift(int c) {
        return beta[c] - mean[c] * scale(c);
    }
}
