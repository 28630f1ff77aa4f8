package dev.mnv2.cli.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCurvesTest {
    @TempDir
    Path dir;

    private static List<EpochMetrics> rows(int epochs, boolean validated) {
        return IntStream.rangeClosed(1, epochs).mapToObj(e -> validated ? MetricsCsvTest.epoch(e)
                : MetricsCsvTest.unvalidated(e)).toList();
    }

    /** How many pixels of {@code color} lie in rows {@code fromY} (inclusive) to {@code toY} (exclusive). */
    private static int count(BufferedImage image, Color color, int fromY, int toY) {
        int n = 0;
        for (int y = fromY; y < toY; y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == (color.getRGB() & 0xffffff)) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void writesAReadablePngWithBothCurvesInBothPanels() throws IOException {
        Path png = dir.resolve("curves.png");
        TrainingCurves.write(png, "mnv2 train", rows(8, true), 640, 480);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO reads the file");
        assertEquals(640, image.getWidth());
        assertEquals(480, image.getHeight());
        int half = image.getHeight() / 2;
        // Each curve's colour is drawn in the loss panel (upper half) and the accuracy panel (lower half).
        for (Color color : List.of(TrainingCurves.TRAIN, TrainingCurves.VALIDATION)) {
            assertTrue(count(image, color, 0, half) > 50, "curve " + color + " in the loss panel");
            assertTrue(count(image, color, half, image.getHeight()) > 50, "curve " + color + " in the accuracy panel");
        }
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary left");
    }

    @Test
    void withoutValidationOnlyTheTrainCurvesAreDrawnAndOneEpochIsVisible() throws IOException {
        Path png = dir.resolve("train-only.png");
        TrainingCurves.write(png, "no validation", rows(3, false));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(TrainingCurves.DEFAULT_WIDTH, image.getWidth());
        assertEquals(TrainingCurves.DEFAULT_HEIGHT, image.getHeight());
        assertTrue(count(image, TrainingCurves.TRAIN, 0, image.getHeight()) > 50);
        assertEquals(0, count(image, TrainingCurves.VALIDATION, 0, image.getHeight()));

        // After the first epoch a curve is a single point: its marker must still show.
        TrainingCurves.write(png, "one epoch", rows(1, true), 400, 300);
        BufferedImage single = ImageIO.read(png.toFile());
        assertTrue(count(single, TrainingCurves.TRAIN, 0, single.getHeight()) > 10);
    }

    @Test
    void aRewriteReplacesTheFileWhole() throws IOException {
        Path png = dir.resolve("curves.png");
        List<EpochMetrics> history = new ArrayList<>();
        for (int e = 1; e <= 3; e++) {
            history.add(MetricsCsvTest.epoch(e));
            TrainingCurves.write(png, "run", history, 300, 200);
        }
        assertEquals(300, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void unwritablePlacesGiveOneLineErrors() throws IOException {
        Path noFolder = dir.resolve("missing/curves.png");
        TrainingReportException e = assertThrows(TrainingReportException.class,
                () -> TrainingCurves.write(noFolder, "run", rows(2, true)));
        MetricsCsvTest.assertOneLineNaming(e, noFolder);
        Path folder = Files.createDirectory(dir.resolve("taken.png"));
        MetricsCsvTest.assertOneLineNaming(assertThrows(TrainingReportException.class,
                () -> TrainingCurves.write(folder, "run", rows(2, true))), folder);
        assertThrows(IllegalArgumentException.class, () -> TrainingCurves.chart("run", List.of()));
    }
}
