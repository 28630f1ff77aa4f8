package dev.mnv2.cli.progress;

/**
 * What one training epoch measured: one row of {@link MetricsCsv}, one point of {@link TrainingCurves} and the
 * end-of-epoch line of {@link TrainingProgress}. Accuracies and the data-wait share are fractions in [0, 1];
 * a value that was not measured (no validation folder, no validation loss) is {@code Double.NaN}.
 *
 * @param epoch           the epoch number, from 1
 * @param steps           optimizer steps taken since the start of training, at the end of this epoch
 * @param trainLoss       mean training loss over the epoch
 * @param trainTop1       training top-1 accuracy over the epoch
 * @param valLoss         validation loss, or NaN
 * @param valTop1         validation top-1 accuracy, or NaN
 * @param valTop5         validation top-5 accuracy, or NaN
 * @param learningRate    the learning rate at the end of the epoch
 * @param seconds         wall-clock seconds the epoch took
 * @param imagesPerSecond training images per second over the epoch
 * @param dataWaitShare   share of step time the trainer spent waiting for data
 */
public record EpochMetrics(int epoch, long steps, double trainLoss, double trainTop1, double valLoss, double valTop1,
        double valTop5, double learningRate, double seconds, double imagesPerSecond, double dataWaitShare) {

    public EpochMetrics {
        if (epoch < 1) {
            throw new IllegalArgumentException("epoch must be at least 1, got " + epoch);
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps must not be negative, got " + steps);
        }
    }

    /** Whether this epoch was validated (a validation top-1 was measured). */
    public boolean validated() {
        return !Double.isNaN(valTop1);
    }
}
