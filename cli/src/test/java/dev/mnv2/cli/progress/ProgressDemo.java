package dev.mnv2.cli.progress;

/**
 * A simulated training run for looking at the progress output by eye, on a terminal and through a pipe:
 * {@code mvn -q -pl cli -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp} then
 * {@code java -cp cli/target/classes:cli/target/test-classes:$(cat /tmp/cp) dev.mnv2.cli.progress.ProgressDemo}
 * (and again with {@code | cat}).
 */
public final class ProgressDemo {
    private ProgressDemo() {}

    public static void main(String[] args) throws InterruptedException {
        int epochs = 2;
        int steps = 40;
        try (TrainingProgress progress = TrainingProgress.open(TrainingProgress.Output.STDERR,
                TrainingProgress.Mode.AUTO, epochs, 10)) {
            for (int epoch = 1; epoch <= epochs; epoch++) {
                progress.startEpoch(epoch, steps);
                for (int step = 1; step <= steps; step++) {
                    Thread.sleep(25);
                    progress.step(step, 32, 2.3 / (epoch + step * 0.05), Math.min(32, 8 + step / 2));
                    if (step == steps / 2) {
                        progress.message("checkpoint written: demo.safetensors");
                    }
                }
                progress.endEpoch(new EpochMetrics(epoch, (long) epoch * steps, 1.2 / epoch, 0.5 + 0.1 * epoch,
                        1.1 / epoch, 0.55 + 0.1 * epoch, 0.9, 0.045, 1.0, 1280, 0.031));
            }
        }
    }
}
