package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.testing.PublishedModelGoldens;
import dev.mnv2.testing.PublishedModelGoldens.Golden;
import dev.mnv2.testing.SharedData;
import dev.mnv2.util.Json;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClassifyCommandTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void defaultModelFindsTheCatsInOneRunAsJson() {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite"); // the default name resolves through $MNV2_MODELS
        String cat = SharedData.data("images/cat.bmp").toString();
        String cat720 = SharedData.data("images/cat_720p.jpg").toString();

        CliRun run = CliRun.of("classify", "--top", "3", "--format", "json", cat, cat720);

        assertEquals(0, run.exitCode(), run.err());
        List<Map<String, Object>> results = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(run.out()))
                .get("results");
        assertEquals(2, results.size());
        assertEquals(cat, results.get(0).get("image"));
        for (Map<String, Object> result : results) {
            List<Map<String, Object>> top = (List<Map<String, Object>>) result.get("top");
            assertEquals(3, top.size());
            assertEquals(286L, top.get(0).get("index"));
            assertEquals("Egyptian cat", top.get(0).get("label"));
            assertTrue(((Number) top.get(0).get("score")).doubleValue() >= 0.7, result.toString());
        }
    }

    /** Regression guards (see {@link PublishedModelGoldens}): the command's defaults give the recorded top 5. */
    @ParameterizedTest
    @ValueSource(strings = {PublishedModelGoldens.TF1_UINT8, PublishedModelGoldens.TF2_INT8})
    @SuppressWarnings("unchecked")
    void defaultPreprocessingGivesTheRecordedTopFive(String name) {
        SharedData.model(name + ".tflite");
        List<Golden> goldens = PublishedModelGoldens.of(name);
        List<String> args = new ArrayList<>(List.of("classify", "--model", name, "--top", "5", "--format", "json"));
        for (Golden golden : goldens) {
            args.add(SharedData.data(golden.image()).toString());
        }

        CliRun run = CliRun.of(args.toArray(String[]::new));

        assertEquals(0, run.exitCode(), run.err());
        List<Map<String, Object>> results = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(run.out()))
                .get("results");
        for (int i = 0; i < goldens.size(); i++) {
            List<Map<String, Object>> top = (List<Map<String, Object>>) results.get(i).get("top");
            PublishedModelGoldens.assertTop5(goldens.get(i),
                    top.stream().mapToInt(t -> ((Number) t.get("index")).intValue()).toArray(),
                    top.stream().mapToDouble(t -> ((Number) t.get("score")).doubleValue()).toArray());
        }
    }

    /**
     * The exported file keeps the weights, labels and the source's own pixel scaling (its metadata), so it
     * classifies exactly as the TFLite file does: the same top 5, scores included (0.762 for the cat).
     */
    @Test
    @SuppressWarnings("unchecked")
    void exportedOnnxAndSafetensorsModelsClassifyLikeTheTfliteOne() {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        String cat = SharedData.data("images/cat.bmp").toString();
        CliRun source = CliRun.of("classify", "--top", "5", "--format", "json", cat);
        assertEquals(0, source.exitCode(), source.err());
        for (String extension : new String[] {"onnx", "safetensors"}) {
            Path exported = dir.resolve("model." + extension);
            CliRun export = CliRun.of("export", "--out", exported.toString());
            assertEquals(0, export.exitCode(), export.err());

            CliRun run = CliRun.of("classify", "--model", exported.toString(), "--top", "5", "--format", "json", cat);

            assertEquals(0, run.exitCode(), run.err());
            assertEquals(source.out(), run.out(), extension);
            Map<String, Object> best = ((List<Map<String, Object>>) ((List<Map<String, Object>>)
                    ((Map<String, Object>) Json.parse(run.out())).get("results")).get(0).get("top")).get(0);
            assertEquals(286L, best.get("index"), extension);
            assertEquals(0.762, ((Number) best.get("score")).doubleValue(), 0.0005, extension);
        }
    }

    @Test
    void normalizationCanBeChosenAndBadValuesAreUsageErrors() {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        String cat = SharedData.data("images/cat.bmp").toString();
        CliRun imagenet = CliRun.of("classify", "--normalize", "imagenet", "--top", "1", cat);
        assertEquals(0, imagenet.exitCode(), imagenet.err());
        CliRun tf = CliRun.of("classify", "--normalize", "tf", "--top", "1", cat);
        assertEquals(0, tf.exitCode(), tf.err());
        assertFalse(imagenet.out().equals(tf.out()), "the scaling reaches the network");
        CliRun bad = CliRun.of("classify", "--normalize", "caffe", cat);
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--normalize"), bad.err());
    }

    @Test
    void modelGivenAsAPathPrintsText() {
        Path model = SharedData.model("tf2_mobilenet_v2_1.0_224_ptq.tflite");
        String cat = SharedData.data("images/cat.bmp").toString();

        CliRun run = CliRun.of("classify", "--model", model.toString(), "--top", "2", cat);

        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().split("\n");
        assertEquals(3, lines.length, run.out());
        assertEquals(cat, lines[0]);
        assertTrue(lines[1].matches("\\s+\\d+\\.\\d\\d%\\s+286\\s+Egyptian cat"), lines[1]);
    }

    @Test
    void missingAndUnreadableImagesFailWithOneLine() throws Exception {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Path notAnImage = Files.writeString(dir.resolve("notes.jpg"), "not a JPEG");
        String cat = SharedData.data("images/cat.bmp").toString();

        CliRun run = CliRun.of("classify", dir.resolve("absent.png").toString(), notAnImage.toString(), cat);

        assertEquals(1, run.exitCode());
        List<String> errors = run.err().lines().toList();
        assertEquals(2, errors.size(), run.err());
        assertTrue(errors.get(0).contains("absent.png: image file not found"), errors.get(0));
        assertTrue(errors.get(1).contains("notes.jpg: not an image"), errors.get(1));
        assertTrue(run.out().contains("Egyptian cat"), "the readable image is still classified");
    }

    @Test
    void unknownModelNameAndBadModelFile() throws Exception {
        CliRun unknown = CliRun.of("classify", "--model", "mobilenet_v2_0.5_160", "cat.jpg");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().startsWith("mnv2: unknown model 'mobilenet_v2_0.5_160'"), unknown.err());
        assertTrue(unknown.err().contains("mobilenet_v2_1.0_224_quant"), unknown.err());

        Path garbage = Files.write(dir.resolve("garbage.tflite"), new byte[4096]);
        CliRun bad = CliRun.of("classify", "--model", garbage.toString(), "cat.jpg");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().startsWith("mnv2: " + garbage + ": not a TFLite model"), bad.err());
        assertEquals(1, bad.err().lines().count());

        CliRun missing = CliRun.of("classify", "--model", dir.resolve("gone.tflite").toString(), "cat.jpg");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("model file not found"), missing.err());

        Path pickle = Files.write(dir.resolve("model.pt"), new byte[16]);
        CliRun unknownType = CliRun.of("classify", "--model", pickle.toString(), "cat.jpg");
        assertEquals(1, unknownType.exitCode());
        assertEquals("mnv2: " + pickle + ": unknown model file type; expected .tflite, .onnx, .safetensors",
                unknownType.err().strip());
    }

    @Test
    void labelFileReplacesTheEmbeddedLabels() throws Exception {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        String cat = SharedData.data("images/cat.bmp").toString();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            names.add("class number " + i);
        }
        Path labels = Files.write(dir.resolve("labels.txt"), names);

        CliRun run = CliRun.of("classify", "--labels", labels.toString(), "--top", "1", cat);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("286  class number 286"), run.out());

        Path tooFew = Files.write(dir.resolve("few.txt"), names.subList(0, 10));
        CliRun wrong = CliRun.of("classify", "--labels", tooFew.toString(), cat);
        assertEquals(1, wrong.exitCode());
        assertTrue(wrong.err().contains("has 10 labels but the model has 1001 classes"), wrong.err());
    }

    @Test
    void usageErrors() {
        assertEquals(2, CliRun.of("classify").exitCode());
        assertEquals(2, CliRun.of("classify", "--top", "0", "cat.jpg").exitCode());
        assertEquals(2, CliRun.of("classify", "--format", "xml", "cat.jpg").exitCode());
        assertEquals(2, CliRun.of("classify", "--central-crop", "1.5", "cat.jpg").exitCode());
    }

    /** As a user without network or local copy: a separate JVM, empty cache, download URL on a closed port. */
    @Test
    void offlineDownloadSaysWhereToPutTheFile() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + dir, "-Dmnv2.models.url=http://127.0.0.1:" + closedPort + "/",
                "-cp", System.getProperty("java.class.path"), Mnv2.class.getName(),
                "classify", "cat.jpg"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile());
        builder.environment().remove("MNV2_MODELS");
        builder.environment().remove("XDG_CACHE_HOME");
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "classify hung");

        String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
        assertEquals(1, process.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("mnv2: cannot download model 'mobilenet_v2_1.0_224_quant'"), err);
        assertTrue(err.contains("offline"), err);
        Path cache = dir.resolve(".cache").resolve("mnv2");
        assertTrue(err.contains("put mobilenet_v2_1.0_224_quant.tflite into " + cache), err);
        assertFalse(Files.exists(cache.resolve("mobilenet_v2_1.0_224_quant.tflite")));
        try (var left = Files.list(cache)) {
            assertEquals(0, left.count(), "no partial download left in " + cache);
        }
    }

    @Test
    void aFolderStandsForItsImagesInNameOrder() throws Exception {
        for (String name : new String[] {"b.PNG", "a.jpg", "c.jpeg", "d.gif", "e.bmp", "notes.txt", "jpg"}) {
            Files.writeString(dir.resolve(name), "x");
        }
        Files.createDirectory(dir.resolve("sub.jpg"));
        Files.writeString(Files.createDirectory(dir.resolve("nested")).resolve("f.jpg"), "x");
        Path single = dir.resolve("nested/f.jpg");

        List<Path> files = ClassifyCommand.expandFolders(List.of(dir, single));

        assertEquals(List.of(dir.resolve("a.jpg"), dir.resolve("b.PNG"), dir.resolve("c.jpeg"), dir.resolve("d.gif"),
                dir.resolve("e.bmp"), single), files);
    }

    @Test
    void aFolderWithoutImagesIsAnErrorBeforeAnyModelLoads() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "x");
        CliRun run = CliRun.of("classify", "--model", dir.resolve("absent.tflite").toString(), dir.toString());
        assertEquals(1, run.exitCode(), run.err());
        assertEquals("mnv2: " + dir + ": no .jpg, .jpeg, .png, .bmp, .gif files in this folder", run.err().strip());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aFolderOfPhotosIsClassifiedPhotoByPhoto() throws Exception {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Files.copy(SharedData.data("images/cat.bmp"), dir.resolve("b.bmp"));
        Files.copy(SharedData.data("images/cat_720p.jpg"), dir.resolve("a.jpg"));
        Files.writeString(dir.resolve("labels.txt"), "not an image");

        CliRun run = CliRun.of("classify", "--top", "1", "--format", "json", dir.toString());

        assertEquals(0, run.exitCode(), run.err());
        List<Map<String, Object>> results = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(run.out()))
                .get("results");
        assertEquals(List.of(dir.resolve("a.jpg").toString(), dir.resolve("b.bmp").toString()),
                results.stream().map(r -> r.get("image")).toList());
        for (Map<String, Object> result : results) {
            assertEquals(286L, ((List<Map<String, Object>>) result.get("top")).get(0).get("index"), result.toString());
        }
    }
}
