package dev.mnv2.load;

import dev.mnv2.zoo.ModelNotFoundException;
import dev.mnv2.zoo.ModelStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The one way to load a model, whatever its format: a known name or a file path in, a {@link LoadedModel}
 * (network, input spec, task) out. The command-line tool and any server only call this.
 *
 * <pre>{@code
 * LoadedModel model = Models.load("mobilenet_v2_1.0_224_quant");     // a known name, fetched if need be
 * LoadedModel exported = Models.load(Path.of("mobilenet_v2.onnx"));  // .tflite, .onnx or .safetensors
 * }</pre>
 *
 * <p>Names are resolved by {@link ModelStore} ($MNV2_MODELS, then the cache, then a SHA-256-checked
 * download). Files are read by the {@link ModelFormat} registered for their extension; the formats live in
 * the modules {@code mnv2-tflite} (TFLite) and {@code mnv2-interop} (ONNX, safetensors), which register
 * themselves when they are on the classpath. Failures are a {@link ModelNotFoundException} (no such name or
 * file) or a {@link ModelFormatException} (unknown file type, missing format module, or a file its reader
 * refuses), each with a one-line message naming the file.
 */
public final class Models {
    /** The modules that provide the formats of this project, for the message when one is missing. */
    private static final List<Map.Entry<String, String>> MODULE_OF_EXTENSION = List.of(
            Map.entry(".tflite", "dev.mnv2:mnv2-tflite"),
            Map.entry(".onnx", "dev.mnv2:mnv2-interop"),
            Map.entry(".safetensors", "dev.mnv2:mnv2-interop"));

    private Models() {}

    /** Loads a known model name or a model file path, resolving names with {@link ModelStore#defaults()}. */
    public static LoadedModel load(String nameOrPath) throws IOException {
        return load(nameOrPath, ModelStore.defaults());
    }

    /** Loads a known model name (resolved by {@code store}) or a model file path. */
    public static LoadedModel load(String nameOrPath, ModelStore store) throws IOException {
        return load(store.resolve(nameOrPath));
    }

    /** Loads the model file {@code file}, read by the format its extension names. */
    public static LoadedModel load(Path file) throws IOException {
        return load(file, formats());
    }

    /** The formats on the classpath, as {@link ServiceLoader} finds them. */
    public static List<ModelFormat> formats() {
        List<ModelFormat> found = new ArrayList<>();
        ServiceLoader.load(ModelFormat.class).forEach(found::add);
        return found;
    }

    /** Loads {@code file} with the first of {@code formats} that reads its extension. */
    static LoadedModel load(Path file, List<ModelFormat> formats) throws IOException {
        if (Files.isDirectory(file)) {
            throw new ModelNotFoundException(file + " is a folder, not a model file");
        }
        if (!Files.exists(file)) {
            throw new ModelNotFoundException("model file not found: " + file);
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (ModelFormat format : formats) {
            for (String extension : format.extensions()) {
                if (name.endsWith(extension)) {
                    return format.load(file);
                }
            }
        }
        for (Map.Entry<String, String> e : MODULE_OF_EXTENSION) {
            if (name.endsWith(e.getKey())) {
                throw new ModelFormatException(file + ": reading " + e.getKey() + " files needs " + e.getValue()
                        + " on the classpath");
            }
        }
        Set<String> known = new LinkedHashSet<>();
        formats.forEach(f -> known.addAll(f.extensions()));
        MODULE_OF_EXTENSION.forEach(e -> known.add(e.getKey()));
        throw new ModelFormatException(file + ": unknown model file type; expected " + String.join(", ", known));
    }
}
