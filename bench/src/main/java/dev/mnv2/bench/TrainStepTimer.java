package dev.mnv2.bench;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Network;
import dev.mnv2.util.Latency;
import java.util.Locale;

/**
 * One engine's training-step time for one case, in a JVM of its own ({@link TrainCompare} starts one per engine and
 * round, so that no engine's idle threads spin beside another's). A step is what a training loop repeats: forward
 * in training mode, loss, backward, SGD-momentum update (lr 0.01, momentum 0.9, weight decay 4e-5), on a batch
 * prepared once. After {@link Latency}'s warm-up (3 steps) it times {@code --steps} steps one by one and prints one
 * line: {@code result engine=E median_ms=… p90_ms=… min_ms=… samples=N forward_mb=… rss_growth_mb=…}.
 *
 * <p>Usage: {@code TrainStepTimer --engine pytorch|mnv2 --case CASE --threads T --steps N}, CASE as
 * {@link TrainingCase#arguments()} writes it. Exit status 3 (with {@link Mnv2Training#UNAVAILABLE} on stderr) when
 * the mnv2 engine is asked for and mnv2 has no trainer yet.
 */
public final class TrainStepTimer {
    static final int UNAVAILABLE_EXIT = 3;
    static final double LEARNING_RATE = 0.01;
    static final double MOMENTUM = 0.9;
    static final double WEIGHT_DECAY = 4e-5;

    private TrainStepTimer() {}

    public static void main(String[] args) throws Exception {
        String engine = null;
        TrainingCase c = null;
        int threads = 1;
        int steps = 5;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--engine" -> engine = args[++i];
                    case "--case" -> c = TrainingCase.parse(args[++i]);
                    case "--threads" -> threads = Integer.parseInt(args[++i]);
                    case "--steps" -> steps = Integer.parseInt(args[++i]);
                    default -> usage("unknown option " + args[i]);
                }
            }
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            usage("bad arguments " + String.join(" ", args) + ": " + e.getMessage());
        }
        if (engine == null || c == null) {
            usage("--engine and --case are required");
        }
        switch (engine) {
            case "pytorch" -> timePyTorch(c, threads, steps);
            case "mnv2" -> {
                // No mnv2 trainer yet: say so instead of printing a number mnv2 did not compute.
                System.err.println(Mnv2Training.UNAVAILABLE);
                System.exit(UNAVAILABLE_EXIT);
            }
            default -> usage("engine must be pytorch or mnv2, got " + engine);
        }
    }

    private static void timePyTorch(TrainingCase c, int threads, int steps) throws Exception {
        Djl.requireOffline("train-step-timer");
        Network network = c.network(TrainReferee.SEED);
        Tensor images = c.images(network, TrainReferee.SEED + 1);
        long rssBefore = Machine.processMemoryBytes("VmRSS");
        try (TorchTrainer trainer = TorchTrainer.builder(network, images, c.labels(TrainReferee.SEED + 2))
                .threads(threads).labelSmoothing(TrainReferee.LABEL_SMOOTHING)
                .batchNormMomentum(TrainReferee.BATCH_NORM_MOMENTUM).build()) {
            Latency.Result r = Latency.measure(() -> trainer.sgdStep(LEARNING_RATE, MOMENTUM, WEIGHT_DECAY), 0, steps);
            long growth = Machine.processMemoryBytes("VmHWM") - rssBefore;
            System.out.printf(Locale.ROOT, "result engine=pytorch median_ms=%.2f p90_ms=%.2f min_ms=%.2f samples=%d "
                            + "forward_mb=%.1f rss_growth_mb=%.1f%n", r.medianMs(), r.p90Ms(), r.minMs(), r.samples(),
                    trainer.forwardTensorBytes() / 1e6, growth / 1e6);
        }
    }

    private static void usage(String problem) {
        System.err.println("train-step-timer: " + problem
                + " (usage: --engine pytorch|mnv2 --case W,R,CIFAR,CLASSES,BATCH,PADDING --threads T --steps N)");
        System.exit(2);
    }
}
