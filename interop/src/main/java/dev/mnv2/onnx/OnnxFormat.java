package dev.mnv2.onnx;

import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The {@code .onnx} reader of {@link dev.mnv2.load.Models}, registered as a {@link ModelFormat} service. */
public final class OnnxFormat implements ModelFormat {
    /** The instance {@link java.util.ServiceLoader} makes. */
    public OnnxFormat() {}

    @Override
    public List<String> extensions() {
        return List.of(".onnx");
    }

    @Override
    public LoadedModel load(Path file) throws IOException {
        return OnnxImporter.read(file);
    }
}
