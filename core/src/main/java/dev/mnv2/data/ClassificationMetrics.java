package dev.mnv2.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Top-1 and top-5 accuracy, per-class accuracy and the confusion matrix of a classifier over labelled
 * images, accumulated one image (a row of logits) at a time. The model's outputs may be more than the
 * dataset's classes (an ImageNet model over a few of its classes): {@code outputOfClass[c]} says which
 * output class {@code c} is; a prediction of an output that is no dataset class counts as wrong and, in the
 * confusion matrix, as "other". Ties between scores go to the lower output index.
 */
public final class ClassificationMetrics {
    private final List<String> classes;
    private final int outputs;
    private final int[] outputOfClass;
    private final int[] classOfOutput;
    private final long[][] confusion;
    private final long[] other;
    private final long[] perClassImages;
    private final long[] perClassTop5;
    private long images;
    private long top1;
    private long top5;

    private ClassificationMetrics(List<String> classes, int outputs, int[] outputOfClass) {
        this.classes = List.copyOf(classes);
        this.outputs = outputs;
        this.outputOfClass = outputOfClass.clone();
        this.classOfOutput = new int[outputs];
        Arrays.fill(classOfOutput, -1);
        for (int c = 0; c < outputOfClass.length; c++) {
            if (outputOfClass[c] < 0 || outputOfClass[c] >= outputs || classOfOutput[outputOfClass[c]] >= 0) {
                throw new IllegalArgumentException("class " + classes.get(c) + " maps to output " + outputOfClass[c]
                        + ", which is outside 0.." + (outputs - 1) + " or taken by another class");
            }
            classOfOutput[outputOfClass[c]] = c;
        }
        this.confusion = new long[classes.size()][classes.size()];
        this.other = new long[classes.size()];
        this.perClassImages = new long[classes.size()];
        this.perClassTop5 = new long[classes.size()];
    }

    /** Metrics of a model whose outputs are exactly {@code classes}, in order. */
    public static ClassificationMetrics of(List<String> classes) {
        int[] identity = new int[classes.size()];
        Arrays.setAll(identity, i -> i);
        return new ClassificationMetrics(classes, classes.size(), identity);
    }

    /** Metrics of a model with {@code outputs} outputs, class {@code c} being output {@code outputOfClass[c]}. */
    public static ClassificationMetrics mapped(List<String> classes, int outputs, int[] outputOfClass) {
        if (outputOfClass.length != classes.size()) {
            throw new IllegalArgumentException(classes.size() + " classes but " + outputOfClass.length + " outputs mapped");
        }
        return new ClassificationMetrics(classes, outputs, outputOfClass);
    }

    /**
     * Metrics of a model with one output per label over {@code folder}'s classes, each class folder counted
     * as the output it is named as: a label, or a label's first name when the label lists synonyms
     * ("tabby" for ImageNet's "tabby, tabby cat"). A whole label wins over a first name; a name repeated
     * among the labels means its first output.
     *
     * @param labelsOf what the labels belong to (a model's name or path), for the messages
     * @throws DatasetException when there are no labels or a class folder is named as none of them
     */
    public static ClassificationMetrics byLabel(ImageFolder folder, List<String> labels, String labelsOf) {
        if (labels.isEmpty()) {
            throw new DatasetException(labelsOf + " has no labels to match the class folders of " + folder.root()
                    + " against");
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = labels.size() - 1; i >= 0; i--) {
            index.put(labels.get(i).split(",", 2)[0].strip(), i);
        }
        for (int i = labels.size() - 1; i >= 0; i--) {
            index.put(labels.get(i), i);
        }
        List<String> classes = folder.classes();
        int[] outputs = new int[classes.size()];
        List<String> unknown = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Integer o = index.get(classes.get(c));
            if (o == null) {
                unknown.add(classes.get(c));
            } else {
                outputs[c] = o;
            }
        }
        if (!unknown.isEmpty()) {
            List<String> examples = labels.subList(0, Math.min(4, labels.size())).stream().map(l -> "'" + l + "'").toList();
            throw new DatasetException(folder.root() + ": class folder" + (unknown.size() == 1 ? " " : "s ")
                    + String.join(", ", unknown) + (unknown.size() == 1 ? " is" : " are") + " not among the "
                    + labels.size() + " labels of " + labelsOf + " (" + String.join(", ", examples)
                    + (labels.size() > 4 ? ", ..." : "") + ")");
        }
        return new ClassificationMetrics(classes, labels.size(), outputs);
    }

    /** Adds one image of class {@code label} whose logits are {@code logits[offset .. offset + outputs)}. */
    public void add(int label, float[] logits, int offset) {
        int truth = outputOfClass[label];
        float trueScore = logits[offset + truth];
        // The true output's rank: outputs scoring higher, or equal at a lower index, come before it.
        int better = 0;
        int best = 0;
        for (int o = 0; o < outputs; o++) {
            float v = logits[offset + o];
            if (v > trueScore || (v == trueScore && o < truth)) {
                better++;
            }
            if (v > logits[offset + best]) {
                best = o;
            }
        }
        images++;
        perClassImages[label]++;
        if (better == 0) {
            top1++;
        }
        if (better < 5) {
            top5++;
            perClassTop5[label]++;
        }
        int predicted = classOfOutput[best];
        if (predicted >= 0) {
            confusion[label][predicted]++;
        } else {
            other[label]++;
        }
    }

    /** Adds {@code count} images: labels {@code labels[n]}, logits {@code logits[n * outputs ..]}. */
    public void add(int[] labels, int count, float[] logits) {
        for (int n = 0; n < count; n++) {
            add(labels[n], logits, n * outputs);
        }
    }

    public List<String> classes() {
        return classes;
    }

    public long images() {
        return images;
    }

    public double top1() {
        return images == 0 ? 0 : (double) top1 / images;
    }

    public double top5() {
        return images == 0 ? 0 : (double) top5 / images;
    }

    /** Images of each class seen. */
    public long[] imagesPerClass() {
        return perClassImages.clone();
    }

    /** Top-1 accuracy of each class (0 for a class without images). */
    public double[] perClassTop1() {
        double[] out = new double[classes.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = perClassImages[c] == 0 ? 0 : (double) confusion[c][c] / perClassImages[c];
        }
        return out;
    }

    /** Top-5 accuracy of each class (0 for a class without images). */
    public double[] perClassTop5() {
        double[] out = new double[classes.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = perClassImages[c] == 0 ? 0 : (double) perClassTop5[c] / perClassImages[c];
        }
        return out;
    }

    /** {@code [true class][predicted class]} image counts (copied). */
    public long[][] confusion() {
        long[][] copy = new long[confusion.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    /** Per true class, the images predicted as an output that is none of the classes. */
    public long[] otherPredictions() {
        return other.clone();
    }

    /** True when the model has outputs that are none of the classes, so "other" predictions can occur. */
    public boolean hasOtherOutputs() {
        return outputs > classes.size();
    }
}
