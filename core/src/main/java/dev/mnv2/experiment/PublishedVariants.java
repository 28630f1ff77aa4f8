package dev.mnv2.experiment;

import java.util.List;

/**
 * The reference implementation's table of its 22 ImageNet checkpoints (TF-slim, {@code research/slim/nets/
 * mobilenet/README.md}, "Mobilenet V2 Imagenet Checkpoints"): width multiplier, resolution, millions of MACs and
 * parameters, top-1 and top-5 in percent, and the published latency on a Pixel 1's large core in ms.
 */
public final class PublishedVariants {
    /** One row of the table. */
    public record Variant(double width, int resolution, int macsMillions, double parametersMillions, double top1,
                          double top5, double pixel1Ms) {
        /** {@code 1.0/224}. */
        public String name() {
            return width + "/" + resolution;
        }
    }

    /** The 22 rows, in the table's order (widest first, then by falling resolution). */
    public static final List<Variant> ALL = List.of(
            new Variant(1.4, 224, 582, 6.06, 75.0, 92.5, 138.0),
            new Variant(1.3, 224, 509, 5.34, 74.4, 92.1, 123.0),
            new Variant(1.0, 224, 300, 3.47, 71.8, 91.0, 73.8),
            new Variant(1.0, 192, 221, 3.47, 70.7, 90.1, 55.1),
            new Variant(1.0, 160, 154, 3.47, 68.8, 89.0, 40.2),
            new Variant(1.0, 128, 99, 3.47, 65.3, 86.9, 27.6),
            new Variant(1.0, 96, 56, 3.47, 60.3, 83.2, 17.6),
            new Variant(0.75, 224, 209, 2.61, 69.8, 89.6, 55.8),
            new Variant(0.75, 192, 153, 2.61, 68.7, 88.9, 41.6),
            new Variant(0.75, 160, 107, 2.61, 66.4, 87.3, 30.4),
            new Variant(0.75, 128, 69, 2.61, 63.2, 85.3, 21.9),
            new Variant(0.75, 96, 39, 2.61, 58.8, 81.6, 14.2),
            new Variant(0.5, 224, 97, 1.95, 65.4, 86.4, 28.7),
            new Variant(0.5, 192, 71, 1.95, 63.9, 85.4, 21.1),
            new Variant(0.5, 160, 50, 1.95, 61.0, 83.2, 14.9),
            new Variant(0.5, 128, 32, 1.95, 57.7, 80.8, 9.9),
            new Variant(0.5, 96, 18, 1.95, 51.2, 75.8, 6.4),
            new Variant(0.35, 224, 59, 1.66, 60.3, 82.9, 19.7),
            new Variant(0.35, 192, 43, 1.66, 58.2, 81.2, 14.6),
            new Variant(0.35, 160, 30, 1.66, 55.7, 79.1, 10.5),
            new Variant(0.35, 128, 20, 1.66, 50.8, 75.0, 6.9),
            new Variant(0.35, 96, 11, 1.66, 45.5, 70.4, 4.5));

    private PublishedVariants() {}
}
