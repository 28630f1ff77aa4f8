package dev.mnv2.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** MixUp and CutMix against their definitions, and the Beta draws against Beta's moments. */
class BatchMixingTest {
    private static final int H = 6;
    private static final int W = 5;
    private static final int C = 3;
    private static final int SIZE = H * W * C;

    /** Image {@code i} holds {@code 100·i + v} at value {@code v}, so every mixed value says where it came from. */
    private static float[] batch(int count) {
        float[] images = new float[count * SIZE];
        for (int i = 0; i < count; i++) {
            for (int v = 0; v < SIZE; v++) {
                images[i * SIZE + v] = 1000f * i + v;
            }
        }
        return images;
    }

    @Test
    void mixupBlendsEachImageWithItsNeighbourAndTheTargetsLikewise() {
        int count = 4;
        float[] original = batch(count);
        float[] images = original.clone();
        int[] labels = {3, 1, 4, 1};
        BatchMixing.Mix mix = new BatchMixing(0.4, 0).apply(images, labels, count, H, W, C, 7, 12);
        float lambda = mix.lambda();
        assertTrue(lambda > 0 && lambda < 1, "λ " + lambda);
        assertArrayEquals(new int[] {1, 3, 1, 4}, mix.partnerLabels());
        for (int i = 0; i < count; i++) {
            int partner = (i + count - 1) % count;
            for (int v = 0; v < SIZE; v++) {
                float expected = lambda * original[i * SIZE + v] + (1 - lambda) * original[partner * SIZE + v];
                assertEquals(expected, images[i * SIZE + v], 1e-2, "image " + i + " value " + v);
            }
        }
    }

    @Test
    void cutmixPastesOneBoxOfTheNeighbourAndLambdaIsTheShareLeft() {
        int count = 3;
        float[] original = batch(count);
        BatchMixing cutmix = new BatchMixing(0, 1.0);
        boolean sawBox = false;
        for (long step = 0; step < 20; step++) {
            float[] images = original.clone();
            BatchMixing.Mix mix = cutmix.apply(images, new int[] {0, 1, 2}, count, H, W, C, 5, step);
            for (int i = 0; i < count; i++) {
                int partner = (i + count - 1) % count;
                int pasted = 0;
                int minY = H, maxY = -1, minX = W, maxX = -1;
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        int at = (y * W + x) * C;
                        boolean fromPartner = images[i * SIZE + at] == original[partner * SIZE + at];
                        if (!fromPartner) {
                            assertEquals(original[i * SIZE + at], images[i * SIZE + at]);
                        }
                        for (int c = 1; c < C; c++) {
                            int src = fromPartner ? partner : i;
                            assertEquals(original[src * SIZE + at + c], images[i * SIZE + at + c]);
                        }
                        if (fromPartner) {
                            pasted++;
                            minY = Math.min(minY, y);
                            maxY = Math.max(maxY, y);
                            minX = Math.min(minX, x);
                            maxX = Math.max(maxX, x);
                        }
                    }
                }
                assertEquals(1f - (float) pasted / (H * W), mix.lambda(), 1e-6, "step " + step + " image " + i);
                if (pasted > 0) {
                    sawBox = true;
                    assertEquals(pasted, (maxY - minY + 1) * (maxX - minX + 1), "one rectangle");
                }
            }
        }
        assertTrue(sawBox);
    }

    @Test
    void whatABatchGetsDependsOnTheSeedAndStepOnly() {
        BatchMixing both = new BatchMixing(0.2, 1.0);
        float[] a = batch(2);
        float[] b = batch(2);
        float[] c = batch(2);
        float la = both.apply(a, new int[] {0, 1}, 2, H, W, C, 9, 4).lambda();
        float lb = both.apply(b, new int[] {0, 1}, 2, H, W, C, 9, 4).lambda();
        assertEquals(la, lb);
        assertArrayEquals(a, b);
        both.apply(c, new int[] {0, 1}, 2, H, W, C, 9, 5);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    @Test
    void betaDrawsHaveBetasMeanAndVariance() {
        for (double alpha : new double[] {0.2, 1.0, 2.5}) {
            SplittableRandom random = new SplittableRandom(1);
            int n = 200_000;
            double sum = 0;
            double squares = 0;
            for (int i = 0; i < n; i++) {
                double x = BatchMixing.beta(alpha, random);
                assertTrue(x >= 0 && x <= 1);
                sum += x;
                squares += x * x;
            }
            double mean = sum / n;
            double variance = squares / n - mean * mean;
            assertEquals(0.5, mean, 0.005, "mean at α " + alpha);
            assertEquals(1 / (4 * (2 * alpha + 1)), variance, 0.004, "variance at α " + alpha);
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BatchMixing(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchMixing(0, Double.NaN));
        assertThrows(IllegalStateException.class,
                () -> BatchMixing.NONE.apply(batch(1), new int[] {0}, 1, H, W, C, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new BatchMixing(1, 0).apply(batch(1), new int[] {0}, 2, H, W, C, 0, 0));
    }
}
