package dev.mnv2.load;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A reader of one model file format, found by {@link java.util.ServiceLoader}: a format module lists its
 * implementation in {@code META-INF/services/dev.mnv2.load.ModelFormat} ({@code mnv2-tflite} registers
 * TFLite, {@code mnv2-interop} ONNX and safetensors), so {@link Models#load} reads a format whenever its
 * module is on the classpath. Implementations need a public no-argument constructor.
 */
public interface ModelFormat {
    /** The lower-case file name endings this format reads, with their dot, e.g. {@code .tflite}. */
    List<String> extensions();

    /**
     * Reads the model in {@code file}.
     *
     * @throws ModelFormatException (the format's own subtype) when the file is not a model this reader
     *     understands, naming the file and the part at fault
     * @throws IOException when the file cannot be read
     */
    LoadedModel load(Path file) throws IOException;
}
