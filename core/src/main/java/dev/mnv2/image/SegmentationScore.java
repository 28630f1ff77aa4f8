package dev.mnv2.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Intersection over union of predicted segmentations against ground-truth masks, accumulated over images as
 * PASCAL VOC scores a set: one confusion matrix over every pixel, then per class
 * {@code IoU = TP / (TP + FP + FN)}, and the mean over the classes that occur in the truth or the predictions
 * (a class neither has is left out, not counted as 0 or 1). Pixels whose truth is
 * {@link PascalVoc#IGNORE_LABEL} (VOC's object borders and "difficult" regions) count nowhere. Not thread-safe;
 * one instance per evaluation.
 */
public final class SegmentationScore {
    private final List<String> labels;
    private final long[][] confusion;

    /** An empty score for a model with these class names. */
    public SegmentationScore(List<String> labels) {
        this.labels = List.copyOf(labels);
        this.confusion = new long[labels.size()][labels.size()];
    }

    /**
     * Adds one image: {@code truth} holds a class index (or {@link PascalVoc#IGNORE_LABEL}) per pixel, row by
     * row, at the map's size.
     *
     * @throws IllegalArgumentException if the sizes differ or a truth value is no class of the model
     */
    public SegmentationScore add(SegmentationMap predicted, int[] truth) {
        Objects.requireNonNull(predicted, "predicted");
        Objects.requireNonNull(truth, "truth");
        if (!predicted.labels().equals(labels)) {
            throw new IllegalArgumentException("the map's classes are not this score's");
        }
        if (truth.length != predicted.classes().length) {
            throw new IllegalArgumentException("the mask has " + truth.length + " pixels, the segmentation "
                    + predicted.classes().length);
        }
        for (int i = 0; i < truth.length; i++) {
            int t = truth[i];
            if (t == PascalVoc.IGNORE_LABEL) {
                continue;
            }
            if (t < 0 || t >= labels.size()) {
                throw new IllegalArgumentException("mask value " + t + " at pixel (" + i % predicted.width() + ", "
                        + i / predicted.width() + ") is none of the model's " + labels.size() + " classes (nor "
                        + PascalVoc.IGNORE_LABEL + ", void)");
            }
            confusion[t][predicted.classes()[i]]++;
        }
        return this;
    }

    /**
     * The class index of each pixel of an 8-bit mask image (grayscale or palette: the stored value, not its
     * colour, as VOC's palette PNGs hold class indices), row by row.
     *
     * @throws IllegalArgumentException if the image has more than one band or is not {@code height × width}
     */
    public static int[] maskValues(BufferedImage mask, int height, int width) {
        Raster raster = mask.getRaster();
        if (raster.getNumBands() != 1) {
            throw new IllegalArgumentException("a mask must be an 8-bit grayscale or palette image, this one has "
                    + raster.getNumBands() + " bands");
        }
        if (mask.getHeight() != height || mask.getWidth() != width) {
            throw new IllegalArgumentException("the mask is " + mask.getWidth() + "x" + mask.getHeight()
                    + ", the image " + width + "x" + height);
        }
        return raster.getPixels(0, 0, width, height, new int[height * width]);
    }

    /** One class's score: its intersection and union in pixels, and their ratio. */
    public record ClassIou(int index, String label, long intersection, long union) {
        public double iou() {
            return (double) intersection / union;
        }
    }

    /** Every class that occurs in the truth or the predictions so far, by index. */
    public List<ClassIou> perClass() {
        List<ClassIou> classes = new ArrayList<>();
        for (int c = 0; c < labels.size(); c++) {
            long truePositive = confusion[c][c];
            long union = -truePositive;
            for (int k = 0; k < labels.size(); k++) {
                union += confusion[c][k] + confusion[k][c];
            }
            if (union > 0) {
                classes.add(new ClassIou(c, labels.get(c), truePositive, union));
            }
        }
        return classes;
    }

    /** The mean of {@link #perClass()}'s IoUs; NaN before any scored pixel. */
    public double meanIou() {
        return perClass().stream().mapToDouble(ClassIou::iou).average().orElse(Double.NaN);
    }

    /** The share of scored pixels whose predicted class is the truth; NaN before any. */
    public double pixelAccuracy() {
        long right = 0;
        for (int c = 0; c < labels.size(); c++) {
            right += confusion[c][c];
        }
        long all = pixels();
        return all == 0 ? Double.NaN : (double) right / all;
    }

    /** Scored pixels so far (void ones excluded). */
    public long pixels() {
        long all = 0;
        for (long[] row : confusion) {
            for (long v : row) {
                all += v;
            }
        }
        return all;
    }
}
