package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.Images;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.safetensors.Checkpoint;
import dev.mnv2.testing.SharedData;
import dev.mnv2.util.Json;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
    /** The model's labels, in another order than the folder's sorted classes, so matching is by name. */
    private static final List<String> LABELS = List.of("fox", "cat", "dog");

    @TempDir
    Path dir;

    private Path data;
    private Path model;
    private LoadedModel loaded;

    @BeforeEach
    void setUp() throws Exception {
        data = dir.resolve("data");
        Random random = new Random(5);
        for (String c : List.of("cat", "dog", "fox")) {
            for (int i = 0; i < 6; i++) {
                BufferedImage image = new BufferedImage(40 + i, 36, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < image.getHeight(); y++) {
                    for (int x = 0; x < image.getWidth(); x++) {
                        image.setRGB(x, y, random.nextInt(1 << 24));
                    }
                }
                Path file = data.resolve(c).resolve(i + ".png");
                Files.createDirectories(file.getParent());
                ImageIO.write(image, "png", file.toFile());
            }
        }
        Network network = MobileNetV2.builder().width(0.35).resolution(32).classes(3).seed(3).build();
        loaded = LoadedModel.of(network).withLabels(LABELS);
        model = dir.resolve("tiny.safetensors");
        Checkpoint.save(loaded, model);
    }

    private static void assertOneLineError(CliRun run, int code, String fragment) {
        assertEquals(code, run.exitCode(), run.err());
        assertTrue(run.err().contains(fragment), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
    }

    /** Classify's own path, image by image: the expected [true class][predicted class] counts. */
    private long[][] expectedConfusion() throws Exception {
        List<String> classes = List.of("cat", "dog", "fox");
        ImagePreprocessor pre = ImagePreprocessor.builder(32, 32).scaling(loaded.input().scaling()).build();
        long[][] confusion = new long[3][3];
        try (Predictor predictor = Predictor.create(loaded.network())) {
            for (int t = 0; t < 3; t++) {
                for (int i = 0; i < 6; i++) {
                    float[] logits = predictor.logits(pre.toTensor(pre.read(data.resolve(classes.get(t)).resolve(i + ".png"))))[0];
                    int best = 0;
                    for (int o = 1; o < logits.length; o++) {
                        best = logits[o] > logits[best] ? o : best;
                    }
                    confusion[t][classes.indexOf(LABELS.get(best))]++;
                }
            }
        }
        return confusion;
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonMatchesClassifyingEachImageAndMatchesClassesByName() throws Exception {
        long[][] expected = expectedConfusion();
        // Batch 4 leaves a partial last batch (18 images).
        CliRun run = CliRun.of("eval", "--model", model.toString(), "--data", data.toString(), "--format", "json",
                "--batch", "4", "--threads", "1");
        assertEquals(0, run.exitCode(), run.err());
        Map<String, Object> json = (Map<String, Object>) Json.parse(run.out());
        assertEquals(18L, ((Number) json.get("images")).longValue());
        List<List<Number>> confusion = (List<List<Number>>) json.get("confusion");
        long correct = 0;
        for (int t = 0; t < 3; t++) {
            long[] row = confusion.get(t).stream().mapToLong(Number::longValue).toArray();
            assertEquals(Arrays.toString(expected[t]), Arrays.toString(row), "row " + t);
            correct += row[t];
        }
        assertEquals(correct / 18.0, ((Number) json.get("top1")).doubleValue(), 1e-6);
        assertEquals(1.0, ((Number) json.get("top5")).doubleValue(), "3 classes: always in the top 5");
        List<Map<String, Object>> perClass = (List<Map<String, Object>>) json.get("perClass");
        assertEquals(List.of("cat", "dog", "fox"), perClass.stream().map(m -> m.get("class")).toList());
        assertEquals(expected[1][1] / 6.0, ((Number) perClass.get(1).get("top1")).doubleValue(), 1e-6);
    }

    @Test
    void textAndPlot() throws Exception {
        Path png = dir.resolve("confusion.png");
        CliRun run = CliRun.of("eval", "--model", model.toString(), "--data", data.toString(), "--plot", png.toString(),
                "--limit-per-class", "2");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains(": 6 images, 3 classes"), run.out());
        assertTrue(run.out().contains("top-1 "), run.out());
        assertTrue(run.out().contains("confusion matrix"), run.out());
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image.getWidth() >= 600 && image.getHeight() >= 600, image.getWidth() + "x" + image.getHeight());
    }

    @Test
    void aCorruptImageIsSkippedWithOneLineOrFailsTheRun() throws Exception {
        Path bad = data.resolve("dog/2.png");
        Files.write(bad, Arrays.copyOf(Files.readAllBytes(bad), 50));
        CliRun skip = CliRun.of("eval", "--model", model.toString(), "--data", data.toString(), "--on-unreadable", "skip");
        assertOneLineError(skip, 1, "mnv2: skipped " + bad);
        assertTrue(skip.out().contains(": 17 images"), skip.out());

        CliRun fail = CliRun.of("eval", "--model", model.toString(), "--data", data.toString());
        assertOneLineError(fail, 1, bad.toString());
        assertEquals("", fail.out());
    }

    @Test
    void badInputsAreOneLineErrors() throws Exception {
        Path missing = dir.resolve("nowhere");
        assertOneLineError(CliRun.of("eval", "--model", model.toString(), "--data", missing.toString()), 1,
                missing + ": dataset folder not found");
        assertOneLineError(CliRun.of("eval", "--model", "no_such_model", "--data", data.toString()), 1, "no_such_model");
        assertOneLineError(CliRun.of("eval", "--model", model.toString(), "--data", data.toString(), "--plot",
                dir.resolve("no/such/folder/c.png").toString()), 1, "cannot write the plot");
        assertOneLineError(CliRun.of("eval", "--model", model.toString(), "--data", data.toString(), "--plot",
                dir.resolve("c.jpg").toString()), 2, "--plot must name a .png file");
        assertOneLineError(CliRun.of("eval", "--model", model.toString(), "--data", data.toString(), "--batch", "0"), 2,
                "--batch must be at least 1");
        assertOneLineError(CliRun.of("eval", "--data", data.toString()), 2, "--model");

        Files.createDirectories(data.resolve("wolf"));
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", data.resolve("wolf/a.png").toFile());
        assertOneLineError(CliRun.of("eval", "--model", model.toString(), "--data", data.toString()), 1,
                "class folder wolf is not among the 3 labels of " + model);
    }

    @Test
    @SuppressWarnings("unchecked")
    void thePublishedModelOnTheCatPhotosAndThreeCifarImages() throws Exception {
        Path modelFile = SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Path cats = Files.createDirectories(dir.resolve("imagenet/Egyptian cat"));
        Files.copy(SharedData.data("images/cat.bmp"), cats.resolve("cat.bmp"));
        Files.copy(SharedData.data("images/cat_720p.jpg"), cats.resolve("cat_720p.jpg"));
        Path planes = Files.createDirectories(dir.resolve("imagenet/airliner"));
        Files.copy(SharedData.data("datasets/cifar10/test/airplane/0000.jpg"), planes.resolve("0000.jpg"));
        Files.copy(SharedData.data("datasets/cifar10/test/airplane/0001.jpg"), planes.resolve("0001.jpg"));
        assertTrue(Images.read(planes.resolve("0000.jpg")).getWidth() == 32);
        // "tabby" is the first name of the label "tabby, tabby cat".
        Path tabby = Files.createDirectories(dir.resolve("imagenet/tabby"));
        Files.copy(SharedData.data("datasets/cifar10/test/cat/0000.jpg"), tabby.resolve("0000.jpg"));

        CliRun run = CliRun.of("eval", "--model", modelFile.toString(), "--data", dir.resolve("imagenet").toString(),
                "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        Map<String, Object> json = (Map<String, Object>) Json.parse(run.out());
        assertEquals(5L, ((Number) json.get("images")).longValue());
        Map<String, Object> cat = ((List<Map<String, Object>>) json.get("perClass")).stream()
                .filter(m -> m.get("class").equals("Egyptian cat")).findFirst().orElseThrow();
        assertEquals(1.0, ((Number) cat.get("top1")).doubleValue(), "classify's top 1 of both photos is Egyptian cat");
        assertTrue(json.containsKey("otherPredictions"));
        System.out.println("published model on 2 cat photos + 3 CIFAR images: " + run.out().strip());
    }
}
