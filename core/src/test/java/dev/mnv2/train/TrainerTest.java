package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Whole training runs on tiny budgets: overfitting one batch, determinism, non-finite losses. */
class TrainerTest {
    static float[] images(Network net, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[(int) (count * net.input().elements())];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * random.nextDouble() - 1);
        }
        return x;
    }

    static Network classifier(long seed) {
        return MobileNetV2.builder().width(0.35).resolution(32).classes(10).dropout(0.2).seed(seed).build();
    }

    /**
     * 200 steps on one fixed batch of random images with random labels: nothing to learn but the batch itself,
     * so only correct gradients of every layer drive the loss from ~2.3 to near zero.
     */
    @Test
    void twoHundredStepsOverfitOneBatchOfAClassifier() {
        Network net = classifier(1);
        float[] x = images(net, 8, 2);
        int[] labels = new SplittableRandom(3).ints(8, 0, 10).toArray();
        try (Trainer trainer = Trainer.builder(net).optimizer(AdamW.builder().build())
                .schedule(LearningRateSchedule.constant(3e-3)).batch(8).threads(2).seed(4).build()) {
            Trainer.StepResult first = trainer.step(x, labels);
            Trainer.StepResult last = first;
            for (int i = 1; i < 200; i++) {
                last = trainer.step(x, labels);
            }
            System.out.printf("classifier overfit: loss %.4f -> %.5f, accuracy %.2f%n", first.loss(), last.loss(),
                    last.accuracy());
            assertTrue(first.loss() > 1.5, "starts near ln 10: " + first.loss());
            assertTrue(last.loss() < 0.05, "loss after 200 steps: " + last.loss());
            assertEquals(1.0, last.accuracy());
            assertEquals(199, last.step());
        }
    }

    @Test
    void twoHundredStepsOverfitOneBatchOfASegmentationHead() {
        Network net = DeepLabV3.builder().width(0.35).resolution(33).classes(3).outputStride(16).headChannels(16)
                .seed(5).build();
        int batch = 2;
        float[] x = images(net, batch, 6);
        int pixels = 33 * 33;
        int[] labels = new int[batch * pixels];
        for (int n = 0; n < batch; n++) {
            for (int y = 0; y < 33; y++) {
                for (int c = 0; c < 33; c++) {
                    // Two regions per image and an unlabelled border, as VOC masks have.
                    int label = (n == 0 ? y < 16 : c < 16) ? 1 : n + 1;
                    labels[n * pixels + y * 33 + c] = y == 0 || c == 0 ? SoftmaxCrossEntropy.SEGMENTATION_IGNORE_LABEL
                            : label;
                }
            }
        }
        try (Trainer trainer = Trainer.builder(net).optimizer(AdamW.builder().build())
                .schedule(LearningRateSchedule.constant(3e-3)).batch(batch).threads(2).build()) {
            Trainer.StepResult first = trainer.step(x, labels, batch);
            Trainer.StepResult last = first;
            for (int i = 1; i < 200; i++) {
                last = trainer.step(x, labels, batch);
            }
            System.out.printf("segmentation overfit: loss %.4f -> %.5f, pixel accuracy %.4f%n", first.loss(),
                    last.loss(), last.accuracy());
            assertTrue(last.loss() < 0.1 * first.loss() && last.loss() < 0.1, "loss after 200 steps: " + last.loss());
            assertTrue(last.accuracy() > 0.98, "pixel accuracy " + last.accuracy());
            assertEquals(batch * (pixels - 65), last.counted(), "the border is ignored");
        }
    }

    /** The loss trajectory of a seed, for a thread count. */
    private static double[] trajectory(int threads, boolean recompute) {
        Network net = classifier(7);
        double[] losses = new double[6];
        try (Trainer trainer = Trainer.builder(net)
                .optimizer(Sgd.builder().momentum(0.9).nesterov(true).weightDecay(WeightDecay.allParameters(5e-4)).build())
                .schedule(LearningRateSchedule.cosine(0.1, 2, 0.1, 6, 0)).clipGradientNorm(5).ema(0.9)
                .batch(6).threads(threads).recompute(recompute).seed(8).build()) {
            for (int s = 0; s < losses.length; s++) {
                float[] x = images(net, 6, 100 + s);
                int[] labels = new SplittableRandom(200 + s).ints(6, 0, 10).toArray();
                losses[s] = trainer.step(x, labels).loss();
            }
        }
        return losses;
    }

    @Test
    void aSeedGivesTheSameLossTrajectoryOnEveryRunAndThreadCount() {
        double[] expected = trajectory(1, false);
        assertArrayEquals(expected, trajectory(1, false));
        assertArrayEquals(expected, trajectory(2, false));
        assertArrayEquals(expected, trajectory(2, true));
        assertTrue(Arrays.stream(expected).distinct().count() == expected.length, Arrays.toString(expected));
    }

    @Test
    void aNonFiniteLossStopsTheStepBeforeAnyUpdate() {
        Network net = classifier(9);
        float[] x = images(net, 2, 10);
        x[5] = Float.NaN;
        try (Trainer trainer = Trainer.builder(net).batch(2).threads(1).build()) {
            float[] before = trainer.parameters().get(0).value().clone();
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> trainer.step(x, new int[] {1, 2}));
            assertTrue(e.getMessage().contains("step 0"), e.getMessage());
            assertArrayEquals(before, trainer.parameters().get(0).value());
            assertEquals(0, trainer.steps());
            assertThrows(IllegalArgumentException.class, () -> trainer.step(x, new int[] {1, 2, 3}, 2));
        }
    }

    @Test
    void evaluationUsesTheInferenceNetworkAndTheMovingAverage() {
        Network net = classifier(11);
        float[] x = images(net, 4, 12);
        int[] labels = {0, 1, 2, 3};
        try (Trainer trainer = Trainer.builder(net).ema(0.5).batch(4).threads(1).build()) {
            trainer.step(x, labels);
            Trainer.Evaluation e = trainer.evaluate(x, labels, 4);
            assertEquals(4, e.images());
            assertTrue(e.top1() <= e.top5());
            float[] weight = trainer.parameters().get(0).value().clone();
            trainer.evaluate(x, labels, 4);
            assertArrayEquals(weight, trainer.parameters().get(0).value(), "the average is swapped back out");
        }
    }
}
