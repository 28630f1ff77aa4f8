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
        NetworkConfig.validate(width, inputHeight, inputWidth, classes, dropout);
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
