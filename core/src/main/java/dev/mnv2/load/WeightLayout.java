package dev.mnv2.load;

import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Dense;
import dev.mnv2.model.DenseSpec;

/**
 * The orders in which files store convolution weights, and the one place that turns them into mnv2's
 * layers (HWIO {@code [kernel][kernel][in / groups][out]}, as {@link Conv2d}) and back. A fully connected
 * layer is the 1×1 case: HWIO is mnv2's {@code [in][out]}, OIHW and OHWI are PyTorch's and TFLite's
 * {@code [out][in]}. Every conversion is a permutation, so a round trip is bit-exact.
 */
public enum WeightLayout {
    /** {@code [kernel][kernel][in / groups][out]}: mnv2's and TensorFlow's; TFLite's depthwise {@code [1][k][k][C]}. */
    HWIO,
    /** {@code [out][in / groups][kernel][kernel]}: PyTorch's, so ONNX's and safetensors'. */
    OIHW,
    /** {@code [out][kernel][kernel][in / groups]}: TFLite's regular and fully connected layers. */
    OHWI;

    /** Position in this layout of the value at tap (y, x), group-local input {@code i}, output {@code o}. */
    private int index(int y, int x, int i, int o, int kernel, int in, int out) {
        return switch (this) {
            case HWIO -> ((y * kernel + x) * in + i) * out + o;
            case OIHW -> ((o * in + i) * kernel + y) * kernel + x;
            case OHWI -> ((o * kernel + y) * kernel + x) * in + i;
        };
    }

    /**
     * {@code weight}, stored in this layout, in HWIO order (the same array when this is HWIO).
     *
     * @param inPerGroup input channels per group (1 for a depthwise convolution)
     */
    public float[] toHwio(float[] weight, int kernel, int inPerGroup, int out) {
        return permute(weight, kernel, inPerGroup, out, this, HWIO);
    }

    /** An HWIO {@code weight} in this layout's order (a copy, also when this is HWIO). */
    public float[] fromHwio(float[] weight, int kernel, int inPerGroup, int out) {
        float[] copy = permute(weight, kernel, inPerGroup, out, HWIO, this);
        return copy == weight ? weight.clone() : copy;
    }

    private static float[] permute(float[] weight, int kernel, int in, int out, WeightLayout from, WeightLayout to) {
        long size = (long) kernel * kernel * in * out;
        if (weight.length != size) {
            throw new IllegalArgumentException("a " + kernel + "x" + kernel + " weight of " + in + " -> " + out
                    + " channels has " + size + " values, got " + weight.length);
        }
        if (from == to) {
            return weight;
        }
        float[] result = new float[weight.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                for (int y = 0; y < kernel; y++) {
                    for (int x = 0; x < kernel; x++) {
                        result[to.index(y, x, i, o, kernel, in, out)] = weight[from.index(y, x, i, o, kernel, in, out)];
                    }
                }
            }
        }
        return result;
    }

    /**
     * The convolution of {@code spec} (its name and geometry) with {@code weight} stored in this layout, and
     * the bias and batch norm a file holds for it, either of which may be null whatever the spec says: a
     * folded file has biases and no batch norms, a torchvision one the reverse.
     *
     * @throws IllegalArgumentException naming the convolution when a size does not fit the spec
     */
    public Conv2d conv(ConvSpec spec, float[] weight, float[] bias, BatchNorm batchNorm) {
        float[] hwio;
        try {
            hwio = toHwio(weight, spec.kernel(), spec.inPerGroup(), spec.outChannels());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(spec.name() + ": " + e.getMessage());
        }
        return new Conv2d(spec.name(), spec.inChannels(), spec.outChannels(), spec.kernel(), spec.stride(),
                spec.dilation(), spec.groups(), spec.padding(), spec.activation(), hwio, bias, batchNorm);
    }

    /**
     * The fully connected layer of {@code spec} with {@code weight} stored in this layout ({@code [out][in]}
     * for OIHW and OHWI) and {@code bias}.
     *
     * @throws IllegalArgumentException naming the layer when a size does not fit the spec
     */
    public Dense dense(DenseSpec spec, float[] weight, float[] bias) {
        float[] inOut;
        try {
            inOut = toHwio(weight, 1, spec.inFeatures(), spec.outFeatures());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(spec.name() + ": " + e.getMessage());
        }
        return new Dense(spec.name(), spec.inFeatures(), spec.outFeatures(), inOut, bias);
    }

    /** {@code conv}'s weight in this layout (a copy). */
    public float[] weightOf(Conv2d conv) {
        return fromHwio(conv.weight(), conv.kernel(), conv.inPerGroup(), conv.outChannels());
    }

    /** {@code dense}'s weight in this layout (a copy): {@code [out][in]} for OIHW and OHWI. */
    public float[] weightOf(Dense dense) {
        return fromHwio(dense.weight(), 1, dense.inFeatures(), dense.outFeatures());
    }
}
