package dev.mnv2.model;

import java.util.Map;
import java.util.Objects;

/** Knobs of a MobileNetV1 (Howard et al., 2017), built for the comparisons the MobileNetV2 paper makes. */
public record MobileNetV1Config(
        double width, int inputHeight, int inputWidth, int classes, Padding padding, double dropout,
        float batchNormEpsilon)
        implements NetworkConfig {

    public MobileNetV1Config {
        Objects.requireNonNull(padding, "padding");
        NetworkConfig.validate(width, inputHeight, inputWidth, classes, dropout, batchNormEpsilon);
    }

    @Override
    public String architecture() {
        return "mobilenet_v1";
    }

    @Override
    public NetworkSpec spec() {
        return MobileNetV1.spec(this);
    }

    @Override
    public Map<String, String> toMap() {
        return NetworkConfig.commonEntries(this);
    }

    @Override
    public MobileNetV1Config withResolution(int height, int width) {
        return new MobileNetV1Config(this.width, height, width, classes, padding, dropout, batchNormEpsilon);
    }

    @Override
    public MobileNetV1Config withClasses(int count) {
        return new MobileNetV1Config(width, inputHeight, inputWidth, count, padding, dropout, batchNormEpsilon);
    }
}
