package dev.mnv2.cli.progress;

import dev.mnv2.interop.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The per-epoch metrics file of a training run: a header line with {@link #COLUMNS}, then one row per epoch,
 * each appended and forced to disk as its epoch ends, so a killed run keeps every finished epoch. Numbers are
 * written as Java's shortest round-trip form (so reading gives back the same doubles), a value not measured
 * (NaN) as an empty cell.
 *
 * <p>On {@link #resume}, the file goes on where it stopped: no second header, and a row for an epoch the file
 * already has replaces that row and drops every later one, because a resumed run repeats the epochs after
 * its checkpoint and the file must describe the run that produced the weights. A last line without its line
 * end (the run was killed while writing it) is dropped.
 */
public final class MetricsCsv {
    public static final List<String> COLUMNS = List.of("epoch", "steps", "trainLoss", "trainTop1", "valLoss",
            "valTop1", "valTop5", "learningRate", "seconds", "imagesPerSecond", "dataWaitShare");
    private static final String HEADER = String.join(",", COLUMNS);

    private final Path file;
    private final List<EpochMetrics> rows;

    private MetricsCsv(Path file, List<EpochMetrics> rows) {
        this.file = file;
        this.rows = rows;
    }

    /** Starts the file of a new run: an existing file is replaced by one holding only the header. */
    public static MetricsCsv create(Path file) throws TrainingReportException {
        MetricsCsv csv = new MetricsCsv(file, new ArrayList<>());
        csv.rewrite();
        return csv;
    }

    /** Continues the file of a resumed run, or starts it when it does not exist yet or is empty. */
    public static MetricsCsv resume(Path file) throws TrainingReportException {
        if (!Files.exists(file)) {
            return create(file);
        }
        String text = readText(file);
        if (text.isEmpty()) {
            return create(file);
        }
        boolean unterminated = !text.endsWith("\n");
        List<String> lines = new ArrayList<>(text.lines().toList());
        if (unterminated) {
            lines.remove(lines.size() - 1);
        }
        MetricsCsv csv = new MetricsCsv(file, parse(file, lines));
        if (unterminated) {
            csv.rewrite();
        }
        return csv;
    }

    /** Reads a metrics file written by this class. */
    public static List<EpochMetrics> read(Path file) throws TrainingReportException {
        return Collections.unmodifiableList(parse(file, readText(file).lines().toList()));
    }

    /** Adds the row of an epoch that just ended, replacing that epoch's row and later ones if present. */
    public void append(EpochMetrics row) throws TrainingReportException {
        if (rows.stream().anyMatch(r -> r.epoch() >= row.epoch())) {
            List<EpochMetrics> kept = new ArrayList<>(rows.stream().filter(r -> r.epoch() < row.epoch()).toList());
            kept.add(row);
            write(file, kept);
            rows.clear();
            rows.addAll(kept);
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            AtomicFiles.writeFully(channel, ByteBuffer.wrap((format(row) + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.force(false);
        } catch (IOException e) {
            throw new TrainingReportException("cannot append to metrics file " + file + ": " + reason(e), e);
        }
        rows.add(row);
    }

    /** The rows in the file, oldest epoch first (for {@link TrainingCurves}). */
    public List<EpochMetrics> rows() {
        return Collections.unmodifiableList(rows);
    }

    public Path file() {
        return file;
    }

    private void rewrite() throws TrainingReportException {
        write(file, rows);
    }

    /** The whole file, atomically: a failure leaves the previous file as it was. */
    private static void write(Path file, List<EpochMetrics> rows) throws TrainingReportException {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (EpochMetrics row : rows) {
            text.append(format(row)).append('\n');
        }
        try {
            AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new TrainingReportException("cannot write metrics file " + file + ": " + reason(e), e);
        }
    }

    static String format(EpochMetrics m) {
        return String.join(",", Integer.toString(m.epoch()), Long.toString(m.steps()), number(m.trainLoss()),
                number(m.trainTop1()), number(m.valLoss()), number(m.valTop1()), number(m.valTop5()),
                number(m.learningRate()), number(m.seconds()), number(m.imagesPerSecond()),
                number(m.dataWaitShare()));
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "" : Double.toString(value);
    }

    private static List<EpochMetrics> parse(Path file, List<String> lines) throws TrainingReportException {
        if (lines.isEmpty() || !lines.get(0).strip().equals(HEADER)) {
            throw new TrainingReportException("metrics file " + file + " does not start with the header " + HEADER
                    + " (not an mnv2 metrics file? name another --metrics file)");
        }
        List<EpochMetrics> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            EpochMetrics row = parseRow(file, i + 1, line);
            if (!rows.isEmpty() && row.epoch() <= rows.get(rows.size() - 1).epoch()) {
                throw new TrainingReportException("metrics file " + file + " line " + (i + 1) + ": epoch "
                        + row.epoch() + " does not follow epoch " + rows.get(rows.size() - 1).epoch());
            }
            rows.add(row);
        }
        return rows;
    }

    private static EpochMetrics parseRow(Path file, int lineNumber, String line) throws TrainingReportException {
        String[] cells = line.split(",", -1);
        String where = "metrics file " + file + " line " + lineNumber;
        if (cells.length != COLUMNS.size()) {
            throw new TrainingReportException(where + ": " + cells.length + " values, expected " + COLUMNS.size());
        }
        double[] values = new double[cells.length];
        for (int c = 0; c < cells.length; c++) {
            String cell = cells[c].strip();
            try {
                values[c] = cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
            } catch (NumberFormatException e) {
                throw new TrainingReportException(where + ": " + COLUMNS.get(c) + " '" + cell + "' is not a number");
            }
        }
        if (values[0] != Math.rint(values[0]) || values[0] < 1 || values[0] > Integer.MAX_VALUE
                || values[1] != Math.rint(values[1]) || values[1] < 0) {
            throw new TrainingReportException(where + ": epoch and steps must be whole numbers (epoch from 1)");
        }
        return new EpochMetrics((int) values[0], (long) values[1], values[2], values[3], values[4], values[5],
                values[6], values[7], values[8], values[9], values[10]);
    }

    private static String readText(Path file) throws TrainingReportException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TrainingReportException("cannot read metrics file " + file + ": " + reason(e), e);
        }
    }

    /** The cause in words, without repeating the file name that the message already gives. */
    static String reason(IOException e) {
        if (!(e instanceof FileSystemException) && e.getCause() instanceof FileSystemException cause) {
            return reason(cause); // AtomicFiles' wrapper, whose message repeats the file name
        }
        if (e instanceof FileSystemException fs) {
            if (fs.getReason() != null) {
                return fs.getReason().replaceFirst("^cannot write: ", "");
            }
            if (e instanceof NoSuchFileException) {
                return "no such file or folder";
            }
            if (e instanceof AccessDeniedException) {
                return "permission denied";
            }
            if (e instanceof FileAlreadyExistsException) {
                return "a file of that name is in the way";
            }
            return e.getClass().getSimpleName();
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.replace('\n', ' ');
    }
}
