package dev.mnv2.zoo;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A published model that {@link ModelStore} can fetch by name.
 *
 * @param name what users type ({@code mobilenet_v2_1.0_224_quant})
 * @param fileName the file in the cache and in $MNV2_MODELS
 * @param path the file's path under the store's base URL
 * @param sha256 lower-case hex SHA-256 of the file, checked on every download and cache hit
 * @param description one line for listings
 */
public record KnownModel(String name, String fileName, String path, String sha256, String description) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public KnownModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(description, "description");
        sha256 = sha256.toLowerCase(Locale.ROOT);
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException(name + ": SHA-256 must be 64 hex digits, got " + sha256);
        }
        if (fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
            throw new IllegalArgumentException(name + ": file name must be a plain name, got " + fileName);
        }
    }
}
