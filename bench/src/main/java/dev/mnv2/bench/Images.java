package dev.mnv2.bench;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Shape;
import java.util.SplittableRandom;

/** The benchmark's input: seeded random images in [-1, 1), and their NCHW layout for the other engines. */
final class Images {
    private Images() {}

    static Tensor random(int batch, Shape shape, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(batch, shape);
        for (int i = 0; i < t.data().length; i++) {
            t.data()[i] = (float) (2 * random.nextDouble() - 1);
        }
        return t;
    }

    static float[] toNchw(Tensor t) {
        Shape s = t.shape();
        float[] out = new float[t.data().length];
        int i = 0;
        for (int n = 0; n < t.batch(); n++) {
            for (int c = 0; c < s.channels(); c++) {
                for (int y = 0; y < s.height(); y++) {
                    for (int x = 0; x < s.width(); x++) {
                        out[i++] = t.get(n, y, x, c);
                    }
                }
            }
        }
        return out;
    }
}
