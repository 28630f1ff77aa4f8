package dev.mnv2.image;

import java.util.Objects;

/** The class of every pixel of an image, row by row: what a segmentation network's argmax gives. */
public record SegmentationMap(int height, int width, int[] classes) {
    public SegmentationMap {
        Objects.requireNonNull(classes, "classes");
        if (height <= 0 || width <= 0 || classes.length != (long) height * width) {
            throw new IllegalArgumentException("a " + height + "x" + width + " map needs " + (long) height * width
                    + " classes, got " + classes.length);
        }
    }

    public int at(int y, int x) {
        return classes[y * width + x];
    }
}
