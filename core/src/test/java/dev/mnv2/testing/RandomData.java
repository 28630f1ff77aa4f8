package dev.mnv2.testing;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Shape;
import java.util.SplittableRandom;

/** Seeded random inputs for tests. */
public final class RandomData {
    private RandomData() {}

    /** Values uniform in [-1, 1), the range of the models' preprocessed images. */
    public static Tensor tensor(int batch, Shape shape, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(batch, shape);
        for (int i = 0; i < t.data().length; i++) {
            t.data()[i] = (float) (2 * random.nextDouble() - 1);
        }
        return t;
    }

    /** Largest absolute element-wise difference. */
    public static double maxAbsDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}
