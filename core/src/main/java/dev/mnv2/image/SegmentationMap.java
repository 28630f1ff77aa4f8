package dev.mnv2.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The class of every pixel of an image, row by row, with the names of the classes the model knows: what a
 * segmentation network's argmax gives, at the size of the image it was asked about.
 *
 * @param classes the class index of pixel (y, x) at {@code y * width + x}, each in [0, labels.size())
 * @param labels the model's class names, index i naming class i
 */
public record SegmentationMap(int height, int width, int[] classes, List<String> labels) {
    /** Class indices an 8-bit mask can hold. */
    public static final int MAX_MASK_CLASSES = 256;

    public SegmentationMap {
        Objects.requireNonNull(classes, "classes");
        labels = List.copyOf(labels);
        if (height <= 0 || width <= 0 || classes.length != (long) height * width) {
            throw new IllegalArgumentException("a " + height + "x" + width + " map needs " + (long) height * width
                    + " classes, got " + classes.length);
        }
        for (int c : classes) {
            if (c < 0 || c >= labels.size()) {
                throw new IllegalArgumentException("class " + c + " is not one of the " + labels.size() + " labelled");
            }
        }
    }

    public int at(int y, int x) {
        return classes[y * width + x];
    }

    /** One class's share of the map. */
    public record ClassArea(int index, String label, long pixels, double fraction) {}

    /** Every class that has at least one pixel, by index, with its pixel count and fraction of the map. */
    public List<ClassArea> present() {
        long[] counts = new long[labels.size()];
        for (int c : classes) {
            counts[c]++;
        }
        List<ClassArea> present = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                present.add(new ClassArea(i, labels.get(i), counts[i], counts[i] / (double) classes.length));
            }
        }
        return present;
    }

    /**
     * The map as an 8-bit grayscale image, pixel value = class index (written as PNG it is the usual
     * segmentation mask format, VOC's ground truth included). Needs at most {@value #MAX_MASK_CLASSES} classes.
     */
    public BufferedImage toMaskImage() {
        if (labels.size() > MAX_MASK_CLASSES) {
            throw new IllegalStateException("an 8-bit mask holds " + MAX_MASK_CLASSES + " classes, the model has "
                    + labels.size());
        }
        BufferedImage mask = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        // Raw samples, not setRGB: Java would map gray values through its linear-light gray colour space.
        byte[] samples = ((DataBufferByte) mask.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < classes.length; i++) {
            samples[i] = (byte) classes[i];
        }
        return mask;
    }
}
