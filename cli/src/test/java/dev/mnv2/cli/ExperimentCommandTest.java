package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.util.Json;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentCommandTest {
    @TempDir
    Path dir;

    @Test
    void manifoldPrintsItsJsonPerDimensionAndDrawsAPanelEach() throws Exception {
        Path png = dir.resolve("fig1.png");
        CliRun r = CliRun.of("experiment", "manifold", "--dims", "2,30", "--seeds", "3", "--points", "200", "--plot",
                png.toString(), "--format", "json");
        assertEquals(0, r.exitCode(), r.err());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> dims = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(r.out()))
                .get("dims");
        assertEquals(2, dims.size());
        assertEquals(2.0, ((Number) dims.get(0).get("n")).doubleValue());
        double low = ((Number) dims.get(0).get("error")).doubleValue();
        double high = ((Number) dims.get(1).get("error")).doubleValue();
        assertTrue(low > high, "n = 2 loses more than n = 30: " + r.out());
        assertTrue(dims.get(0).containsKey("std"));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(3 * 300, image.getWidth(), "the input and one panel per n");
    }

    @Test
    void manifoldTextIsATable() {
        CliRun r = CliRun.of("experiment", "manifold", "--dims", "3", "--seeds", "2", "--points", "50");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("unscaled"), r.out());
    }

    @Test
    void badOptionsAreOneLineAndExitTwoWritingNothing() {
        Path png = dir.resolve("x.png");
        for (String[] args : List.of(new String[] {"experiment", "manifold", "--dims", "1,5", "--plot", png.toString()},
                new String[] {"experiment", "manifold", "--seeds", "0"},
                new String[] {"experiment", "manifold", "--plot", dir.resolve("x.jpg").toString()},
                new String[] {"experiment"})) {
            CliRun r = CliRun.of(args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().filter(l -> l.startsWith("mnv2:")).count(), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
        assertFalse(Files.exists(png));
        CliRun missing = CliRun.of("experiment", "manifold", "--plot", dir.resolve("no/such/x.png").toString());
        assertEquals(1, missing.exitCode(), missing.err());
    }

    /** 3 classes of 50 noisy single-colour 32×32 images (150 ≥ the cifar recipe's batch of 128). */
    private Path colourFolder(String name, int perClass) throws Exception {
        Path root = dir.resolve(name);
        java.util.Random random = new java.util.Random(name.hashCode());
        int[] colours = {0xC03020, 0x20A040, 0x3040D0};
        String[] classes = {"blue", "green", "red"};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < perClass; i++) {
                BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        image.setRGB(x, y, random.nextInt(4) == 0 ? random.nextInt(1 << 24) : colours[2 - c]);
                    }
                }
                Path file = root.resolve(classes[c]).resolve(i + ".png");
                Files.createDirectories(file.getParent());
                ImageIO.write(image, "png", file.toFile());
            }
        }
        return root;
    }

    @Test
    void ablationTrainsEveryArmFromEverySeedAndReportsItsTestAndCurves() throws Exception {
        Path train = colourFolder("train", 50);
        Path test = colourFolder("test", 5);
        Path png = dir.resolve("fig6.png");
        CliRun r = CliRun.of("experiment", "ablation", "--study", "shortcut", "--data", train.toString(), "--val",
                test.toString(), "--seeds", "2", "--epochs", "1", "--width", "0.35", "--evaluations", "1", "--threads",
                "2", "--plot", png.toString(), "--format", "json");
        assertEquals(0, r.exitCode(), r.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(r.out());
        assertEquals("shortcut", json.get("study"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> arms = (List<Map<String, Object>>) json.get("arms");
        assertEquals(List.of("bottleneck", "expansion", "none"), arms.stream().map(a -> a.get("name")).toList());
        for (Map<String, Object> arm : arms) {
            assertEquals(2, ((List<?>) arm.get("finalTop1")).size(), "one final top-1 per seed: " + arm);
        }
        assertEquals(2, ((List<?>) json.get("welch")).size(), "each other arm against the paper's");
        assertEquals(6, ((List<?>) json.get("runs")).size(), "3 arms x 2 seeds");
        assertTrue(r.err().contains("expansion seed 1: final test top-1"), r.err());
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 100);
    }

    @Test
    void ablationRefusesWhatItCannotRunInOneLine() throws Exception {
        Path train = colourFolder("small", 2);
        for (String[] args : List.of(new String[] {"experiment", "ablation", "--study", "depth", "--data",
                        train.toString(), "--val", train.toString()},
                new String[] {"experiment", "ablation", "--study", "bottleneck", "--data", train.toString(), "--val",
                        train.toString()},
                new String[] {"experiment", "ablation", "--study", "bottleneck", "--data", train.toString(), "--val",
                        train.toString(), "--seeds", "0"})) {
            CliRun r = CliRun.of(args);
            assertTrue(r.exitCode() != 0, String.join(" ", args));
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }

    @Test
    void tradeoffCountsAndTimesTheChosenVariantsBesideThePublishedTable() throws Exception {
        Path png = dir.resolve("fig5.png");
        CliRun r = CliRun.of("experiment", "tradeoff", "--variants", "0.35/96,0.5/128", "--warmup", "1", "--runs", "2",
                "--plot", png.toString(), "--format", "json");
        assertEquals(0, r.exitCode(), r.err());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(r.out()))
                .get("variants");
        assertEquals(2, rows.size());
        assertEquals(45.5, ((Number) rows.get(0).get("publishedTop1")).doubleValue());
        // mnv2's count rounds down to the published millions (MobileNetV2Test checks all 22)
        assertEquals(11, ((Number) rows.get(0).get("macs")).longValue() / 1_000_000);
        assertEquals(1.66, Math.round(((Number) rows.get(0).get("parameters")).longValue() / 1e4) / 100.0, 1e-9);
        assertEquals(1.66, ((Number) rows.get(0).get("publishedParametersMillions")).doubleValue());
        assertTrue(((Number) rows.get(1).get("medianMs")).doubleValue() > 0);
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 100);
        CliRun bad = CliRun.of("experiment", "tradeoff", "--variants", "0.6/224");
        assertEquals(2, bad.exitCode(), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }
}
