package dev.mnv2.image;

/**
 * How 8-bit pixel values become model inputs: {@code input = (pixel - mean) / std}. MobileNetV2 is trained
 * on [-1, 1] ({@link #MINUS_ONE_TO_ONE}); a quantised model states its own mapping in its input tensor's
 * scale and zero point (the TF1 uint8 model's is (p - 128) / 128).
 */
public record PixelScaling(float mean, float std) {
    /** pixel / 127.5 - 1, the range of the published MobileNetV2 checkpoints. */
    public static final PixelScaling MINUS_ONE_TO_ONE = new PixelScaling(127.5f, 127.5f);

    public PixelScaling {
        if (!Float.isFinite(mean) || !(std > 0) || Float.isInfinite(std)) {
            throw new IllegalArgumentException("pixel scaling needs a finite mean and a std > 0, got mean " + mean
                    + ", std " + std);
        }
    }

    public float apply(float pixel) {
        return (pixel - mean) / std;
    }
}
