package dev.mnv2.load;

import dev.mnv2.image.ImagePreprocessor;
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
 * @param centralCrop the fraction of each side that evaluation keeps before resizing to the input size:
 *     ImageNet's 0.875 for models trained on random resized crops, 1 for models trained on whole images
 *     (CIFAR's padded crops), as torchvision's weights state their own evaluation transform
 */
public record InputSpec(int height, int width, PixelScaling scaling, List<String> labels, double centralCrop) {
    public InputSpec {
        Objects.requireNonNull(scaling, "scaling");
        labels = List.copyOf(labels);
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("input size must be positive, got " + height + "x" + width);
        }
        if (!(centralCrop > 0 && centralCrop <= 1)) {
            throw new IllegalArgumentException("central crop must be in (0, 1], got " + centralCrop);
        }
    }

    /** A spec evaluated with ImageNet's central crop ({@link ImagePreprocessor#DEFAULT_CENTRAL_CROP}). */
    public InputSpec(int height, int width, PixelScaling scaling, List<String> labels) {
        this(height, width, scaling, labels, ImagePreprocessor.DEFAULT_CENTRAL_CROP);
    }

    /** The same spec with {@code newScaling}. */
    public InputSpec withScaling(PixelScaling newScaling) {
        return new InputSpec(height, width, newScaling, labels, centralCrop);
    }

    /** The same spec with {@code newLabels}. */
    public InputSpec withLabels(List<String> newLabels) {
        return new InputSpec(height, width, scaling, newLabels, centralCrop);
    }

    /** The same spec evaluated with a central crop of {@code fraction} of each side. */
    public InputSpec withCentralCrop(double fraction) {
        return new InputSpec(height, width, scaling, labels, fraction);
    }
}
