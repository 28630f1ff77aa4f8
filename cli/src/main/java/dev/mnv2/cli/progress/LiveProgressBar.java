package dev.mnv2.cli.progress;

import java.io.PrintStream;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The live bar on an interactive terminal: one line rewritten in place with a carriage return, at most every
 * {@link #REDRAW_INTERVAL_NANOS}, cut to the terminal's width so that it never wraps. Epoch lines and messages
 * replace the bar and the bar is drawn again below them.
 */
final class LiveProgressBar implements TrainingProgress {
    /** 10 redraws a second: smooth to the eye, negligible next to a training step. */
    static final long REDRAW_INTERVAL_NANOS = 100_000_000L;
    private static final int BAR_CELLS = 20;
    private static final int MIN_WIDTH_FOR_BAR = 100;

    private final PrintStream out;
    private final IntSupplier terminalWidth;
    private final LongSupplier nanoClock;
    private final EpochCounter counter;
    private int width;
    private int drawnLength;
    private long lastDrawNanos;
    private boolean drawnOnce;

    LiveProgressBar(PrintStream out, int epochs, IntSupplier terminalWidth, LongSupplier nanoClock) {
        this.out = out;
        this.terminalWidth = terminalWidth;
        this.nanoClock = nanoClock;
        this.counter = new EpochCounter(epochs, nanoClock);
    }

    @Override
    public synchronized void startEpoch(int epoch, int stepsInEpoch) {
        counter.start(epoch, stepsInEpoch);
        width = terminalWidth.getAsInt(); // once an epoch: asking the terminal costs a process start
        draw();
    }

    @Override
    public synchronized void step(int step, int images, double loss, int correctTop1) {
        counter.add(step, images, loss, correctTop1);
        long now = nanoClock.getAsLong();
        if (!drawnOnce || now - lastDrawNanos >= REDRAW_INTERVAL_NANOS) {
            draw();
        }
    }

    @Override
    public synchronized void endEpoch(EpochMetrics metrics) {
        replaceBar(counter.epochLine(metrics));
        drawnLength = 0;
        drawnOnce = false;
    }

    @Override
    public synchronized void message(String line) {
        replaceBar(line);
        if (counter.started() && drawnOnce) {
            draw();
        }
    }

    @Override
    public synchronized void close() {
        if (drawnLength > 0) {
            out.println();
            drawnLength = 0;
        }
        out.flush();
    }

    /** The bar's text for the current state, at most {@code width - 1} characters (the last column would wrap). */
    String barText() {
        String position = counter.position();
        String figures = counter.figures();
        int limit = Math.max(20, width - 1);
        String text = position + "  " + figures;
        if (width >= MIN_WIDTH_FOR_BAR) {
            text = position + " " + cells() + " " + figures;
        }
        return text.length() > limit ? text.substring(0, limit) : text;
    }

    private String cells() {
        int filled = (int) ((long) BAR_CELLS * counter.step() / counter.stepsInEpoch());
        return "[" + "=".repeat(filled) + " ".repeat(BAR_CELLS - filled) + "]";
    }

    private void draw() {
        String text = barText();
        // Spaces over whatever the previous, longer text left; no escape sequences needed.
        out.print('\r' + text + " ".repeat(Math.max(0, drawnLength - text.length())));
        out.flush();
        drawnLength = text.length();
        lastDrawNanos = nanoClock.getAsLong();
        drawnOnce = true;
    }

    private void replaceBar(String line) {
        if (drawnLength > 0) {
            out.print('\r' + " ".repeat(drawnLength) + '\r');
        }
        out.println(line);
        out.flush();
        drawnLength = 0;
    }
}
