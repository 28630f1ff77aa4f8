package dev.mnv2.image;

import dev.mnv2.exec.Predictor;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Classifies photos with a network: decode, preprocess, run, softmax, top K. The network's plan is made
 * once, so classifying many images reuses it.
 *
 * <pre>{@code
 * try (ImageClassifier classifier = ImageClassifier.create(network, PixelScaling.MINUS_ONE_TO_ONE)) {
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

    private ImageClassifier(Network network, ImagePreprocessor preprocessor) {
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
        this.predictor = Predictor.create(network);
    }

    /** The reference preprocessing (87.5 % central crop, resize to the network's input) with {@code scaling}. */
    public static ImageClassifier create(Network network, PixelScaling scaling) {
        Shape in = network.input();
        return create(network, ImagePreprocessor.builder(in.height(), in.width()).scaling(scaling).build());
    }

    public static ImageClassifier create(Network network, ImagePreprocessor preprocessor) {
        return new ImageClassifier(network, preprocessor);
    }

    public Network network() {
        return network;
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
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
