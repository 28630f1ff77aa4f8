package dev.mnv2.bench;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Shape;
import java.util.SplittableRandom;

/** The benchmark's input: seeded random images in [-1, 1), and the NCHW layout of images for the other engines. */
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
        float[] out = new float[t.data().length];
        toNchw(t.data(), t.batch(), t.shape(), out);
        return out;
    }

    /** The first {@code images} NHWC images of {@code nhwc}, each of {@code shape}, as NCHW into {@code out}. */
    static void toNchw(float[] nhwc, int images, Shape shape, float[] out) {
        int channels = shape.channels();
        int pixels = shape.height() * shape.width();
        int i = 0;
        for (int n = 0; n < images; n++) {
            int image = n * pixels * channels;
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < pixels; p++) {
                    out[i++] = nhwc[image + p * channels + c];
                }
            }
        }
    }
}
