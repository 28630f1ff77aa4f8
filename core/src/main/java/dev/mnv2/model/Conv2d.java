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
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(padding, "padding");
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(weight, "weight");
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || dilation <= 0 || groups <= 0) {
            throw new IllegalArgumentException(name + ": channels, kernel, stride, dilation and groups must be > 0");
        }
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException(
                    name + ": " + groups + " groups do not divide " + inChannels + " -> " + outChannels + " channels");
        }
        long expected = (long) kernel * kernel * (inChannels / groups) * outChannels;
        if (weight.length != expected) {
            throw new IllegalArgumentException(
                    name + ": weight has " + weight.length + " values, expected " + expected);
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
        return new Conv2d(name, in, out, kernel, stride, dilation, groups, padding, activation,
                new float[kernel * kernel * (in / groups) * out], withBias ? new float[out] : null, null);
    }

    public boolean isDepthwise() {
        return groups == inChannels && groups == outChannels;
    }

    public boolean isPointwise() {
        return kernel == 1 && groups == 1;
    }

    public int inPerGroup() {
        return inChannels / groups;
    }

    /** Index into {@link #weight()} of tap (ky, kx), group-local input channel ci, output channel co. */
    public int weightIndex(int ky, int kx, int ci, int co) {
        return ((ky * kernel + kx) * inPerGroup() + ci) * outChannels + co;
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
        return padding.resolve(inputLength, kernel, stride, dilation);
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.channels() != inChannels) {
            throw new IllegalArgumentException(
                    name + ": expects " + inChannels + " input channels, got " + input.channels());
        }
        return new Shape(resolve(input.height()).output(), resolve(input.width()).output(), outChannels);
    }

    @Override
    public long parameters() {
        return parametersWithoutBatchNorm() + (batchNorm == null ? 0 : 2L * outChannels);
    }

    @Override
    public long parametersWithoutBatchNorm() {
        return weight.length + (bias == null ? 0 : bias.length);
    }

    @Override
    public long macs(Shape input) {
        Shape out = outputShape(input);
        return (long) out.height() * out.width() * outChannels * kernel * kernel * inPerGroup();
    }

    @Override
    public String toString() {
        String kind = isDepthwise() ? "depthwise " : groups > 1 ? groups + "-group " : "";
        return name + ": " + kind + "conv " + kernel + "x" + kernel + "/" + stride
                + (dilation > 1 ? " dilation " + dilation : "") + " " + inChannels + "->" + outChannels
                + " " + padding + (batchNorm != null ? " +BN" : "") + (bias != null ? " +bias" : "") + " " + activation;
    }
}
