package dev.mnv2.model;

import java.util.Map;
import java.util.Objects;

/**
 * Knobs of a Mobile DeepLabv3 (paper §6.3, Table 7's "MNV2*, OS 16, no ASPP, no MF" row): a MobileNetV2
 * backbone and the segmentation head of {@link DeepLabV3#create}.
 *
 * @param backbone the feature extractor's knobs; its output stride sets the logits' resolution and its
 *     class count is unused
 * @param classes segmentation classes (21 for PASCAL VOC, background included)
 * @param headChannels channels of the head's 1×1 convolutions (256 in the paper)
 * @param alignCorners the bilinear resizes align corners (TensorFlow DeepLab, the published file) or use
 *     half-pixel centres (torchvision's {@code align_corners=False})
 */
public record DeepLabV3Config(MobileNetV2Config backbone, int classes, int headChannels, boolean alignCorners)
        implements NetworkConfig {
    public DeepLabV3Config {
        Objects.requireNonNull(backbone, "backbone");
        if (classes <= 0) {
            throw new IllegalArgumentException("classes must be > 0, got " + classes);
        }
        if (headChannels <= 0) {
            throw new IllegalArgumentException("head channels must be > 0, got " + headChannels);
        }
    }

    @Override
    public String architecture() {
        return "deeplabv3_mobilenet_v2";
    }

    @Override
    public double width() {
        return backbone.width();
    }

    @Override
    public int inputHeight() {
        return backbone.inputHeight();
    }

    @Override
    public int inputWidth() {
        return backbone.inputWidth();
    }

    @Override
    public Padding padding() {
        return backbone.padding();
    }

    /** The head has no dropout at inference; training adds its own. */
    @Override
    public double dropout() {
        return 0;
    }

    @Override
    public float batchNormEpsilon() {
        return backbone.batchNormEpsilon();
    }

    @Override
    public NetworkSpec spec() {
        return DeepLabV3.spec(this);
    }

    @Override
    public Map<String, String> toMap() {
        Map<String, String> map = NetworkConfig.commonEntries(this);
        Map<String, String> backboneMap = backbone.toMap();
        for (String key : new String[] {"expansion", "bottleneck", "shortcut", "outputStride"}) {
            map.put(key, backboneMap.get(key));
        }
        map.put("headChannels", Integer.toString(headChannels));
        map.put("alignCorners", Boolean.toString(alignCorners));
        return map;
    }

    /** Inverse of {@link #toMap()}; throws IllegalArgumentException naming a missing or bad entry. */
    public static DeepLabV3Config fromMap(Map<String, String> map) {
        String align = map.get("alignCorners");
        if (!"true".equals(align) && !"false".equals(align)) {
            throw new IllegalArgumentException("config entry 'alignCorners' must be true or false, got " + align);
        }
        return new DeepLabV3Config(MobileNetV2Config.fromMap(map), MobileNetV2Config.parseInt(map, "classes"),
                MobileNetV2Config.parseInt(map, "headChannels"), Boolean.parseBoolean(align));
    }

    @Override
    public DeepLabV3Config withResolution(int height, int width) {
        return new DeepLabV3Config(backbone.withResolution(height, width), classes, headChannels, alignCorners);
    }

    @Override
    public DeepLabV3Config withClasses(int count) {
        return new DeepLabV3Config(backbone, count, headChannels, alignCorners);
    }
}
