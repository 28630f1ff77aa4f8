package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.OnnxExporter;
import dev.mnv2.safetensors.Checkpoint;
import dev.mnv2.safetensors.TrainingCheckpoint;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mnv2 train} and {@code mnv2 finetune} on a tiny folder: resume, kill -9, bad input, reports. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private Path data;

    @BeforeEach
    void setUp() throws Exception {
        data = dir.resolve("data");
        Random random = new Random(5);
        int[] colours = {0xC03020, 0x20A040, 0x3040D0};
        List<String> classes = List.of("blue", "green", "red");
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 8; i++) {
                BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        image.setRGB(x, y, random.nextInt(4) == 0 ? random.nextInt(1 << 24) : colours[2 - c]);
                    }
                }
                Path file = data.resolve(classes.get(c)).resolve(i + ".png");
                Files.createDirectories(file.getParent());
                ImageIO.write(image, "png", file.toFile());
            }
        }
    }

    private List<String> trainArgs(Path out, String... extra) {
        return trainArgs(out, 2, extra);
    }

    private List<String> trainArgs(Path out, int epochs, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--val", data.toString(),
                "--variant", "cifar", "--width", "0.35", "--epochs", Integer.toString(epochs), "--batch", "8", "--threads", "2",
                "--seed", "3", "--out", out.toString(), "--format", "json"));
        args.addAll(List.of(extra));
        return args;
    }

    private static String jsonNumber(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":([-0-9.eE]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return m.group(1);
    }

    private static CliRun run(List<String> args) {
        return CliRun.of(args.toArray(new String[0]));
    }

    private static void assertSameWeights(Path expected, Path actual) throws Exception {
        Network a = Checkpoint.load(expected).network();
        Network b = Checkpoint.load(actual).network();
        for (int i = 0; i < a.convolutions().size(); i++) {
            Conv2d x = a.convolutions().get(i);
            Conv2d y = b.convolutions().get(i);
            assertArrayEquals(x.weight(), y.weight(), x.name());
            assertArrayEquals(x.batchNorm().gamma(), y.batchNorm().gamma(), x.name());
            assertArrayEquals(x.batchNorm().beta(), y.batchNorm().beta(), x.name());
            assertArrayEquals(x.batchNorm().mean(), y.batchNorm().mean(), x.name());
            assertArrayEquals(x.batchNorm().variance(), y.batchNorm().variance(), x.name());
        }
        assertArrayEquals(a.classifier().weight(), b.classifier().weight());
        assertArrayEquals(a.classifier().bias(), b.classifier().bias());
    }

    @Test
    void aRunWritesACheckpointThatEveryCommandReadsAndItsJsonSummary() throws Exception {
        Path out = dir.resolve("run.safetensors");
        CliRun r = run(trainArgs(out, "--metrics", dir.resolve("m.csv").toString(), "--plot",
                dir.resolve("m.png").toString()));
        assertEquals(0, r.exitCode(), r.err());
        String json = r.out().strip();
        for (String key : List.of("\"epochs\":2", "\"steps\":6", "\"trainLoss\"", "\"valTop1\"", "\"valTop5\"",
                "\"seconds\"", "\"checkpoint\"")) {
            assertTrue(json.contains(key), key + " in " + json);
        }
        LoadedModel model = Models.load(out);
        assertEquals(List.of("blue", "green", "red"), model.input().labels());
        assertEquals(32, model.input().height());
        assertEquals(3, Files.readAllLines(dir.resolve("m.csv")).size(), "header and two epochs");
        assertTrue(ImageIO.read(dir.resolve("m.png").toFile()).getWidth() > 100);
        // CIFAR's padded crops train on whole images: the checkpoint says so, and eval, which takes its crop
        // from the checkpoint, computes the run's own last validation.
        assertEquals(1.0, model.input().centralCrop());
        CliRun eval = CliRun.of("eval", "--model", out.toString(), "--data", data.toString(), "--format", "json");
        assertEquals(0, eval.exitCode(), eval.err());
        assertTrue(eval.out().contains("\"images\":24"), eval.out());
        assertEquals(jsonNumber(json, "valTop1"), jsonNumber(eval.out(), "top1"), eval.out() + " against " + json);
        CliRun classify = CliRun.of("classify", "--model", out.toString(),
                data.resolve("red").resolve("0.png").toString());
        assertEquals(0, classify.exitCode(), classify.err());
    }

    @Test
    void aResumedRunEndsWithBitIdenticalWeights() throws Exception {
        Path whole = dir.resolve("whole.safetensors");
        assertEquals(0, run(trainArgs(whole)).exitCode());
        Path parts = dir.resolve("parts.safetensors");
        CliRun first = run(trainArgs(parts, "--stop-after-steps", "4"));
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(4, TrainingCheckpoint.load(parts).progress().step(), "stopped mid-epoch (3 steps an epoch)");
        CliRun second = run(trainArgs(parts, "--resume"));
        assertEquals(0, second.exitCode(), second.err());
        assertSameWeights(whole, parts);
        CliRun again = run(trainArgs(parts, "--resume"));
        assertEquals(1, again.exitCode());
        assertTrue(again.err().contains("nothing to resume"), again.err());
    }

    @Test
    void aResumedRunWithMixupAndCutmixEndsWithBitIdenticalWeights() throws Exception {
        String[] mixing = {"--mixup", "0.4", "--cutmix", "1.0"};
        Path whole = dir.resolve("mixed.safetensors");
        CliRun uninterrupted = run(trainArgs(whole, mixing));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.err());
        Map<String, String> saved = TrainingCheckpoint.load(whole).options();
        assertEquals("0.4", saved.get("mixup"));
        assertEquals("1.0", saved.get("cutmix"));
        Path parts = dir.resolve("mixed-parts.safetensors");
        List<String> first = trainArgs(parts, mixing);
        first.addAll(List.of("--stop-after-steps", "4"));
        assertEquals(0, run(first).exitCode());
        // The resumed run takes its mixing from the checkpoint, as every other option of the recipe.
        CliRun second = run(trainArgs(parts, "--resume"));
        assertEquals(0, second.exitCode(), second.err());
        assertSameWeights(whole, parts);
        Path plain = dir.resolve("plain.safetensors");
        assertEquals(0, run(trainArgs(plain)).exitCode());
        assertFalse(java.util.Arrays.equals(Checkpoint.load(whole).network().classifier().weight(),
                Checkpoint.load(plain).network().classifier().weight()), "mixing changed the training");
    }

    /** A child JVM killed with SIGKILL mid-run: its last checkpoint loads, and resuming ends as an unkilled run. */
    @Test
    void killDashNineLeavesACheckpointThatResumes() throws Exception {
        Path whole = dir.resolve("whole.safetensors");
        assertEquals(0, run(trainArgs(whole, 3)).exitCode());
        Path killed = dir.resolve("killed.safetensors");
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Mnv2.class.getName()));
        command.addAll(trainArgs(killed, 3, "--checkpoint-every", "1"));
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long step = -1;
        while (System.nanoTime() < deadline && child.isAlive()) {
            if (Files.exists(killed)) {
                try {
                    step = TrainingCheckpoint.load(killed).progress().step();
                } catch (Exception e) {
                    step = -1;
                }
                if (step >= 2) {
                    break;
                }
            }
            Thread.sleep(20);
        }
        assertTrue(child.isAlive(), "the child ended before it could be killed: " + Files.readString(dir.resolve("child.log")));
        child.destroyForcibly().waitFor();
        TrainingCheckpoint last = TrainingCheckpoint.load(killed);
        assertTrue(last.progress().step() >= 2 && last.progress().step() < 9, "step " + last.progress().step());
        CliRun resumed = run(trainArgs(killed, 3, "--resume"));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertSameWeights(whole, killed);
    }

    @Test
    void aDivergingRunStopsWithOneLineAndKeepsTheLastGoodCheckpoint() throws Exception {
        Path out = dir.resolve("nan.safetensors");
        CliRun r = run(trainArgs(out, "--lr", "1e30", "--optimizer", "sgd"));
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("training stopped"), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.startsWith("mnv2:")).count(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void badInputIsOneLineAndAnExitCode() {
        Path out = dir.resolve("x.safetensors");
        CliRun missing = CliRun.of("train", "--data", dir.resolve("nope").toString(), "--out", out.toString());
        assertEquals(1, missing.exitCode());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertEquals(2, CliRun.of("train", "--data", data.toString(), "--out", out.toString(), "--batch", "0")
                .exitCode());
        assertEquals(2, CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("x.bin").toString())
                .exitCode());
        assertEquals(2, CliRun.of("train", "--data", data.toString(), "--out", out.toString(), "--recipe", "imagenet")
                .exitCode());
        CliRun mixup = CliRun.of("train", "--data", data.toString(), "--out", out.toString(), "--mixup", "-1");
        assertEquals(2, mixup.exitCode());
        assertTrue(mixup.err().contains("mixup"), mixup.err());
        CliRun big = CliRun.of("train", "--data", data.toString(), "--out", out.toString(), "--batch", "64",
                "--variant", "cifar");
        assertEquals(1, big.exitCode());
        assertTrue(big.err().contains("fewer than one batch"), big.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void finetuneReplacesTheClassifierAndFreezesTheBackbone() throws Exception {
        Network pretrained = MobileNetV2.builder().width(0.35).resolution(64).classes(5).seed(8).build();
        Path from = dir.resolve("pretrained.safetensors");
        Checkpoint.save(LoadedModel.of(pretrained).withLabels(List.of("a", "b", "c", "d", "e")), from);
        Path out = dir.resolve("tuned.safetensors");
        CliRun r = CliRun.of("finetune", "--from", from.toString(), "--data", data.toString(), "--resolution", "48",
                "--epochs", "2", "--batch", "8", "--freeze-backbone-epochs", "1", "--out", out.toString(),
                "--threads", "1", "--format", "json");
        assertEquals(0, r.exitCode(), r.err());
        LoadedModel tuned = Models.load(out);
        assertEquals(List.of("blue", "green", "red"), tuned.input().labels());
        assertEquals(48, tuned.input().height());
        assertEquals(3, tuned.network().classes());
    }

    @Test
    void finetuneRebasesAFoldedModelsNormsOnTheDataOrKeepsThemFrozen() throws Exception {
        Network pretrained = MobileNetV2.builder().width(0.35).resolution(64).classes(5).seed(9).build();
        Path from = dir.resolve("pretrained.onnx");
        OnnxExporter.builder().build().write(LoadedModel.of(pretrained).withLabels(List.of("a", "b", "c", "d", "e")),
                from);
        for (String mode : List.of("rebase", "frozen")) {
            Path out = dir.resolve(mode + ".safetensors");
            CliRun r = CliRun.of("finetune", "--from", from.toString(), "--data", data.toString(), "--resolution",
                    "48", "--epochs", "1", "--batch", "8", "--folded-norms", mode, "--out", out.toString(),
                    "--threads", "1", "--format", "json");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(mode.equals("rebase") ? "rebased" : null,
                    TrainingCheckpoint.load(out).options().get("foldedNorms"), "what the checkpoint records");
            // The exported file holds conv + bias: identity norms (mean 0) until rebased on the data.
            float[] stemMean = Checkpoint.load(out).network().convolutions().get(0).batchNorm().mean();
            boolean anyNonZero = false;
            for (float m : stemMean) {
                anyNonZero |= m != 0;
            }
            assertEquals(mode.equals("rebase"), anyNonZero, mode + ": stem running mean " + stemMean[0]);
        }
    }
}
