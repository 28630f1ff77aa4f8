package dev.mnv2.image;

import dev.mnv2.exec.Predictor;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.load.Task;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Classifies photos with a network: decode, preprocess, run, softmax, top K. The network's plan is made
 * once, so classifying many images reuses it; one classifier may be shared between threads.
 *
 * <pre>{@code
 * try (ImageClassifier classifier = ImageClassifier.pretrained("mobilenet_v2_1.0_224_quant")) {
 *     for (Classification c : classifier.classify(Path.of("cat.jpg"), 5)) {
 *         System.out.printf("%d %s %.3f%n", c.index(), c.label(), c.score());
 *     }
 * }
 * }</pre>
 */
public final class ImageClassifier implements AutoCloseable {
    private final Network network;
    private final ImagePreprocessor preprocessor;
    private final Predictor predictor;

    /**
     * Fewest images for which {@link #create(Network, ImagePreprocessor, int)} picks the vector kernels: their
     * JIT warm-up (about 2.5 s on the first image, measured on a 2-core AVX-512 machine) outweighs their
     * speed-up (about 0.2 s per later image) for fewer.
     */
    public static final int VECTOR_KERNELS_MIN_IMAGES = 12;

    private ImageClassifier(Network network, ImagePreprocessor preprocessor, boolean vectorized) {
        this.network = Objects.requireNonNull(network, "network");
        this.preprocessor = Objects.requireNonNull(preprocessor, "preprocessor");
        Shape out = network.outputShape();
        if (out.height() != 1 || out.width() != 1) {
            throw new IllegalArgumentException("not a classifier: the network's output is " + out
                    + ", not 1x1 class scores");
        }
        if (!preprocessor.outputShape().equals(network.input())) {
            throw new IllegalArgumentException("preprocessor makes " + preprocessor.outputShape()
                    + " but the network takes " + network.input());
        }
        this.predictor = Predictor.builder(network).vectorized(vectorized).build();
    }

    /**
     * A classifier of the model {@code nameOrPath} names: a known model name such as
     * {@code mobilenet_v2_1.0_224_quant} (found in $MNV2_MODELS or the cache, else downloaded and checked) or
     * a model file, loaded by {@link Models#load(String)}. Its format's module ({@code mnv2-tflite} or
     * {@code mnv2-interop}) must be on the classpath.
     *
     * @throws IOException when the model cannot be found or read (the message says why)
     * @throws IllegalArgumentException when it is a segmentation model
     */
    public static ImageClassifier pretrained(String nameOrPath) throws IOException {
        return create(Models.load(nameOrPath));
    }

    /**
     * A classifier of a loaded model, with the reference preprocessing and the model's pixel scaling.
     *
     * @throws IllegalArgumentException when the model's task is not classification
     */
    public static ImageClassifier create(LoadedModel model) {
        if (model.task() != Task.CLASSIFICATION) {
            throw new IllegalArgumentException("not a classifier: " + model.network().config().architecture()
                    + " is a " + model.task().metadataName() + " model (use ImageSegmenter)");
        }
        return create(model.network(), model.input().scaling());
    }

    /** The reference preprocessing (87.5 % central crop, resize to the network's input) with {@code scaling}. */
    public static ImageClassifier create(Network network, PixelScaling scaling) {
        Shape in = network.input();
        return create(network, ImagePreprocessor.builder(in.height(), in.width()).scaling(scaling).build());
    }

    /** A classifier of {@code network} whose inputs {@code preprocessor} makes, with the vector kernels when available. */
    public static ImageClassifier create(Network network, ImagePreprocessor preprocessor) {
        return new ImageClassifier(network, preprocessor, Predictor.vectorAvailable());
    }

    /**
     * A classifier for a job of about {@code expectedImages} images: the vector kernels (when available) from
     * {@link #VECTOR_KERNELS_MIN_IMAGES} on, the scalar ones below, which give a handful of images sooner.
     * Both give bit-identical results.
     */
    public static ImageClassifier create(Network network, ImagePreprocessor preprocessor, int expectedImages) {
        if (expectedImages < 1) {
            throw new IllegalArgumentException("expected images must be >= 1, got " + expectedImages);
        }
        return new ImageClassifier(network, preprocessor,
                expectedImages >= VECTOR_KERNELS_MIN_IMAGES && Predictor.vectorAvailable());
    }

    public Network network() {
        return network;
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    /** True when the vector kernels run, false for the scalar ones. */
    public boolean vectorized() {
        return predictor.vectorized();
    }

    /** Class probabilities for one image: the softmax of the network's logits. */
    public float[] probabilities(BufferedImage image) {
        float[] logits = predictor.logits(preprocessor.toTensor(image))[0];
        softmax(logits);
        return logits;
    }

    /**
     * Numerically stable softmax of {@code values}, in place: the classification task's last step, kept out
     * of the network so that the logits stay available.
     */
    public static void softmax(float[] values) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            float e = (float) Math.exp(values[i] - max);
            values[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < values.length; i++) {
            values[i] *= inv;
        }
    }

    /** The {@code k} most probable classes, best first. */
    public List<Classification> classify(BufferedImage image, int k) {
        return top(probabilities(image), k);
    }

    /** The {@code k} most probable classes of an image file, decoded at the size the preprocessor needs. */
    public List<Classification> classify(Path image, int k) throws ImageReadException {
        return classify(preprocessor.read(image), k);
    }

    /** The {@code k} largest of {@code probabilities} as classifications, best first (ties: lower index). */
    public List<Classification> top(float[] probabilities, int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("top k must be > 0, got " + k);
        }
        List<Integer> order = new ArrayList<>(probabilities.length);
        for (int i = 0; i < probabilities.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -probabilities[i]).thenComparingInt(i -> i));
        List<Classification> out = new ArrayList<>();
        for (int i : order.subList(0, Math.min(k, order.size()))) {
            out.add(new Classification(i, label(i), probabilities[i]));
        }
        return out;
    }

    private String label(int index) {
        List<String> labels = network.labels();
        return labels.isEmpty() ? "class " + index : labels.get(index);
    }

    @Override
    public void close() {
        predictor.close();
    }
}
