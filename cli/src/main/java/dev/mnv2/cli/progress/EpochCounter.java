package dev.mnv2.cli.progress;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The running figures of the current epoch, shared by both renderers so that the bar and the log lines say
 * the same thing: loss and accuracy weighted by images, throughput and the remaining time of the run.
 */
final class EpochCounter {
    private final int epochs;
    private final LongSupplier nanoClock;
    private int epoch;
    private int stepsInEpoch;
    private int step;
    private int stepsSeen;
    private long images;
    private long correct;
    private double lossSum;
    private long epochStartNanos;

    EpochCounter(int epochs, LongSupplier nanoClock) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        this.epochs = epochs;
        this.nanoClock = nanoClock;
    }

    void start(int epoch, int stepsInEpoch) {
        if (stepsInEpoch < 1) {
            throw new IllegalArgumentException("an epoch needs at least one step, got " + stepsInEpoch);
        }
        this.epoch = epoch;
        this.stepsInEpoch = stepsInEpoch;
        step = 0;
        stepsSeen = 0;
        images = 0;
        correct = 0;
        lossSum = 0;
        epochStartNanos = nanoClock.getAsLong();
    }

    void add(int step, int batchImages, double loss, int correctTop1) {
        if (stepsInEpoch == 0) {
            throw new IllegalStateException("step before startEpoch");
        }
        this.step = step;
        stepsSeen++;
        images += batchImages;
        correct += correctTop1;
        lossSum += loss * batchImages;
    }

    int step() {
        return step;
    }

    int stepsInEpoch() {
        return stepsInEpoch;
    }

    boolean started() {
        return stepsInEpoch > 0;
    }

    /** {@code epoch 3/30  step 120/391}, the steps padded so the line does not jump as they grow. */
    String position() {
        int width = Integer.toString(stepsInEpoch).length();
        return String.format(Locale.ROOT, "epoch %d/%d  step %" + width + "d/%d", epoch, epochs, step, stepsInEpoch);
    }

    /** {@code loss 1.2345  acc 56.7 %  412 img/s  eta 1:02:03}. */
    String figures() {
        double seconds = (nanoClock.getAsLong() - epochStartNanos) / 1e9;
        double loss = images == 0 ? Double.NaN : lossSum / images;
        double accuracy = images == 0 ? Double.NaN : (double) correct / images;
        StringBuilder text = new StringBuilder();
        text.append("loss ").append(Double.isNaN(loss) && images == 0 ? "-" : String.format(Locale.ROOT, "%.4f", loss))
                .append("  acc ").append(percent(accuracy));
        if (seconds > 0 && stepsSeen > 0) {
            // Paced by the steps this process has timed: a run resumed mid-epoch starts at a later step.
            long remainingSteps = (long) (stepsInEpoch - step) + (long) (epochs - epoch) * stepsInEpoch;
            text.append(String.format(Locale.ROOT, "  %.0f img/s  eta %s", images / seconds,
                    duration(seconds / stepsSeen * remainingSteps)));
        }
        return text.toString();
    }

    /** The end-of-epoch line, the same on a terminal and in a log. */
    String epochLine(EpochMetrics m) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "epoch %d/%d  train loss %.4f  top-1 %s", m.epoch(), epochs,
                m.trainLoss(), percent(m.trainTop1())));
        if (!Double.isNaN(m.valLoss())) {
            text.append(String.format(Locale.ROOT, "  val loss %.4f", m.valLoss()));
        }
        if (m.validated()) {
            text.append(String.format(Locale.ROOT, "  val top-1 %s  top-5 %s", percent(m.valTop1()),
                    percent(m.valTop5())));
        }
        text.append(String.format(Locale.ROOT, "  lr %.3g  %.1f s  %.0f img/s  data wait %.1f %%", m.learningRate(),
                m.seconds(), m.imagesPerSecond(), 100 * m.dataWaitShare()));
        return text.toString();
    }

    static String percent(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * fraction);
    }

    /** {@code 42s}, {@code 3:07}, {@code 1:02:03}. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long total = Math.round(seconds);
        long hours = total / 3600;
        long minutes = total / 60 % 60;
        long secs = total % 60;
        if (hours > 0) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", hours, minutes, secs);
        }
        return minutes > 0 ? String.format(Locale.ROOT, "%d:%02d", minutes, secs) : secs + "s";
    }
}
