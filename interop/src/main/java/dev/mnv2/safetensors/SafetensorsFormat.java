package dev.mnv2.safetensors;

import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The {@code .safetensors} reader of {@link dev.mnv2.load.Models}, registered as a {@link ModelFormat} service. */
public final class SafetensorsFormat implements ModelFormat {
    /** The instance {@link java.util.ServiceLoader} makes. */
    public SafetensorsFormat() {}

    @Override
    public List<String> extensions() {
        return List.of(".safetensors");
    }

    @Override
    public LoadedModel load(Path file) throws IOException {
        return Checkpoint.load(file);
    }
}
