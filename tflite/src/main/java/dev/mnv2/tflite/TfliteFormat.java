package dev.mnv2.tflite;

import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The {@code .tflite} reader of {@link dev.mnv2.load.Models}, registered as a {@link ModelFormat} service. */
public final class TfliteFormat implements ModelFormat {
    /** The instance {@link java.util.ServiceLoader} makes. */
    public TfliteFormat() {}

    @Override
    public List<String> extensions() {
        return List.of(".tflite");
    }

    @Override
    public LoadedModel load(Path file) throws IOException {
        return TfliteModels.load(file).loaded();
    }
}
