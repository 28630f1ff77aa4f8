package dev.mnv2.tflite;

import dev.mnv2.load.InputSpec;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.model.Network;
import java.util.Objects;

/**
 * A model read from a TFLite file: the loaded model (network with dequantised float32 weights, the input
 * spec its input tensor's quantisation and embedded labels give) and the type its weights were stored in.
 *
 * @param loaded the network, input spec and task, as {@link dev.mnv2.load.Models#load} returns them
 * @param weightType the stored weight type: float32, float16, uint8 or int8 (joined by + when mixed)
 */
public record TfliteModel(LoadedModel loaded, String weightType) {
    public TfliteModel {
        Objects.requireNonNull(loaded, "loaded");
        Objects.requireNonNull(weightType, "weightType");
    }

    /** The network, ending in logits. */
    public Network network() {
        return loaded.network();
    }

    /** The input size, pixel scaling and labels. */
    public InputSpec input() {
        return loaded.input();
    }
}
