package dev.mnv2.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** The knobs a network was built from; enough to rebuild its architecture. */
public sealed interface NetworkConfig permits MobileNetV2Config, MobileNetV1Config, DeepLabV3Config {
    /** Short architecture name, e.g. {@code mobilenet_v2}. */
    String architecture();

    double width();

    int inputHeight();

    int inputWidth();

    int classes();

    /** TensorFlow SAME or PyTorch's symmetric padding of the 3×3 convolutions. */
    Padding padding();

    double dropout();

    float batchNormEpsilon();

    /** The same knobs at another input size (fine-tuning at a new resolution). */
    NetworkConfig withResolution(int height, int width);

    /** The same knobs with another class count (a new classifier). */
    NetworkConfig withClasses(int classes);

    /** The architecture of this configuration without its parameters (nothing is allocated). */
    NetworkSpec spec();

    /** The architecture built from this configuration, with zero weights and identity batch norms. */
    default Network create() {
        return spec().create();
    }

    /** Every knob as a string, for checkpoint metadata. */
    Map<String, String> toMap();

    /** The entries of {@link #toMap()} that every MobileNet has, in their standard order. */
    static Map<String, String> commonEntries(NetworkConfig config) {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("architecture", config.architecture());
        map.put("width", Double.toString(config.width()));
        map.put("inputHeight", Integer.toString(config.inputHeight()));
        map.put("inputWidth", Integer.toString(config.inputWidth()));
        map.put("classes", Integer.toString(config.classes()));
        map.put("padding", config.padding().tensorflowSame() ? "same" : "symmetric");
        map.put("dropout", Double.toString(config.dropout()));
        map.put("batchNormEpsilon", Float.toString(config.batchNormEpsilon()));
        return map;
    }

    /** Smallest input side the MobileNets accept: five stride-2 stages leave at least 1×1. */
    int MIN_RESOLUTION = 32;

    /** Checks the knobs every MobileNet shares; throws IllegalArgumentException naming the bad one. */
    static void validate(double width, int inputHeight, int inputWidth, int classes, double dropout,
                         float batchNormEpsilon) {
        if (!(width > 0) || Double.isInfinite(width)) {
            throw new IllegalArgumentException("width multiplier must be > 0, got " + width);
        }
        if (inputHeight < MIN_RESOLUTION || inputWidth < MIN_RESOLUTION) {
            throw new IllegalArgumentException("resolution must be at least " + MIN_RESOLUTION + ", got "
                    + inputHeight + "x" + inputWidth);
        }
        if (classes <= 0) {
            throw new IllegalArgumentException("classes must be > 0, got " + classes);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        BatchNorm.checkEpsilon(batchNormEpsilon);
    }
}
