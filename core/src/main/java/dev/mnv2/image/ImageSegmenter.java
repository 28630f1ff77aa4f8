package dev.mnv2.image;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.ArgMax;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Segments photos with a network whose main output is per-pixel logits (such as
 * {@link dev.mnv2.model.DeepLabV3}'s): the whole image resized to the network's input, run, then the
 * segmentation task's {@link ArgMax} over the classes at every pixel of the input resolution.
 *
 * <pre>{@code
 * try (ImageSegmenter segmenter = ImageSegmenter.create(network, scaling)) {
 *     SegmentationMap map = segmenter.segment(Path.of("bird.bmp"));
 * }
 * }</pre>
 */
public final class ImageSegmenter implements AutoCloseable {
    private final Network network;
    private final ImagePreprocessor preprocessor;
    private final Predictor predictor;

    private ImageSegmenter(Network network, ImagePreprocessor preprocessor) {
        this.network = Objects.requireNonNull(network, "network");
        this.preprocessor = Objects.requireNonNull(preprocessor, "preprocessor");
        if (!preprocessor.outputShape().equals(network.input())) {
            throw new IllegalArgumentException("preprocessor makes " + preprocessor.outputShape()
                    + " but the network takes " + network.input());
        }
        this.predictor = Predictor.create(network.then(new ArgMax("argmax")));
    }

    /** The whole image (no crop) resized to the network's input, with {@code scaling}. */
    public static ImageSegmenter create(Network network, PixelScaling scaling) {
        Shape in = network.input();
        return create(network, ImagePreprocessor.builder(in.height(), in.width()).centralCrop(1.0)
                .scaling(scaling).build());
    }

    public static ImageSegmenter create(Network network, ImagePreprocessor preprocessor) {
        return new ImageSegmenter(network, preprocessor);
    }

    public Network network() {
        return network;
    }

    /** The class of every pixel, at the network's input resolution. */
    public SegmentationMap segment(BufferedImage image) {
        Tensor classes = predictor.forward(preprocessor.toTensor(image));
        Shape s = classes.shape();
        int[] out = new int[s.height() * s.width()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) classes.data()[i];
        }
        return new SegmentationMap(s.height(), s.width(), out);
    }

    public SegmentationMap segment(Path image) throws ImageReadException {
        return segment(Images.read(image));
    }

    @Override
    public void close() {
        predictor.close();
    }
}
