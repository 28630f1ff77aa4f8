package dev.mnv2.load;

import dev.mnv2.image.PixelScaling;
import java.util.List;
import java.util.Objects;

/**
 * What a model expects and what its outputs mean, beside the network itself: the image size it takes, how
 * 8-bit pixels become its inputs, and the labels of its classes. A TFLite file states the scaling in its
 * input quantisation and may embed labels; mnv2's ONNX and safetensors exports write all of it into their
 * metadata ({@link ModelMetadata}), so an exported file classifies as its source did.
 *
 * @param height input height in pixels
 * @param width input width in pixels
 * @param scaling the per-channel mean and deviation that turn pixels into inputs
 * @param labels one label per class (output channel), or empty when the file has none
 */
public record InputSpec(int height, int width, PixelScaling scaling, List<String> labels) {
    public InputSpec {
        Objects.requireNonNull(scaling, "scaling");
        labels = List.copyOf(labels);
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("input size must be positive, got " + height + "x" + width);
        }
    }

    /** The same spec with {@code newScaling}. */
    public InputSpec withScaling(PixelScaling newScaling) {
        return new InputSpec(height, width, newScaling, labels);
    }

    /** The same spec with {@code newLabels}. */
    public InputSpec withLabels(List<String> newLabels) {
        return new InputSpec(height, width, scaling, newLabels);
    }
}
