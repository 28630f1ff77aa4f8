package dev.mnv2.model;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Knobs of a MobileNetV2 (see {@link MobileNetV2#builder()}).
 *
 * @param width width multiplier α applied to every layer but the last 1×1 conv (kept at 1280 for α ≤ 1)
 * @param expansion expansion factor replacing Table 2's t = 6 in every block, or 0 to keep Table 2
 * @param bottleneckActivation activation after each block's projection: IDENTITY is the paper's linear
 *     bottleneck, RELU6 the Fig. 6a ablation
 * @param padding SAME (TensorFlow, the published weights) or symmetric (torchvision)
 * @param dropout dropout rate before the classifier (training only)
 * @param outputStride ratio of the input size to the backbone's feature map: 32 as Table 2, or 16 or 8,
 *     where the later strides become dilations (DeepLab's atrous convolution)
 * @param variant IMAGENET (Table 2's strides) or CIFAR (stem and the 24-channel stage at stride 1, the
 *     usual adaptation to 32×32 inputs)
 */
public record MobileNetV2Config(
        double width,
        int inputHeight,
        int inputWidth,
        int classes,
        int expansion,
        Activation bottleneckActivation,
        Shortcut shortcut,
        Padding padding,
        double dropout,
        float batchNormEpsilon,
        int outputStride,
        Variant variant)
        implements NetworkConfig {
    /** Table 2's output stride: five stride-2 layers. */
    public static final int DEFAULT_OUTPUT_STRIDE = 32;

    /** Which strides Table 2's rows get. */
    public enum Variant {
        /** Table 2 as printed: input downsampled 32× by the last bottleneck. */
        IMAGENET,
        /**
         * For 32×32 images (CIFAR-10): the stem and the first 24-channel block at stride 1, so the last
         * bottleneck sees 4×4 rather than 1×1.
         */
        CIFAR;

        /** {@code imagenet} or {@code cifar}, any case. */
        public static Variant parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("variant must be imagenet or cifar, got " + name);
            }
        }
    }

    public MobileNetV2Config {
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(bottleneckActivation, "bottleneckActivation");
        Objects.requireNonNull(shortcut, "shortcut");
        Objects.requireNonNull(padding, "padding");
        NetworkConfig.validate(width, inputHeight, inputWidth, classes, dropout, batchNormEpsilon);
        if (expansion < 0) {
            throw new IllegalArgumentException("expansion factor must be > 0 (or 0 for Table 2), got " + expansion);
        }
        if (outputStride != 8 && outputStride != 16 && outputStride != 32) {
            throw new IllegalArgumentException("output stride must be 8, 16 or 32, got " + outputStride);
        }
    }

    @Override
    public String architecture() {
        return "mobilenet_v2";
    }

    @Override
    public NetworkSpec spec() {
        return MobileNetV2.spec(this);
    }

    @Override
    public Map<String, String> toMap() {
        Map<String, String> map = NetworkConfig.commonEntries(this);
        map.put("expansion", Integer.toString(expansion));
        map.put("bottleneck", bottleneckActivation == Activation.IDENTITY
                ? "linear" : bottleneckActivation.name().toLowerCase(Locale.ROOT));
        map.put("shortcut", shortcut.name().toLowerCase(Locale.ROOT));
        map.put("outputStride", Integer.toString(outputStride));
        map.put("variant", variant.name().toLowerCase(Locale.ROOT));
        return map;
    }

    /** Inverse of {@link #toMap()}; throws IllegalArgumentException naming a missing or bad entry. */
    public static MobileNetV2Config fromMap(Map<String, String> map) {
        MobileNetV2.Builder b = MobileNetV2.builder()
                .width(parseDouble(map, "width"))
                .resolution(parseInt(map, "inputHeight"), parseInt(map, "inputWidth"))
                .classes(parseInt(map, "classes"));
        if (map.containsKey("expansion")) b.expansion(parseInt(map, "expansion"));
        if (map.containsKey("bottleneck")) b.bottleneck(map.get("bottleneck"));
        if (map.containsKey("shortcut")) b.shortcut(map.get("shortcut"));
        if (map.containsKey("outputStride")) b.outputStride(parseInt(map, "outputStride"));
        if (map.containsKey("variant")) b.variant(Variant.parse(map.get("variant")));
        if (map.containsKey("padding")) b.padding(parsePadding(map.get("padding")));
        if (map.containsKey("dropout")) b.dropout(parseDouble(map, "dropout"));
        if (map.containsKey("batchNormEpsilon")) b.batchNormEpsilon((float) parseDouble(map, "batchNormEpsilon"));
        return b.config();
    }

    /** The inverse of {@link NetworkConfig#commonEntries}' {@code padding}: {@code same} or {@code symmetric}. */
    static Padding parsePadding(String name) {
        return switch (name) {
            case "same" -> Padding.same();
            case "symmetric" -> Padding.symmetric(1);
            default -> throw new IllegalArgumentException("config entry 'padding' must be same or symmetric, got " + name);
        };
    }

    static int parseInt(Map<String, String> map, String key) {
        String v = map.get(key);
        try {
            return Integer.parseInt(Objects.requireNonNull(v));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config entry '" + key + "' must be an integer, got " + v);
        }
    }

    static double parseDouble(Map<String, String> map, String key) {
        String v = map.get(key);
        try {
            return Double.parseDouble(Objects.requireNonNull(v));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config entry '" + key + "' must be a number, got " + v);
        }
    }

    @Override
    public MobileNetV2Config withResolution(int height, int width) {
        return new MobileNetV2Config(this.width, height, width, classes, expansion, bottleneckActivation, shortcut,
                padding, dropout, batchNormEpsilon, outputStride, variant);
    }

    @Override
    public MobileNetV2Config withClasses(int count) {
        return new MobileNetV2Config(width, inputHeight, inputWidth, count, expansion, bottleneckActivation, shortcut,
                padding, dropout, batchNormEpsilon, outputStride, variant);
    }
}
