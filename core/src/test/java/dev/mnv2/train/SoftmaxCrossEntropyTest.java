package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The loss against a naive float64 reference and its gradient against finite differences of that reference. */
class SoftmaxCrossEntropyTest {
    private static float[] logits(int rows, int classes, double scale, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] z = new float[rows * classes];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (scale * (2 * random.nextDouble() - 1));
        }
        return z;
    }

    private static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** Worst relative error of the kernel's gradient against central differences of the reference loss. */
    private static double gradientError(SoftmaxCrossEntropy loss, float[] z, int[] labels, int classes,
            double smoothing, int ignore) {
        float[] gradient = new float[z.length];
        loss.lossAndGradient(z, labels, classes, gradient);
        double[] x = widen(z);
        double h = 1e-5;
        double worst = 0;
        double largest = 0;
        for (float g : gradient) {
            largest = Math.max(largest, Math.abs(g));
        }
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + h;
            double up = TrainingReference.crossEntropy(x, labels, classes, smoothing, ignore);
            x[i] = saved - h;
            double down = TrainingReference.crossEntropy(x, labels, classes, smoothing, ignore);
            x[i] = saved;
            double numeric = (up - down) / (2 * h);
            worst = Math.max(worst, Math.abs(gradient[i] - numeric) / Math.max(Math.abs(numeric), 1e-2 * largest));
        }
        return worst;
    }

    @Test
    void labelSmoothedLossMatchesTheReferenceAndItsGradientMatchesFiniteDifferences() {
        int rows = 6;
        int classes = 11;
        float[] z = logits(rows, classes, 4, 3);
        int[] labels = {0, 10, 3, 3, 7, 1};
        SoftmaxCrossEntropy smoothed = SoftmaxCrossEntropy.builder().labelSmoothing(0.1).build();
        double reference = TrainingReference.crossEntropy(widen(z), labels, classes, 0.1, -1);
        double loss = smoothed.loss(z, labels, classes);
        assertEquals(reference, loss, 1e-12 * reference);
        double error = gradientError(smoothed, z, labels, classes, 0.1, -1);
        System.out.printf("label-smoothed CE gradient vs float64 finite differences: max relative error %.2e%n", error);
        assertTrue(error <= 1e-3, "gradient relative error " + error);
        double unsmoothed = TrainingReference.crossEntropy(widen(z), labels, classes, 0, -1);
        assertTrue(Math.abs(unsmoothed - loss) > 1e-3, "smoothing must change the loss for this test to mean anything");
    }

    @Test
    void gradientIsSoftmaxMinusSmoothedTargetOverTheCount() {
        float[] z = {2f, 0f, -1f};
        float[] gradient = new float[3];
        SoftmaxCrossEntropy.builder().labelSmoothing(0.3).build().lossAndGradient(z, new int[] {1}, 3, gradient);
        double sum = Math.exp(2) + 1 + Math.exp(-1);
        double[] softmax = {Math.exp(2) / sum, 1 / sum, Math.exp(-1) / sum};
        double[] target = {0.1, 0.7 + 0.1, 0.1};
        for (int k = 0; k < 3; k++) {
            assertEquals(softmax[k] - target[k], gradient[k], 1e-7);
        }
    }

    @Test
    void hugeLogitsStayFinite() {
        float[] z = {1e30f, -1e30f, 0f, 3e4f, 3e4f, -3e4f};
        float[] gradient = new float[z.length];
        double loss = SoftmaxCrossEntropy.builder().labelSmoothing(0.1).build()
                .lossAndGradient(z, new int[] {1, 2}, 3, gradient);
        assertTrue(Double.isFinite(loss), "loss " + loss);
        for (float g : gradient) {
            assertTrue(Float.isFinite(g), "gradient " + g);
        }
        assertEquals((0.5 - 0.1 / 3) / 2, gradient[4], 1e-7, "two tied maxima share the softmax");
    }

    @Test
    void ignoredPixelsAddNothingAndGetNoGradient() {
        // NHWC logits of 1 image, 2x3 pixels, 4 classes: 6 rows
        int classes = 4;
        float[] z = logits(6, classes, 3, 9);
        int[] labels = {2, 255, 0, 255, 3, 1};
        SoftmaxCrossEntropy loss = SoftmaxCrossEntropy.segmentation();
        float[] gradient = new float[z.length];
        double value = loss.lossAndGradient(z, labels, classes, gradient);
        assertEquals(TrainingReference.crossEntropy(widen(z), labels, classes, 0, 255), value, 1e-12);
        for (int k = 0; k < classes; k++) {
            assertEquals(0f, gradient[classes + k]);
            assertEquals(0f, gradient[3 * classes + k]);
        }
        float[] changed = z.clone();
        changed[classes] = 50f;
        changed[3 * classes + 2] = -50f;
        assertEquals(value, loss.loss(changed, labels, classes), "ignored pixels' logits must not matter");
        int[] counted = {2, 0, 3, 1};
        float[] countedLogits = new float[4 * classes];
        int[] rows = {0, 2, 4, 5};
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(z, rows[r] * classes, countedLogits, r * classes, classes);
        }
        assertEquals(SoftmaxCrossEntropy.create().loss(countedLogits, counted, classes), value, 1e-12,
                "the mean is over the counted pixels only");
        double error = gradientError(SoftmaxCrossEntropy.builder().ignoreLabel(255).labelSmoothing(0.2).build(), z,
                labels, classes, 0.2, 255);
        assertTrue(error <= 1e-3, "gradient relative error with ignored pixels " + error);
    }

    @Test
    void allIgnoredGivesZeroLossAndGradient() {
        float[] gradient = {1f, 1f, 1f, 1f};
        double value = SoftmaxCrossEntropy.segmentation().lossAndGradient(new float[4], new int[] {255, 255}, 2, gradient);
        assertEquals(0.0, value);
        assertArrayEquals(new float[4], gradient);
    }

    @Test
    void gradientMayOverwriteTheLogits() {
        float[] z = logits(3, 5, 2, 4);
        int[] labels = {4, 0, 2};
        SoftmaxCrossEntropy loss = SoftmaxCrossEntropy.builder().labelSmoothing(0.1).build();
        float[] separate = new float[z.length];
        double expected = loss.lossAndGradient(z, labels, 5, separate);
        float[] inPlace = z.clone();
        assertEquals(expected, loss.lossAndGradient(inPlace, labels, 5, inPlace));
        assertArrayEquals(separate, inPlace);
    }

    @Test
    void badLabelsAndShapesAreNamed() {
        SoftmaxCrossEntropy loss = SoftmaxCrossEntropy.create();
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> loss.loss(new float[6], new int[] {0, 3}, 3));
        assertEquals("label 3 of row 1 is outside [0, 3)", range.getMessage());
        IllegalArgumentException ignored = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.segmentation().loss(new float[6], new int[] {-1, 255}, 3));
        assertEquals("label -1 of row 0 is outside [0, 3) and is not the ignore label 255", ignored.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loss.loss(new float[5], new int[] {0, 1}, 3));
        assertThrows(IllegalArgumentException.class, () -> loss.lossAndGradient(new float[6], new int[] {0, 1}, 3, new float[5]));
        assertThrows(IllegalArgumentException.class, () -> SoftmaxCrossEntropy.builder().labelSmoothing(1.5));
    }

    @Test
    void aMixedBatchsLossIsTheMixOfBothLabelsLossesAndSoIsItsGradient() {
        int rows = 5;
        int classes = 7;
        float[] z = logits(rows, classes, 3, 11);
        int[] labels = {0, 6, 2, 2, 5};
        int[] partners = {6, 2, 2, 5, 0};
        float lambda = 0.3f;
        SoftmaxCrossEntropy loss = SoftmaxCrossEntropy.builder().labelSmoothing(0.1).build();
        float[] mixed = new float[z.length];
        double value = loss.lossAndGradient(z, labels, partners, lambda, classes, mixed);
        float[] own = new float[z.length];
        float[] other = new float[z.length];
        double expected = lambda * loss.lossAndGradient(z, labels, classes, own)
                + (1 - lambda) * loss.lossAndGradient(z, partners, classes, other);
        assertEquals(expected, value, 1e-12);
        assertEquals(lambda * TrainingReference.crossEntropy(widen(z), labels, classes, 0.1, -1)
                + (1 - lambda) * TrainingReference.crossEntropy(widen(z), partners, classes, 0.1, -1), value, 1e-6);
        for (int i = 0; i < z.length; i++) {
            assertEquals(lambda * own[i] + (1 - lambda) * other[i], mixed[i], 1e-7, "gradient " + i);
        }
        assertThrows(IllegalArgumentException.class,
                () -> loss.lossAndGradient(z, labels, new int[] {0, 0, 0, 0, 7}, lambda, classes, mixed));
        assertThrows(IllegalArgumentException.class,
                () -> loss.lossAndGradient(z, labels, partners, 1.5f, classes, mixed));
    }
}
