package dev.mnv2.load;

import dev.mnv2.util.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The two ways model files store class labels, read in one place: a text file with one label per line
 * (TFLite metadata, {@code imagenet_labels.txt}, the CLI's {@code --labels}) and a JSON array of strings
 * (mnv2's ONNX and safetensors metadata).
 */
public final class Labels {
    private Labels() {}

    /** One label per non-blank line, stripped, in order (line i is class i). */
    public static List<String> fromLines(String text) {
        List<String> labels = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            if (!line.isBlank()) {
                labels.add(line.strip());
            }
        }
        return labels;
    }

    /** The labels of a UTF-8 label file, as {@link #fromLines}. */
    public static List<String> read(Path file) throws IOException {
        return fromLines(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** {@code labels} as a JSON array of strings. */
    public static String toJson(List<String> labels) {
        return Json.write(labels);
    }

    /** The labels of a JSON array of strings; IllegalArgumentException for any other JSON or text. */
    public static List<String> fromJson(String json) {
        try {
            if (Json.parse(json) instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                return list.stream().map(String.class::cast).toList();
            }
        } catch (Json.ParseException e) {
            // reported below, as any other value that is no array of strings
        }
        throw new IllegalArgumentException("labels are not a JSON array of strings");
    }
}
