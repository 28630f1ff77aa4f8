package dev.mnv2.cli;

import dev.mnv2.model.Network;
import dev.mnv2.onnx.OnnxImporter;
import dev.mnv2.safetensors.Checkpoint;
import dev.mnv2.tflite.TfliteModels;
import dev.mnv2.zoo.ModelStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** Loads a {@code --model} argument: a known name or a path, read by its extension. */
final class ModelFiles {
    private ModelFiles() {}

    static Network load(String nameOrPath) throws IOException {
        Path file = ModelStore.defaults().resolve(nameOrPath);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return OnnxImporter.read(file);
        }
        if (name.endsWith(".safetensors")) {
            return Checkpoint.load(file);
        }
        if (name.endsWith(".tflite")) {
            return TfliteModels.load(file).network();
        }
        throw new IOException(file + ": unknown model file type; expected .tflite, .onnx or .safetensors");
    }
}
