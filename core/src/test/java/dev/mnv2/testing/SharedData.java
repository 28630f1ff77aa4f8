package dev.mnv2.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared real data (models, images, datasets) that tests read through environment variables.
 * When a variable is unset the calling test is skipped with a message saying what to set; .ci/run sets
 * both and fails itself when the files are missing, so in CI these tests always run.
 */
public final class SharedData {
    public static final String MODELS = "MNV2_MODELS";
    public static final String DATA = "MNV2_DATA";

    private SharedData() {}

    /** A file under $MNV2_MODELS, or the test is skipped. */
    public static Path model(String fileName) {
        return file(MODELS, fileName);
    }

    /** A file under $MNV2_DATA (e.g. {@code images/cat.bmp}), or the test is skipped. */
    public static Path data(String relativePath) {
        return file(DATA, relativePath);
    }

    /** A folder under $MNV2_DATA (e.g. {@code datasets/cifar10/train}), or the test is skipped. */
    public static Path dataFolder(String relativePath) {
        Path path = root(DATA).resolve(relativePath);
        if (!Files.isDirectory(path)) {
            throw new AssertionError(DATA + " is set but the folder " + path + " is missing");
        }
        return path;
    }

    private static Path root(String variable) {
        String root = System.getenv(variable);
        assumeTrue(root != null && !root.isBlank(),
                "set " + variable + " to the shared data folder (e.g. ../shared" + (variable.equals(MODELS) ? "/models" : "")
                        + ") to run this test");
        return Path.of(root);
    }

    private static Path file(String variable, String relativePath) {
        Path path = root(variable).resolve(relativePath);
        if (!Files.isRegularFile(path)) {
            throw new AssertionError(variable + " is set but " + path + " is missing");
        }
        return path;
    }
}
