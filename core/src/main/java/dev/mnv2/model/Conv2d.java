package dev.mnv2.model;

import java.util.Objects;

/**
 * 2-D convolution over NHWC activations, optionally followed by batch normalisation, then an activation.
 *
 * <p>Weights are laid out {@code [kernel][kernel][inChannels / groups][outChannels]} (TensorFlow's HWIO),
 * so a 1×1 convolution is a plain {@code [in][out]} matrix and a depthwise one ({@code groups == in ==
 * out}) is {@code [kernel][kernel][1][channels]}. Output channel {@code o} belongs to group
 * {@code o / (outChannels / groups)}.
 *
 * @param bias per-output-channel bias, or null
 * @param batchNorm batch normalisation applied after the convolution and bias, or null
 */
public record Conv2d(
        String name,
        int inChannels,
        int outChannels,
        int kernel,
        int stride,
        int dilation,
        int groups,
        Padding padding,
        Activation activation,
        float[] weight,
        float[] bias,
        BatchNorm batchNorm)
        implements Layer {

    public Conv2d {
        Objects.requireNonNull(weight, "weight");
        ConvSpec spec = new ConvSpec(name, inChannels, outChannels, kernel, stride, dilation, groups, padding,
                activation, bias != null, batchNorm != null);
        if (weight.length != spec.weightCount()) {
            throw new IllegalArgumentException(
                    name + ": weight has " + weight.length + " values, expected " + spec.weightCount());
        }
        if (bias != null && bias.length != outChannels) {
            throw new IllegalArgumentException(name + ": bias has " + bias.length + " values, expected " + outChannels);
        }
        if (batchNorm != null && batchNorm.channels() != outChannels) {
            throw new IllegalArgumentException(
                    name + ": batch norm has " + batchNorm.channels() + " channels, expected " + outChannels);
        }
    }

    /** A convolution with zero weights and no batch norm, for loaders to fill in. */
    public static Conv2d zeros(String name, int in, int out, int kernel, int stride, int dilation, int groups,
                               Padding padding, Activation activation, boolean withBias) {
        return zeros(new ConvSpec(name, in, out, kernel, stride, dilation, groups, padding, activation, withBias,
                false), BatchNorm.DEFAULT_EPSILON);
    }

    /**
     * The convolution of {@code spec} with zero weights (and bias, if it has one), and an identity batch norm
     * with {@code batchNormEpsilon} if it has one.
     */
    public static Conv2d zeros(ConvSpec spec, float batchNormEpsilon) {
        return new Conv2d(spec.name(), spec.inChannels(), spec.outChannels(), spec.kernel(), spec.stride(),
                spec.dilation(), spec.groups(), spec.padding(), spec.activation(),
                new float[Math.toIntExact(spec.weightCount())], spec.hasBias() ? new float[spec.outChannels()] : null,
                spec.hasBatchNorm() ? BatchNorm.identity(spec.outChannels(), batchNormEpsilon) : null);
    }

    @Override
    public ConvSpec spec() {
        return new ConvSpec(name, inChannels, outChannels, kernel, stride, dilation, groups, padding, activation,
                bias != null, batchNorm != null);
    }

    public boolean isDepthwise() {
        return spec().isDepthwise();
    }

    public boolean isPointwise() {
        return spec().isPointwise();
    }

    public int inPerGroup() {
        return spec().inPerGroup();
    }

    /** Index into {@link #weight()} of tap (ky, kx), group-local input channel ci, output channel co. */
    public int weightIndex(int ky, int kx, int ci, int co) {
        return ((ky * kernel + kx) * (inChannels / groups) + ci) * outChannels + co;
    }

    /** Same layer with batch normalisation folded into weights and bias; identical output at inference. */
    public Conv2d foldBatchNorm() {
        if (batchNorm == null) {
            return this;
        }
        float[] w = weight.clone();
        float[] b = new float[outChannels];
        for (int o = 0; o < outChannels; o++) {
            float scale = batchNorm.scale(o);
            b[o] = (bias == null ? 0f : bias[o]) * scale + batchNorm.shift(o);
            for (int i = o; i < w.length; i += outChannels) {
                w[i] *= scale;
            }
        }
        return new Conv2d(name, inChannels, outChannels, kernel, stride, dilation, groups, padding, activation,
                w, b, null);
    }

    public Padding.Axis resolve(int inputLength) {
        return spec().resolve(inputLength);
    }

    @Override
    public String toString() {
        String kind = isDepthwise() ? "depthwise " : groups > 1 ? groups + "-group " : "";
        return name + ": " + kind + "conv " + kernel + "x" + kernel + "/" + stride
                + (dilation > 1 ? " dilation " + dilation : "") + " " + inChannels + "->" + outChannels
                + " " + padding + (batchNorm != null ? " +BN" : "") + (bias != null ? " +bias" : "") + " " + activation;
    }
}
