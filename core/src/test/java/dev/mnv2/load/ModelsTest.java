package dev.mnv2.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.ImageClassifier;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.zoo.KnownModel;
import dev.mnv2.zoo.ModelNotFoundException;
import dev.mnv2.zoo.ModelStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade's dispatch and failures; core's own classpath has no format module, so each test brings one. */
class ModelsTest {
    @TempDir
    Path dir;

    /** A format that records the files it was asked for and returns one small model. */
    private static final class FakeFormat implements ModelFormat {
        final List<Path> loaded = new ArrayList<>();
        final LoadedModel model = LoadedModel.of(MobileNetV2.builder().width(0.35).resolution(32).classes(2).build());

        @Override
        public List<String> extensions() {
            return List.of(".fake");
        }

        @Override
        public LoadedModel load(Path file) {
            loaded.add(file);
            return model;
        }
    }

    private static void assertOneLine(Exception e, String... fragments) {
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), e.getMessage());
        }
    }

    @Test
    void aFileGoesToTheFormatOfItsExtensionInAnyCase() throws Exception {
        FakeFormat fake = new FakeFormat();
        Path file = Files.write(dir.resolve("Model.FAKE"), new byte[] {1});

        assertSame(fake.model, Models.load(file, List.of(fake)));
        assertEquals(List.of(file), fake.loaded);
    }

    @Test
    void missingFilesAndFoldersAreNotFound() {
        ModelNotFoundException missing = assertThrows(ModelNotFoundException.class,
                () -> Models.load(dir.resolve("absent.fake"), List.of(new FakeFormat())));
        assertOneLine(missing, "model file not found", "absent.fake");
        ModelNotFoundException folder = assertThrows(ModelNotFoundException.class,
                () -> Models.load(dir, List.of(new FakeFormat())));
        assertOneLine(folder, dir.toString(), "folder");
    }

    @Test
    void anUnknownExtensionListsTheKnownOnes() throws Exception {
        Path file = Files.write(dir.resolve("weights.bin"), new byte[] {1});

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Models.load(file, List.of(new FakeFormat())));

        assertOneLine(e, file.toString(), "unknown model file type", ".fake", ".tflite", ".onnx", ".safetensors");
    }

    @Test
    void aProjectFormatWithoutItsModuleNamesTheArtifactToAdd() throws Exception {
        assertTrue(Models.formats().isEmpty(), "core's tests run without any format module");
        for (String[] c : new String[][] {{"m.tflite", "dev.mnv2:mnv2-tflite"}, {"m.onnx", "dev.mnv2:mnv2-interop"},
                {"m.safetensors", "dev.mnv2:mnv2-interop"}}) {
            Path file = Files.write(dir.resolve(c[0]), new byte[] {1});
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Models.load(file));
            assertOneLine(e, file.toString(), c[1], "classpath");
        }
    }

    @Test
    void namesAreResolvedByTheStoreBeforeTheFormatIsChosen() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("models"));
        Files.write(folder.resolve("tiny_model.tflite"), new byte[] {1});
        KnownModel tiny = new KnownModel("tiny_model", "tiny_model.tflite", "tiny_model.tflite", "0".repeat(64), "tiny");
        ModelStore store = new ModelStore(List.of(tiny), List.of(folder), dir.resolve("cache"),
                URI.create("http://127.0.0.1:9/"), Duration.ofSeconds(1));

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Models.load("tiny_model", store));
        assertOneLine(e, folder.resolve("tiny_model.tflite").toString(), "dev.mnv2:mnv2-tflite");

        ModelNotFoundException unknown = assertThrows(ModelNotFoundException.class, () -> Models.load("mobilenet_v3", store));
        assertOneLine(unknown, "unknown model 'mobilenet_v3'", "tiny_model");
    }

    @Test
    void thePretrainedOneLinerSaysWhatIsMissing() throws IOException {
        Path file = Files.write(dir.resolve("m.onnx"), new byte[] {1});
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ImageClassifier.pretrained(file.toString()));
        assertOneLine(e, "dev.mnv2:mnv2-interop");
    }
}
