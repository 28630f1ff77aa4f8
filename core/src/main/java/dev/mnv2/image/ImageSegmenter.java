package dev.mnv2.image;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.load.Task;
import dev.mnv2.model.Network;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Segments photos with a network whose main output is per-pixel logits at its input resolution (such as
 * {@link dev.mnv2.model.DeepLabV3}'s), and answers with the class of every pixel of the photo itself.
 *
 * <p>How a photo of any size maps onto the network's fixed input and back, as DeepLab's own inference
 * does it: the whole photo (nothing cropped) is resized, keeping its aspect ratio, to fit the input (a
 * 3:2 photo becomes 513×342 for a 513×513 input), placed at the top left, and the rest of the input is
 * padded with the mean pixel (model input 0). The network's logits over the photo's part of the input are
 * then resized bilinearly (half-pixel centres) to the photo's size and the class at each photo pixel is their
 * argmax, the first of equal ones. Interpolating logits rather than labels keeps boundaries smooth when a
 * photo is larger than the input. A photo exactly the input's size maps one to one.
 *
 * <pre>{@code
 * try (ImageSegmenter segmenter = ImageSegmenter.pretrained("deeplabv3_mnv2_pascal_quant")) {
 *     SegmentationMap map = segmenter.segment(Path.of("bird.bmp"));   // the photo's width and height
 * }
 * }</pre>
 */
public final class ImageSegmenter implements AutoCloseable {
    private final Network network;
    private final PixelScaling scaling;
    private final List<String> labels;
    private final Predictor predictor;

    private ImageSegmenter(Network network, PixelScaling scaling) {
        this.network = Objects.requireNonNull(network, "network");
        this.scaling = Objects.requireNonNull(scaling, "scaling");
        Shape in = network.input();
        Shape out = network.outputShape();
        if (out.height() != in.height() || out.width() != in.width()) {
            throw new IllegalArgumentException("not a segmentation network: its output is " + out
                    + ", not class scores for each of its " + in.height() + "x" + in.width() + " input pixels");
        }
        this.labels = labelsOf(network);
        this.predictor = Predictor.create(network);
    }

    /**
     * A segmenter of the model {@code nameOrPath} names: a known model name such as
     * {@code deeplabv3_mnv2_pascal_quant} (found in $MNV2_MODELS or the cache, else downloaded and checked) or
     * a model file, loaded by {@link Models#load(String)}. Its format's module must be on the classpath.
     *
     * @throws IOException when the model cannot be found or read (the message says why)
     * @throws IllegalArgumentException when it is a classification model
     */
    public static ImageSegmenter pretrained(String nameOrPath) throws IOException {
        return create(Models.load(nameOrPath));
    }

    /**
     * A segmenter of a loaded model, feeding it pixels scaled as its input spec says.
     *
     * @throws IllegalArgumentException when the model's task is not segmentation
     */
    public static ImageSegmenter create(LoadedModel model) {
        if (model.task() != Task.SEGMENTATION) {
            throw new IllegalArgumentException("not a segmentation model: " + model.network().config().architecture()
                    + " is a " + model.task().metadataName() + " model (use ImageClassifier)");
        }
        return create(model.network(), model.input().scaling());
    }

    /** A segmenter feeding {@code network} pixels scaled by {@code scaling}. */
    public static ImageSegmenter create(Network network, PixelScaling scaling) {
        return new ImageSegmenter(network, scaling);
    }

    /**
     * The network's own labels; for a 21-class network without any, PASCAL VOC's ({@link PascalVoc#LABELS},
     * which the published DeepLab files are trained on but do not carry); otherwise "class i".
     */
    static List<String> labelsOf(Network network) {
        int classes = network.classes();
        if (!network.labels().isEmpty()) {
            return network.labels();
        }
        if (classes == PascalVoc.LABELS.size()) {
            return PascalVoc.LABELS;
        }
        return IntStream.range(0, classes).mapToObj(i -> "class " + i).toList();
    }

    public Network network() {
        return network;
    }

    /** The class names of the maps this segmenter makes. */
    public List<String> labels() {
        return labels;
    }

    /** The class of every pixel of {@code image}, at its size. */
    public SegmentationMap segment(BufferedImage image) {
        Shape content = contentShape(image.getHeight(), image.getWidth());
        Tensor logits = predictor.forward(letterbox(image, content));
        int[] classes = resizedArgMax(logits, content, image.getHeight(), image.getWidth());
        return new SegmentationMap(image.getHeight(), image.getWidth(), classes, labels);
    }

    /**
     * The class of every pixel of an image file, at the file's size. The photo is decoded whole, as the map
     * covers every pixel of it: about 8 bytes a pixel while segmenting.
     */
    public SegmentationMap segment(Path image) throws ImageReadException {
        return segment(Images.read(image));
    }

    /** Height and width the photo takes in the network's input: the largest fit with its aspect ratio. */
    Shape contentShape(int height, int width) {
        Shape in = network.input();
        double scale = Math.min(in.height() / (double) height, in.width() / (double) width);
        int h = (int) Math.max(1, Math.min(in.height(), Math.round(height * scale)));
        int w = (int) Math.max(1, Math.min(in.width(), Math.round(width * scale)));
        return new Shape(h, w, 3);
    }

    /** The network input: the photo resized to {@code content} at the top left, zeros (the mean pixel) elsewhere. */
    Tensor letterbox(BufferedImage image, Shape content) {
        Tensor photo = ImagePreprocessor.builder(content.height(), content.width()).centralCrop(1.0).scaling(scaling)
                .build().toTensor(image);
        Shape in = network.input();
        Tensor input = Tensor.zeros(1, in);
        int row = content.width() * 3;
        for (int y = 0; y < content.height(); y++) {
            System.arraycopy(photo.data(), y * row, input.data(), y * in.width() * 3, row);
        }
        return input;
    }

    /**
     * Per pixel of a {@code height} × {@code width} photo, the argmax of the logits over the top-left
     * {@code content} part of {@code logits}, resized bilinearly. Separable: each source row needed is
     * interpolated across once, then every output row blends two of them, so memory is two rows of logits.
     */
    private static int[] resizedArgMax(Tensor logits, Shape content, int height, int width) {
        Shape map = logits.shape();
        int channels = map.channels();
        ResizeBilinear resize = new ResizeBilinear("segmentation", height, width, false, true);
        ResizeBilinear.Taps down = resize.taps(content.height(), height);
        ResizeBilinear.Taps across = resize.taps(content.width(), width);
        float[] data = logits.data();
        int sourceRow = map.width() * channels;
        // Two source rows, interpolated across; rows go down monotonically, so each is made about once.
        float[] topRow = new float[width * channels];
        float[] bottomRow = new float[width * channels];
        int topSource = -1;
        int bottomSource = -1;
        int[] classes = new int[Math.multiplyExact(height, width)];
        for (int y = 0; y < height; y++) {
            int wantTop = down.lower()[y];
            int wantBottom = down.upper()[y];
            if (wantTop != topSource) {
                if (wantTop == bottomSource) {
                    float[] swap = topRow;
                    topRow = bottomRow;
                    bottomRow = swap;
                    bottomSource = topSource;
                } else {
                    interpolateRow(data, wantTop * sourceRow, channels, across, topRow);
                }
                topSource = wantTop;
            }
            if (wantBottom != bottomSource) {
                if (wantBottom == topSource) {
                    System.arraycopy(topRow, 0, bottomRow, 0, bottomRow.length);
                } else {
                    interpolateRow(data, wantBottom * sourceRow, channels, across, bottomRow);
                }
                bottomSource = wantBottom;
            }
            float f = down.fraction()[y];
            for (int x = 0; x < width; x++) {
                int p = x * channels;
                int best = 0;
                float bestValue = lerp(topRow[p], bottomRow[p], f);
                for (int c = 1; c < channels; c++) {
                    float v = lerp(topRow[p + c], bottomRow[p + c], f);
                    if (v > bestValue) {
                        bestValue = v;
                        best = c;
                    }
                }
                classes[y * width + x] = best;
            }
        }
        return classes;
    }

    /** One source row of logits, starting at {@code offset}, resized across to the output width. */
    private static void interpolateRow(float[] data, int offset, int channels, ResizeBilinear.Taps across,
                                       float[] out) {
        for (int x = 0; x < across.lower().length; x++) {
            int left = offset + across.lower()[x] * channels;
            int right = offset + across.upper()[x] * channels;
            float f = across.fraction()[x];
            for (int c = 0; c < channels; c++) {
                out[x * channels + c] = lerp(data[left + c], data[right + c], f);
            }
        }
    }

    /** a + f (b − a): exactly a where the sample falls on a source pixel (f = 0) or both taps coincide. */
    private static float lerp(float a, float b, float f) {
        return a + f * (b - a);
    }

    @Override
    public void close() {
        predictor.close();
    }
}
