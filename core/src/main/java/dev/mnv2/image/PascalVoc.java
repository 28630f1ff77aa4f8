package dev.mnv2.image;

import java.util.List;

/**
 * PASCAL VOC 2012 segmentation (Everingham et al.): its 21 class names and its colour map. The published
 * DeepLab files carry no labels, so {@link ImageSegmenter} names the classes of a 21-class model without
 * labels from here; the library reads no label file.
 */
public final class PascalVoc {
    /** The classes in index order, 0 = background, as the VOC devkit and DeepLab number them. */
    public static final List<String> LABELS = List.of("background", "aeroplane", "bicycle", "bird", "boat",
            "bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
            "pottedplant", "sheep", "sofa", "train", "tvmonitor");

    /** Ground-truth masks mark pixels left out of training and evaluation with this value. */
    public static final int IGNORE_LABEL = 255;

    private PascalVoc() {}

    /**
     * The VOC devkit's colour of class {@code index} as 0xRRGGBB: the index's bits are dealt out to red,
     * green and blue in turn, each triple filling the next lower bit of the three channels starting at the
     * top one (class 1 is dark red 0x800000, 15 "person" 0xC08080, 255 the void colour 0xE0E0C0). Distinct
     * for every index below 2^24.
     */
    public static int color(int index) {
        if (index < 0 || index >= 1 << 24) {
            throw new IllegalArgumentException("class index must be from 0 to 2^24 - 1, got " + index);
        }
        int red = 0;
        int green = 0;
        int blue = 0;
        int bits = index;
        for (int shift = 7; shift >= 0; shift--) {
            red |= (bits & 1) << shift;
            green |= ((bits >> 1) & 1) << shift;
            blue |= ((bits >> 2) & 1) << shift;
            bits >>= 3;
        }
        return (red << 16) | (green << 8) | blue;
    }
}
