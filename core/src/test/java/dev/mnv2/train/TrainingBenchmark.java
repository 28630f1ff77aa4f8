package dev.mnv2.train;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times whole training steps (forward, loss, backward, SGD update) of MobileNetV2 with every block's tensors kept
 * and with them recomputed, and prints the activation bytes each keeps (observed: the written extent of the
 * buffers) and the step-time overhead of recomputing.
 *
 * <pre>
 * mvn -q -pl core -am test-compile
 * java --add-modules jdk.incubator.vector -Xmx8g -cp core/target/classes:core/target/test-classes \
 *     dev.mnv2.train.TrainingBenchmark [width] [resolution] [batch] [threads] [steps] [imagenet|cifar]
 * </pre>
 */
public final class TrainingBenchmark {
    private TrainingBenchmark() {}

    public static void main(String[] args) {
        double width = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        int resolution = args.length > 1 ? Integer.parseInt(args[1]) : 224;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        MobileNetV2Config.Variant variant = args.length > 5 ? MobileNetV2Config.Variant.parse(args[5])
                : MobileNetV2Config.Variant.IMAGENET;
        System.out.printf(Locale.ROOT, "α %.2f/%d %s, batch %d, %d threads, median of %d steps after one warm-up%n",
                width, resolution, variant.name().toLowerCase(Locale.ROOT), batch, threads, steps);
        double[] keep = run(width, resolution, batch, threads, steps, variant, false);
        double[] recompute = run(width, resolution, batch, threads, steps, variant, true);
        System.out.printf(Locale.ROOT, "keep all:  %8.1f ms/step  %6.1f img/s  activations %.1f MB%n", keep[0],
                batch * 1000 / keep[0], keep[1] / 1e6);
        System.out.printf(Locale.ROOT, "recompute: %8.1f ms/step  %6.1f img/s  activations %.1f MB (%.1f %% of keep "
                + "all), step time %+.1f %%%n", recompute[0], batch * 1000 / recompute[0], recompute[1] / 1e6,
                100 * recompute[1] / keep[1], 100 * (recompute[0] / keep[0] - 1));
    }

    /** {median ms per step, measured activation bytes}. */
    private static double[] run(double width, int resolution, int batch, int threads, int steps,
                                MobileNetV2Config.Variant variant, boolean recompute) {
        Network net = MobileNetV2.builder().width(width).resolution(resolution).classes(resolution <= 32 ? 10 : 1000)
                .variant(variant).dropout(0.2).seed(1).build();
        SplittableRandom random = new SplittableRandom(2);
        float[] images = new float[(int) (batch * net.input().elements())];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) (2 * random.nextDouble() - 1);
        }
        int[] labels = random.ints(batch, 0, net.classes()).toArray();
        try (Trainer trainer = Trainer.builder(net)
                .optimizer(Sgd.builder().momentum(0.9).weightDecay(WeightDecay.allParameters(4e-5)).build())
                .schedule(LearningRateSchedule.constant(0.01)).batch(batch).threads(threads).recompute(recompute)
                .build()) {
            trainer.step(images, labels);
            List<Double> ms = new ArrayList<>();
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                trainer.step(images, labels);
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            ms.sort(null);
            return new double[] {ms.get(ms.size() / 2), trainer.plan().measuredActivationBytes()};
        }
    }
}
