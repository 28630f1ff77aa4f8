package dev.mnv2.cli.progress;

import java.io.PrintStream;

/**
 * Reports a training run as it goes, without the trainer knowing where the output goes: on an interactive
 * terminal a live single-line bar (redrawn at most 10 times a second), elsewhere (pipe, file, CI) plain log
 * lines, one every few steps and one per epoch, with no control characters. Calls come from the training
 * loop; {@link #message} may come from any thread (a shutdown hook, a checkpoint writer).
 *
 * <pre>{@code
 * try (TrainingProgress progress = TrainingProgress.open(TrainingProgress.Output.STDERR,
 *         TrainingProgress.Mode.AUTO, epochs, 50)) {
 *     for (int epoch = first; epoch <= epochs; epoch++) {
 *         progress.startEpoch(epoch, stepsPerEpoch);
 *         for (int step = 1; step <= stepsPerEpoch; step++) {
 *             ... progress.step(step, batchSize, meanLoss, correctTop1);
 *         }
 *         progress.endEpoch(metrics);
 *     }
 * }
 * }</pre>
 */
public interface TrainingProgress extends AutoCloseable {

    /** Which of the process's standard streams the progress goes to. */
    enum Output { STDOUT, STDERR }

    /** {@code AUTO}: a live bar when the stream is an interactive terminal, else log lines; {@code LOG}: always log lines. */
    enum Mode { AUTO, LOG }

    /**
     * Opens the reporter for a run of {@code epochs} epochs on the given standard stream.
     *
     * @param logEverySteps how many steps apart the log lines are when the output is not a terminal
     */
    static TrainingProgress open(Output output, Mode mode, int epochs, int logEverySteps) {
        PrintStream stream = output == Output.STDOUT ? System.out : System.err;
        if (mode == Mode.AUTO) {
            TerminalProbe probe = TerminalProbe.of(output);
            if (probe.interactive()) {
                return new LiveProgressBar(stream, epochs, probe::width, System::nanoTime);
            }
        }
        return new LogProgress(stream, epochs, logEverySteps, System::nanoTime);
    }

    /** A new epoch begins; {@code epoch} counts from 1 (a resumed run starts where it left off). */
    void startEpoch(int epoch, int stepsInEpoch);

    /**
     * One optimizer step of the current epoch ended.
     *
     * @param step        the step within the epoch, from 1
     * @param images      images in the step's batch
     * @param loss        the batch's mean loss
     * @param correctTop1 how many of the batch's images the model classified right (top-1)
     */
    void step(int step, int images, double loss, int correctTop1);

    /** The epoch ended (validation included): prints its line with {@code metrics}. */
    void endEpoch(EpochMetrics metrics);

    /** Prints one line of text (a warning, "checkpoint written") without garbling the bar. */
    void message(String line);

    /** Ends the output cleanly (the cursor on a fresh line). */
    @Override
    void close();
}
