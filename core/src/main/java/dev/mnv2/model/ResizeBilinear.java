package dev.mnv2.model;

import java.util.Objects;

/**
 * Bilinear resize to a fixed height and width, with TensorFlow Lite's RESIZE_BILINEAR coordinate
 * conventions: output pixel {@code o} samples input coordinate {@code o * scale} with scale {@code in / out}
 * by default, {@code (in - 1) / (out - 1)} with {@code alignCorners}, and {@code (o + 0.5) * scale - 0.5}
 * with {@code halfPixelCenters} (torchvision's {@code align_corners=False}).
 */
public record ResizeBilinear(String name, int height, int width, boolean alignCorners, boolean halfPixelCenters)
        implements Layer, LayerSpec {
    public ResizeBilinear {
        Objects.requireNonNull(name, "name");
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(name + ": output size must be > 0, got " + height + "x" + width);
        }
        if (alignCorners && halfPixelCenters) {
            throw new IllegalArgumentException(name + ": align corners and half-pixel centres exclude each other");
        }
    }

    /** Input coordinates per output coordinate along an axis of {@code in} to {@code out} pixels. */
    public float scale(int in, int out) {
        return alignCorners && out > 1 ? (in - 1) / (float) (out - 1) : in / (float) out;
    }

    /**
     * Where every output coordinate along one axis samples: {@code lower[o]} and {@code upper[o]} are the
     * two input coordinates (clamped to the input), {@code fraction[o]} the weight of the upper one.
     */
    public record Taps(int[] lower, int[] upper, float[] fraction) {}

    /** The taps of an axis of {@code in} input and {@code out} output pixels, as TFLite computes them. */
    public Taps taps(int in, int out) {
        float scale = scale(in, out);
        int[] lower = new int[out];
        int[] upper = new int[out];
        float[] fraction = new float[out];
        for (int o = 0; o < out; o++) {
            float at = halfPixelCenters ? (o + 0.5f) * scale - 0.5f : o * scale;
            lower[o] = Math.max((int) Math.floor(at), 0);
            upper[o] = Math.min((int) Math.ceil(at), in - 1);
            fraction[o] = at - lower[o];
        }
        return new Taps(lower, upper, fraction);
    }

    @Override
    public Shape outputShape(Shape input) {
        return new Shape(height, width, input.channels());
    }

    @Override
    public ResizeBilinear spec() {
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
