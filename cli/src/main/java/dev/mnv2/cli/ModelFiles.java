package dev.mnv2.cli;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.OnnxImporter;
import dev.mnv2.safetensors.Checkpoint;
import dev.mnv2.tflite.TfliteModel;
import dev.mnv2.tflite.TfliteModels;
import dev.mnv2.zoo.ModelStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** Loads a {@code --model} argument: a known name or a path, read by its extension. */
final class ModelFiles {
    private ModelFiles() {}

    /**
     * A loaded network and the pixel scaling it was trained with: a TFLite file states its own; ONNX and
     * safetensors files get the convention of the layout they hold ({@link PixelScaling#conventionOf}).
     */
    record Loaded(Network network, PixelScaling scaling) {}

    static Loaded load(String nameOrPath) throws IOException {
        Path file = ModelStore.defaults().resolve(nameOrPath);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".tflite")) {
            TfliteModel model = TfliteModels.load(file);
            return new Loaded(model.network(), model.inputScaling());
        }
        Network network;
        if (name.endsWith(".onnx")) {
            network = OnnxImporter.read(file);
        } else if (name.endsWith(".safetensors")) {
            network = Checkpoint.load(file);
        } else {
            throw new IOException(file + ": unknown model file type; expected .tflite, .onnx or .safetensors");
        }
        return new Loaded(network, PixelScaling.conventionOf(network.config()));
    }
}
