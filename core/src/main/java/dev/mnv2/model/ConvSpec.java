package dev.mnv2.model;

import java.util.Objects;

/**
 * What a {@link Conv2d} computes, without its weights. Costs use exact arithmetic, so a configuration too
 * large to count throws rather than overflowing.
 *
 * @param hasBias whether the convolution adds a per-channel bias
 * @param hasBatchNorm whether batch normalisation follows the convolution
 */
public record ConvSpec(
        String name,
        int inChannels,
        int outChannels,
        int kernel,
        int stride,
        int dilation,
        int groups,
        Padding padding,
        Activation activation,
        boolean hasBias,
        boolean hasBatchNorm)
        implements LayerSpec {

    public ConvSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(padding, "padding");
        Objects.requireNonNull(activation, "activation");
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || dilation <= 0 || groups <= 0) {
            throw new IllegalArgumentException(name + ": channels, kernel, stride, dilation and groups must be > 0");
        }
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException(
                    name + ": " + groups + " groups do not divide " + inChannels + " -> " + outChannels + " channels");
        }
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

    /** Values of the weight tensor {@code [kernel][kernel][inChannels / groups][outChannels]}. */
    public long weightCount() {
        return Math.multiplyExact((long) kernel * kernel * inPerGroup(), outChannels);
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
        return parametersWithoutBatchNorm() + (hasBatchNorm ? 2L * outChannels : 0);
    }

    @Override
    public long parametersWithoutBatchNorm() {
        return weightCount() + (hasBias ? outChannels : 0);
    }

    @Override
    public long macs(Shape input) {
        Shape out = outputShape(input);
        return Math.multiplyExact(out.elements(), (long) kernel * kernel * inPerGroup());
    }

    /**
     * torchvision's name of the BatchNorm2d that follows convolution {@code convName}: the same module path
     * with its last index incremented ({@code features.0.0} → {@code features.0.1},
     * {@code features.2.conv.2} → {@code features.2.conv.3}). Checkpoints and training parameters share it.
     */
    public static String batchNormName(String convName) {
        int dot = convName.lastIndexOf('.');
        try {
            int index = Integer.parseInt(convName.substring(dot + 1));
            return convName.substring(0, dot + 1) + (index + 1);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("convolution name '" + convName + "' does not end in a module index");
        }
    }
}
