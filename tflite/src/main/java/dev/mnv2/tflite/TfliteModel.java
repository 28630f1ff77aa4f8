package dev.mnv2.tflite;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import java.util.Objects;

/**
 * A MobileNetV2 classifier read from a TFLite file: the network with dequantised float32 weights (and the
 * labels embedded in the file, when it has them), and the pixel scaling its input expects.
 *
 * @param weightType the stored weight type: float32, float16, uint8 or int8
 */
public record TfliteModel(Network network, PixelScaling inputScaling, String weightType) {
    public TfliteModel {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(inputScaling, "inputScaling");
        Objects.requireNonNull(weightType, "weightType");
    }

    public MobileNetV2Config config() {
        return (MobileNetV2Config) network.config();
    }
}
