package dev.mnv2.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Knobs of a MobileNetV1 (Howard et al., 2017), built for the comparisons the MobileNetV2 paper makes. */
public record MobileNetV1Config(
        double width, int inputHeight, int inputWidth, int classes, Padding padding, double dropout,
        float batchNormEpsilon)
        implements NetworkConfig {

    public MobileNetV1Config {
        Objects.requireNonNull(padding, "padding");
        if (!(width > 0) || Double.isInfinite(width)) {
            throw new IllegalArgumentException("width multiplier must be > 0, got " + width);
        }
        if (inputHeight < MobileNetV2Config.MIN_RESOLUTION || inputWidth < MobileNetV2Config.MIN_RESOLUTION) {
            throw new IllegalArgumentException("resolution must be at least " + MobileNetV2Config.MIN_RESOLUTION
                    + ", got " + inputHeight + "x" + inputWidth);
        }
        if (classes <= 0) {
            throw new IllegalArgumentException("classes must be > 0, got " + classes);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
    }

    @Override
    public String architecture() {
        return "mobilenet_v1";
    }

    @Override
    public Network create() {
        return MobileNetV1.create(this);
    }

    @Override
    public Map<String, String> toMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("architecture", architecture());
        map.put("width", Double.toString(width));
        map.put("inputHeight", Integer.toString(inputHeight));
        map.put("inputWidth", Integer.toString(inputWidth));
        map.put("classes", Integer.toString(classes));
        map.put("padding", padding.tensorflowSame() ? "same" : "symmetric");
        map.put("dropout", Double.toString(dropout));
        map.put("batchNormEpsilon", Float.toString(batchNormEpsilon));
        return map;
    }
}
