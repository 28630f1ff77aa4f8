package dev.mnv2.cli.progress;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/** Progress for a pipe, file or CI log: whole lines only, one every {@code logEverySteps} steps and one per epoch. */
final class LogProgress implements TrainingProgress {
    private final PrintStream out;
    private final int logEverySteps;
    private final EpochCounter counter;

    LogProgress(PrintStream out, int epochs, int logEverySteps, LongSupplier nanoClock) {
        if (logEverySteps < 1) {
            throw new IllegalArgumentException("logEverySteps must be at least 1, got " + logEverySteps);
        }
        this.out = out;
        this.logEverySteps = logEverySteps;
        this.counter = new EpochCounter(epochs, nanoClock);
    }

    @Override
    public synchronized void startEpoch(int epoch, int stepsInEpoch) {
        counter.start(epoch, stepsInEpoch);
    }

    @Override
    public synchronized void step(int step, int images, double loss, int correctTop1) {
        counter.add(step, images, loss, correctTop1);
        if (step % logEverySteps == 0) {
            println(counter.position() + "  " + counter.figures());
        }
    }

    @Override
    public synchronized void endEpoch(EpochMetrics metrics) {
        println(counter.epochLine(metrics));
    }

    @Override
    public synchronized void message(String line) {
        println(line);
    }

    @Override
    public synchronized void close() {
        out.flush();
    }

    private void println(String line) {
        out.println(line);
        out.flush();
    }
}
