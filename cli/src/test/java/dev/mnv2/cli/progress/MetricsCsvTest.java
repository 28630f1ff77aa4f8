package dev.mnv2.cli.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsCsvTest {
    @TempDir
    Path dir;

    /** Epoch {@code e} with values that differ per epoch and need every digit to round-trip. */
    static EpochMetrics epoch(int e) {
        return new EpochMetrics(e, 391L * e, 2.302585092994046 / e, 0.1 + 0.07 * e, 2.1 / e, 0.12 + 0.07 * e,
                0.5 + 0.04 * e, 0.045 * Math.pow(0.98, e - 1), 95.25 + e, 1312.5 - e, 0.031 * e);
    }

    static EpochMetrics unvalidated(int e) {
        return new EpochMetrics(e, 391L * e, 1.0 / e, 0.3, Double.NaN, Double.NaN, Double.NaN, 1e-5, 90, 1400, 0);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file);
    }

    @Test
    void rowsRoundTripExactlyWithOneHeader() throws IOException {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv csv = MetricsCsv.create(file);
        assertEquals(List.of(String.join(",", MetricsCsv.COLUMNS)), lines(file), "the header is written at once");
        List<EpochMetrics> written = List.of(epoch(1), unvalidated(2), epoch(3));
        for (EpochMetrics row : written) {
            csv.append(row);
            assertEquals(row, MetricsCsv.read(file).get(row.epoch() - 1), "each row is on disk when append returns");
        }
        assertEquals(written, MetricsCsv.read(file));
        assertEquals(written, csv.rows());
        List<String> lines = lines(file);
        assertEquals(4, lines.size());
        assertEquals("epoch,steps,trainLoss,trainTop1,valLoss,valTop1,valTop5,learningRate,seconds,imagesPerSecond,"
                + "dataWaitShare", lines.get(0));
        assertEquals("2,782,0.5,0.3,,,,1.0E-5,90.0,1400.0,0.0", lines.get(2), "not measured is an empty cell");
    }

    @Test
    void createReplacesAnOldRunsFile() throws IOException {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv old = MetricsCsv.create(file);
        old.append(epoch(1));
        old.append(epoch(2));
        MetricsCsv fresh = MetricsCsv.create(file);
        assertEquals(List.of(), fresh.rows());
        assertEquals(1, lines(file).size());
    }

    @Test
    void resumeContinuesTheFileWithoutASecondHeader() throws IOException {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv first = MetricsCsv.create(file);
        first.append(epoch(1));
        first.append(epoch(2));

        MetricsCsv resumed = MetricsCsv.resume(file);
        assertEquals(List.of(epoch(1), epoch(2)), resumed.rows());
        resumed.append(epoch(3));
        assertEquals(List.of(epoch(1), epoch(2), epoch(3)), MetricsCsv.read(file));
        assertEquals(1, lines(file).stream().filter(l -> l.startsWith("epoch,")).count());
    }

    @Test
    void aResumedEpochReplacesItsRowAndDropsLaterOnes() throws IOException {
        // The run wrote epochs 1-3, but its last checkpoint was after epoch 1: the resumed run redoes epoch 2.
        Path file = dir.resolve("metrics.csv");
        MetricsCsv first = MetricsCsv.create(file);
        for (int e = 1; e <= 3; e++) {
            first.append(epoch(e));
        }
        MetricsCsv resumed = MetricsCsv.resume(file);
        EpochMetrics redone = unvalidated(2);
        resumed.append(redone);
        assertEquals(List.of(epoch(1), redone), MetricsCsv.read(file));
        assertEquals(List.of(epoch(1), redone), resumed.rows());
        resumed.append(epoch(3));
        assertEquals(List.of(epoch(1), redone, epoch(3)), MetricsCsv.read(file));
    }

    @Test
    void resumeDropsALineCutShortByAKill() throws IOException {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv first = MetricsCsv.create(file);
        first.append(epoch(1));
        String whole = MetricsCsv.format(epoch(2));
        Files.writeString(file, whole.substring(0, whole.length() - 3), java.nio.file.StandardOpenOption.APPEND);

        MetricsCsv resumed = MetricsCsv.resume(file);
        assertEquals(List.of(epoch(1)), resumed.rows());
        assertEquals(List.of(epoch(1)), MetricsCsv.read(file), "the cut line is gone from the file too");
        resumed.append(epoch(2));
        assertEquals(List.of(epoch(1), epoch(2)), MetricsCsv.read(file));
    }

    @Test
    void resumeOfAMissingOrEmptyFileStartsIt() throws IOException {
        Path missing = dir.resolve("new.csv");
        MetricsCsv.resume(missing).append(epoch(1));
        assertEquals(List.of(epoch(1)), MetricsCsv.read(missing));
        Path empty = Files.createFile(dir.resolve("empty.csv"));
        assertEquals(List.of(), MetricsCsv.resume(empty).rows());
        assertEquals(1, lines(empty).size());
    }

    @Test
    void aForeignFileIsRefusedAndLeftAlone() throws IOException {
        Path file = dir.resolve("other.csv");
        Files.writeString(file, "name,value\na,1\n");
        TrainingReportException e = assertThrows(TrainingReportException.class, () -> MetricsCsv.resume(file));
        assertOneLineNaming(e, file);
        assertEquals("name,value\na,1\n", Files.readString(file));
    }

    @Test
    void badRowsNameTheLineAndColumn() throws IOException {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv.create(file).append(epoch(1));
        String[] cells = MetricsCsv.format(epoch(2)).split(",");
        cells[3] = "abc";
        Files.writeString(file, String.join(",", cells) + "\n", java.nio.file.StandardOpenOption.APPEND);
        TrainingReportException bad = assertThrows(TrainingReportException.class, () -> MetricsCsv.read(file));
        assertOneLineNaming(bad, file);
        assertTrue(bad.getMessage().contains("line 3: trainTop1 'abc' is not a number"), bad.getMessage());

        Files.writeString(file, String.join(",", MetricsCsv.COLUMNS) + "\n1,2,3\n");
        TrainingReportException shortRow = assertThrows(TrainingReportException.class, () -> MetricsCsv.read(file));
        assertTrue(shortRow.getMessage().endsWith("line 2: 3 values, expected 11"), shortRow.getMessage());

        Files.writeString(file, String.join(",", MetricsCsv.COLUMNS) + "\n" + MetricsCsv.format(epoch(2)) + "\n"
                + MetricsCsv.format(epoch(1)) + "\n");
        TrainingReportException order = assertThrows(TrainingReportException.class, () -> MetricsCsv.read(file));
        assertTrue(order.getMessage().endsWith("line 3: epoch 1 does not follow epoch 2"), order.getMessage());
    }

    @Test
    void unwritablePlacesGiveOneLineErrors() throws IOException {
        Path noFolder = dir.resolve("missing/metrics.csv");
        TrainingReportException e = assertThrows(TrainingReportException.class, () -> MetricsCsv.create(noFolder));
        assertOneLineNaming(e, noFolder);
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(noFolder.getParent()));

        Path folder = Files.createDirectory(dir.resolve("a-folder.csv"));
        assertOneLineNaming(assertThrows(TrainingReportException.class, () -> MetricsCsv.create(folder)), folder);
        assertOneLineNaming(assertThrows(TrainingReportException.class, () -> MetricsCsv.read(dir.resolve("no.csv"))),
                dir.resolve("no.csv"));

        Path file = dir.resolve("gone.csv");
        MetricsCsv csv = MetricsCsv.create(file);
        Files.delete(file);
        Files.createDirectory(file); // something that cannot be appended to took the file's place
        assertOneLineNaming(assertThrows(TrainingReportException.class, () -> csv.append(epoch(1))), file);
        assertEquals(List.of(), csv.rows(), "a row that was not written is not counted");
    }

    static void assertOneLineNaming(Exception e, Path file) {
        String message = e.getMessage();
        assertFalse(message.contains("\n"), message);
        assertTrue(message.contains(file.toString()), message);
    }
}
