package dev.mnv2.load;

import dev.mnv2.model.DeepLabV3Config;
import dev.mnv2.model.NetworkConfig;
import java.util.Locale;

/**
 * What a loaded network's logits are for: one score per class for the whole image
 * ({@link dev.mnv2.image.ImageClassifier} adds the softmax) or one per class at every pixel
 * ({@link dev.mnv2.image.ImageSegmenter} adds the argmax).
 */
public enum Task {
    /** Whole-image class scores (MobileNetV2, MobileNetV1). */
    CLASSIFICATION,
    /** Per-pixel class scores (Mobile DeepLabv3). */
    SEGMENTATION;

    /** The task of a network built from {@code config}: its architecture decides. */
    public static Task of(NetworkConfig config) {
        return config instanceof DeepLabV3Config ? SEGMENTATION : CLASSIFICATION;
    }

    /** The lower-case name written into model files' metadata ({@code classification}). */
    public String metadataName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The task whose {@link #metadataName()} is {@code name}; IllegalArgumentException for any other. */
    public static Task fromMetadataName(String name) {
        for (Task task : values()) {
            if (task.metadataName().equals(name)) {
                return task;
            }
        }
        throw new IllegalArgumentException("task must be classification or segmentation, got '" + name + "'");
    }
}
