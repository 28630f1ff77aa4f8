package dev.mnv2.bench;

import dev.mnv2.exec.Tensor;
import dev.mnv2.exec.TrainingPlan;
import dev.mnv2.model.Network;
import dev.mnv2.train.Trainer;
import dev.mnv2.util.Latency;
import java.util.Locale;

/**
 * One engine's training-step time for one case, in a JVM of its own ({@link TrainCompare} starts one per engine and
 * round, so that no engine's idle threads spin beside another's). A step is what a training loop repeats: forward
 * in training mode, loss, backward, SGD-momentum update (lr 0.01, momentum 0.9, weight decay 4e-5), on a batch
 * prepared once. After {@link Latency}'s warm-up (3 steps) it times {@code --steps} steps one by one and prints one
 * line: {@code result engine=E median_ms=… p90_ms=… min_ms=… samples=N forward_mb=… rss_growth_mb=…}, where
 * {@code forward_mb} is the activation memory the backward reads: for PyTorch the tensors its training forward
 * makes (autograd holds them), for mnv2 the bytes its plan's activation buffers were observed to hold
 * ({@link TrainingPlan#measuredActivationBytes()}).
 *
 * <p>Usage: {@code TrainStepTimer --engine pytorch|mnv2 --case CASE --threads T --steps N [--recompute]}, CASE as
 * {@link TrainingCase#arguments()} writes it; {@code --recompute} runs mnv2's memory-efficient mode (each block's
 * inner tensors recomputed in the backward instead of kept).
 */
public final class TrainStepTimer {
    static final double LEARNING_RATE = 0.01;
    static final double MOMENTUM = 0.9;
    static final double WEIGHT_DECAY = 4e-5;

    private TrainStepTimer() {}

    public static void main(String[] args) throws Exception {
        String engine = null;
        TrainingCase c = null;
        int threads = 1;
        int steps = 5;
        boolean recompute = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--engine" -> engine = args[++i];
                    case "--case" -> c = TrainingCase.parse(args[++i]);
                    case "--threads" -> threads = Integer.parseInt(args[++i]);
                    case "--steps" -> steps = Integer.parseInt(args[++i]);
                    case "--recompute" -> recompute = true;
                    default -> usage("unknown option " + args[i]);
                }
            }
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            usage("bad arguments " + String.join(" ", args) + ": " + e.getMessage());
        }
        if (engine == null || c == null) {
            usage("--engine and --case are required");
        }
        if (recompute && !engine.equals("mnv2")) {
            usage("--recompute is mnv2's option");
        }
        switch (engine) {
            case "pytorch" -> timePyTorch(c, threads, steps);
            case "mnv2" -> timeMnv2(c, threads, steps, recompute);
            default -> usage("engine must be pytorch or mnv2, got " + engine);
        }
    }

    private static void timeMnv2(TrainingCase c, int threads, int steps, boolean recompute) throws Exception {
        Network network = c.network(TrainReferee.SEED);
        float[] images = c.images(network, TrainReferee.SEED + 1).data();
        int[] labels = c.labels(TrainReferee.SEED + 2);
        long rssBefore = Machine.processMemoryBytes("VmRSS");
        try (Trainer trainer = Mnv2Training.trainer(network, c.batch(), threads, recompute, LEARNING_RATE, MOMENTUM,
                WEIGHT_DECAY)) {
            Latency.Result r = Latency.measure(() -> trainer.step(images, labels), 0, steps);
            long growth = Machine.processMemoryBytes("VmHWM") - rssBefore;
            print(recompute ? "mnv2-recompute" : "mnv2", r, trainer.plan().measuredActivationBytes(), growth);
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
            print("pytorch", r, trainer.forwardTensorBytes(), growth);
        }
    }

    private static void print(String engine, Latency.Result r, long activationBytes, long rssGrowthBytes) {
        System.out.printf(Locale.ROOT, "result engine=%s median_ms=%.2f p90_ms=%.2f min_ms=%.2f samples=%d "
                        + "forward_mb=%.1f rss_growth_mb=%.1f%n", engine, r.medianMs(), r.p90Ms(), r.minMs(),
                r.samples(), activationBytes / 1e6, rssGrowthBytes / 1e6);
    }

    private static void usage(String problem) {
        System.err.println("train-step-timer: " + problem
                + " (usage: --engine pytorch|mnv2 --case W,R,CIFAR,CLASSES,BATCH,PADDING --threads T --steps N"
                + " [--recompute])");
        System.exit(2);
    }
}
