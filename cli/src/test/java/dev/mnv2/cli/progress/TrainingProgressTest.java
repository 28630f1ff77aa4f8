package dev.mnv2.cli.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class TrainingProgressTest {
    /** A clock the test moves by hand, so rates, redraws and ETA do not depend on the machine. */
    private static final class FakeClock {
        long nanos = 1_000_000_000L;

        void advanceMillis(long millis) {
            nanos += millis * 1_000_000L;
        }
    }

    private static final EpochMetrics VALIDATED = new EpochMetrics(1, 10, 1.25, 0.5, 1.5, 0.625, 0.875, 0.045, 12.5,
            400, 0.031);
    private static final EpochMetrics UNVALIDATED = new EpochMetrics(2, 20, 0.75, 0.75, Double.NaN, Double.NaN,
            Double.NaN, 0.0441, 12.0, 410, 0.2);

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final FakeClock clock = new FakeClock();

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Two epochs of 10 steps of 8 images, each step 50 ms; loss and correct counts change with the step. */
    private void simulate(TrainingProgress progress) {
        for (int epoch = 1; epoch <= 2; epoch++) {
            progress.startEpoch(epoch, 10);
            for (int step = 1; step <= 10; step++) {
                clock.advanceMillis(50);
                progress.step(step, 8, step <= 5 ? 2.0 : 1.0, step <= 5 ? 2 : 6);
            }
            progress.endEpoch(epoch == 1 ? VALIDATED : UNVALIDATED);
        }
    }

    @Test
    void logOutputIsWholeLinesWithoutControlCharacters() {
        try (TrainingProgress progress = new LogProgress(stream, 2, 5, () -> clock.nanos)) {
            simulate(progress);
            progress.message("checkpoint written: run.safetensors");
        }
        String text = output();
        text.chars().forEach(c -> assertTrue(c == '\n' || c >= 0x20, "control character " + c + " in " + text));
        List<String> lines = text.lines().toList();
        assertEquals(List.of(
                "epoch 1/2  step  5/10  loss 2.0000  acc 25.0 %  160 img/s  eta 1s",
                "epoch 1/2  step 10/10  loss 1.5000  acc 50.0 %  160 img/s  eta 1s",
                "epoch 1/2  train loss 1.2500  top-1 50.0 %  val loss 1.5000  val top-1 62.5 %  top-5 87.5 %  lr 0.0450"
                        + "  12.5 s  400 img/s  data wait 3.1 %",
                "epoch 2/2  step  5/10  loss 2.0000  acc 25.0 %  160 img/s  eta 0s",
                "epoch 2/2  step 10/10  loss 1.5000  acc 50.0 %  160 img/s  eta 0s",
                "epoch 2/2  train loss 0.7500  top-1 75.0 %  lr 0.0441  12.0 s  410 img/s  data wait 20.0 %",
                "checkpoint written: run.safetensors"), lines);
    }

    @Test
    void liveBarRedrawsInPlaceAtMostTenTimesASecond() {
        int steps = 1000;
        try (TrainingProgress progress = new LiveProgressBar(stream, 1, () -> 120, () -> clock.nanos)) {
            progress.startEpoch(1, steps);
            for (int step = 1; step <= steps; step++) {
                clock.advanceMillis(1); // 1000 steps in one second
                progress.step(step, 4, 1.0, 2);
            }
            progress.endEpoch(VALIDATED);
        }
        String text = output();
        long redraws = text.chars().filter(c -> c == '\r').count();
        // The first draw at the epoch's start and one per 100 ms over one second, plus the bar's erasure.
        assertTrue(redraws >= 10 && redraws <= 13, redraws + " carriage returns");
        assertFalse(text.contains("\u001b"), "no escape sequences are needed");
        String[] lines = text.split("\n");
        assertTrue(lines[lines.length - 1].endsWith("data wait 3.1 %"), lines[lines.length - 1]);
        for (String frame : text.split("[\r\n]")) {
            // The epoch line stays on screen and may wrap; the redrawn bar must not, or it would scroll.
            assertTrue(frame.startsWith("epoch 1/1  train") || frame.length() <= 119, "bar wider than the terminal: " + frame);
        }
    }

    @Test
    void liveBarShowsProgressAndFitsNarrowTerminals() {
        LiveProgressBar wide = new LiveProgressBar(stream, 3, () -> 120, () -> clock.nanos);
        wide.startEpoch(2, 10);
        clock.advanceMillis(1000);
        wide.step(5, 16, 0.5, 12);
        assertEquals("epoch 2/3  step  5/10 [==========          ] loss 0.5000  acc 75.0 %  16 img/s  eta 15s",
                wide.barText());

        LiveProgressBar narrow = new LiveProgressBar(stream, 3, () -> 40, () -> clock.nanos);
        narrow.startEpoch(2, 10);
        clock.advanceMillis(1000);
        narrow.step(5, 16, 0.5, 12);
        assertEquals("epoch 2/3  step  5/10  loss 0.5000  acc", narrow.barText());
    }

    @Test
    void aRunResumedMidEpochIsPacedByTheStepsItTimed() {
        try (TrainingProgress progress = new LogProgress(stream, 2, 1, () -> clock.nanos)) {
            progress.startEpoch(1, 100);
            for (int step = 61; step <= 62; step++) {
                clock.advanceMillis(500);
                progress.step(step, 10, 1.0, 5);
            }
        }
        // 0.5 s a step, 38 steps left in this epoch and 100 in the next: 69 s.
        assertEquals("epoch 1/2  step  62/100  loss 1.0000  acc 50.0 %  20 img/s  eta 1:09",
                output().lines().toList().get(1));
    }

    @Test
    void messagesReplaceTheBarAndCloseEndsTheLine() {
        try (TrainingProgress progress = new LiveProgressBar(stream, 1, () -> 80, () -> clock.nanos)) {
            progress.startEpoch(1, 4);
            clock.advanceMillis(200);
            progress.step(1, 4, 1.0, 1);
            progress.message("checkpoint written");
        }
        String text = output();
        assertTrue(text.contains("\rcheckpoint written\n"), text);
        assertTrue(text.endsWith("\n"), "close leaves the cursor on a fresh line");
    }

    @Test
    void openOnAPipeLogsAndJlineStaysSilent() {
        List<LogRecord> warnings = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger jline = Logger.getLogger("org.jline");
        jline.addHandler(handler);
        try (TrainingProgress progress = TrainingProgress.open(TrainingProgress.Output.STDOUT,
                TrainingProgress.Mode.AUTO, 1, 10)) {
            // Surefire's forked JVM writes to pipes, never to a terminal.
            assertInstanceOf(LogProgress.class, progress);
        } finally {
            jline.removeHandler(handler);
        }
        assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
        try (TrainingProgress forced = TrainingProgress.open(TrainingProgress.Output.STDERR, TrainingProgress.Mode.LOG,
                1, 10)) {
            assertInstanceOf(LogProgress.class, forced);
        }
    }

    @Test
    void durationsReadLikeAClock() {
        assertEquals("42s", EpochCounter.duration(42.4));
        assertEquals("3:07", EpochCounter.duration(187));
        assertEquals("1:02:03", EpochCounter.duration(3723));
        assertEquals("?", EpochCounter.duration(Double.POSITIVE_INFINITY));
    }
}
