package dev.mnv2.model;

/**
 * How a convolution pads its input.
 *
 * <p>{@link #same()} is TensorFlow's SAME: the output has ceil(in / stride) rows, and the padding is split
 * with the extra row at the bottom (and column at the right), so a stride-2 conv on an even input pads
 * 0 on top and 1 at the bottom. {@link #symmetric(int)} is PyTorch's explicit padding, equal on all sides.
 */
public record Padding(boolean tensorflowSame, int explicit) {
    private static final Padding SAME = new Padding(true, 0);

    public Padding {
        if (explicit < 0) {
            throw new IllegalArgumentException("padding must be >= 0: " + explicit);
        }
    }

    public static Padding same() {
        return SAME;
    }

    public static Padding symmetric(int pad) {
        return new Padding(false, pad);
    }

    public static Padding valid() {
        return symmetric(0);
    }

    /** Padding before and output size along one axis. */
    public record Axis(int before, int after, int output) {}

    /** Resolves the padding along one axis of length {@code in}. */
    public Axis resolve(int in, int kernel, int stride, int dilation) {
        int effective = (kernel - 1) * dilation + 1;
        if (tensorflowSame) {
            int out = (in + stride - 1) / stride;
            int total = Math.max((out - 1) * stride + effective - in, 0);
            return new Axis(total / 2, total - total / 2, out);
        }
        int out = (in + 2 * explicit - effective) / stride + 1;
        if (out <= 0) {
            throw new IllegalArgumentException(
                    "input of " + in + " is too small for kernel " + kernel + " with padding " + explicit);
        }
        return new Axis(explicit, explicit, out);
    }

    @Override
    public String toString() {
        return tensorflowSame ? "SAME" : "pad " + explicit;
    }
}
