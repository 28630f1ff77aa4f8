package dev.mnv2.exec;

import static dev.mnv2.testing.RandomData.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.reference.ReferenceMobileNetV2;
import dev.mnv2.testing.RandomData;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole random MobileNetV2s over α × resolution against the independent reference walk of Table 2: vector
 * and scalar kernels, both execution modes, one and two threads, batch 3 (three distinct images: on two
 * threads two run one per thread and the third splits every layer over both) and, for the vector kernels,
 * batch 1. The reference runs once per network
 * on the batch of three; batch 1 is image 0 of it. Logits must agree within 1e-4 relative to the largest
 * logit (random He-initialised networks have logits in the tens), and every fast path must give
 * bit-identical logits.
 */
class FastPathMatrixTest {

    @ParameterizedTest(name = "alpha {0} at {1}")
    @CsvSource({
        "0.35, 96", "0.35, 127", "0.35, 224",
        "0.5, 96", "0.5, 127", "0.5, 224",
        "1.0, 96", "1.0, 127", "1.0, 224",
        "1.4, 96", "1.4, 127", "1.4, 224"})
    void everyFastPathMatchesTheReference(double alpha, int resolution) {
        Network network = MobileNetV2.builder().width(alpha).resolution(resolution).classes(1000)
                .seed((long) (alpha * 100) + resolution).build();
        Tensor batch = RandomData.tensor(3, network.input(), resolution);
        Tensor single = new Tensor(1, batch.shape(), batch.image(0));
        float[] expected = ReferenceMobileNetV2.forward(network, batch).data();
        double scale = 1;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        float[] firstLogits = Arrays.copyOf(expected, network.classes());

        float[] firstBatch = null;
        for (boolean vector : new boolean[] {true, false}) {
            for (ExecutionMode mode : ExecutionMode.values()) {
                for (int threads : new int[] {1, 2}) {
                    try (Predictor p = Predictor.builder(network).vectorized(vector).mode(mode).threads(threads)
                            .build()) {
                        String what = "alpha " + alpha + " at " + resolution + ", " + Networks.describe(p);
                        float[] three = p.forward(batch).data();
                        double diff = maxAbsDifference(expected, three);
                        assertTrue(diff <= 1e-4 * scale, what + " batch 3: max abs difference " + diff
                                + " for logits up to " + scale);
                        if (vector) {
                            // The scalar kernels skip this: their batch of 3 on two threads already runs two
                            // images one per thread and the third split over both.
                            float[] one = p.forward(single).data();
                            diff = maxAbsDifference(firstLogits, one);
                            assertTrue(diff <= 1e-4 * scale, what + " batch 1: max abs difference " + diff);
                            assertArrayEquals(Arrays.copyOf(three, one.length), one,
                                    what + ": batch 1 = image 0 of batch 3");
                        }
                        if (firstBatch == null) {
                            firstBatch = three;
                        } else {
                            assertArrayEquals(firstBatch, three,
                                    what + ": bit-identical across kernels, modes and threads");
                        }
                    }
                }
            }
        }
    }
}
