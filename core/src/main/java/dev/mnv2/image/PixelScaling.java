package dev.mnv2.image;

import dev.mnv2.model.NetworkConfig;

/**
 * How 8-bit pixel values become model inputs: {@code input = (pixel - mean[c]) / std[c]} per RGB channel.
 * TensorFlow's MobileNetV2 checkpoints are trained on [-1, 1] ({@link #MINUS_ONE_TO_ONE}); a quantised
 * TFLite model states its own mapping in its input tensor's scale and zero point (the TF1 uint8 model's is
 * (p - 128) / 128); torchvision's weights expect ImageNet's mean and deviation ({@link #IMAGENET}).
 */
public record PixelScaling(float meanRed, float meanGreen, float meanBlue, float stdRed, float stdGreen,
                           float stdBlue) {
    /** pixel / 127.5 - 1, the range of the published TensorFlow MobileNetV2 checkpoints. */
    public static final PixelScaling MINUS_ONE_TO_ONE = new PixelScaling(127.5f, 127.5f);

    /** torchvision's (pixel / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]. */
    public static final PixelScaling IMAGENET = new PixelScaling(
            0.485f * 255, 0.456f * 255, 0.406f * 255, 0.229f * 255, 0.224f * 255, 0.225f * 255);

    public PixelScaling {
        for (float mean : new float[] {meanRed, meanGreen, meanBlue}) {
            if (!Float.isFinite(mean)) {
                throw new IllegalArgumentException("pixel scaling needs a finite mean, got " + mean);
            }
        }
        for (float std : new float[] {stdRed, stdGreen, stdBlue}) {
            if (!(std > 0) || Float.isInfinite(std)) {
                throw new IllegalArgumentException("pixel scaling needs a std > 0, got " + std);
            }
        }
    }

    /** The same mean and deviation for all three channels. */
    public PixelScaling(float mean, float std) {
        this(mean, mean, mean, std, std, std);
    }

    /**
     * The convention of the ecosystem a network's layout comes from: TensorFlow-padded networks take
     * [-1, 1], PyTorch-padded ones (torchvision checkpoints) ImageNet's mean and deviation.
     */
    public static PixelScaling conventionOf(NetworkConfig config) {
        return config.padding().tensorflowSame() ? MINUS_ONE_TO_ONE : IMAGENET;
    }

    /** The model input for 8-bit value {@code pixel} of channel 0 (red), 1 (green) or 2 (blue). */
    public float apply(int channel, float pixel) {
        return switch (channel) {
            case 0 -> (pixel - meanRed) / stdRed;
            case 1 -> (pixel - meanGreen) / stdGreen;
            case 2 -> (pixel - meanBlue) / stdBlue;
            default -> throw new IllegalArgumentException("RGB channel must be 0, 1 or 2, got " + channel);
        };
    }
}
