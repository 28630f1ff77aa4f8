package dev.mnv2.exec;

import static dev.mnv2.testing.RandomData.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.Activation;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.reference.Reference;
import dev.mnv2.testing.RandomData;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The execution kernels against the naive reference on random data. */
class KernelsTest {
    private static final double TOLERANCE = 1e-4;

    static Conv2d randomConv(int in, int out, int k, int stride, int dilation, int groups, Padding padding,
                             Activation activation, boolean bias, boolean batchNorm, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[k * k * (in / groups) * out];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextDouble() - 0.5);
        float[] b = null;
        if (bias) {
            b = new float[out];
            for (int i = 0; i < out; i++) b[i] = (float) (r.nextDouble() - 0.5);
        }
        BatchNorm bn = null;
        if (batchNorm) {
            bn = BatchNorm.identity(out, 1e-3f);
            for (int c = 0; c < out; c++) {
                bn.gamma()[c] = (float) (0.5 + r.nextDouble());
                bn.beta()[c] = (float) (r.nextDouble() - 0.5);
                bn.mean()[c] = (float) (r.nextDouble() - 0.5);
                bn.variance()[c] = (float) (0.5 + r.nextDouble());
            }
        }
        return new Conv2d("conv", in, out, k, stride, dilation, groups, padding, activation, w, b, bn);
    }

    private static float[] run(Conv2d conv, Tensor x, Tensor residual) {
        Conv2d folded = conv.foldBatchNorm();
        Shape outShape = folded.outputShape(x.shape());
        float[] out = new float[Math.toIntExact(x.batch() * outShape.elements())];
        for (int n = 0; n < x.batch(); n++) {
            Kernels.conv2d(folded, x.data(), n * x.imageSize(), x.shape(), out, n * (int) outShape.elements(),
                    residual == null ? null : residual.data(), n * (int) outShape.elements());
        }
        return out;
    }

    @ParameterizedTest(name = "{0}x{1}x{2} -> {3}, k{4} s{5} d{6} g{7} {8}")
    @CsvSource({
        // h, w, in, out, kernel, stride, dilation, groups, padding (-1 = TF SAME)
        "7, 7, 3, 8, 3, 2, 1, 1, -1",      // stem-like, odd input, stride 2 SAME
        "8, 8, 3, 8, 3, 2, 1, 1, -1",      // even input, stride 2 SAME (asymmetric)
        "9, 6, 5, 7, 3, 2, 1, 1, -1",      // non-square, odd channel counts
        "8, 8, 3, 8, 3, 2, 1, 1, 1",       // PyTorch symmetric padding
        "11, 11, 16, 16, 3, 1, 1, 16, -1", // depthwise stride 1
        "10, 10, 16, 16, 3, 2, 1, 16, -1", // depthwise stride 2, even
        "11, 11, 12, 12, 3, 2, 1, 12, -1", // depthwise stride 2, odd
        "10, 10, 8, 8, 3, 1, 2, 8, -1",    // dilated depthwise (atrous)
        "10, 10, 8, 8, 3, 1, 2, 8, 2",     // dilated depthwise, explicit padding
        "6, 5, 24, 17, 1, 1, 1, 1, 0",     // pointwise
        "6, 6, 12, 18, 3, 1, 1, 3, 1",     // grouped
        "5, 5, 4, 6, 5, 1, 1, 1, -1",      // 5x5
        "13, 13, 6, 6, 3, 3, 1, 1, 0"})    // stride 3, valid
    void convolutionMatchesReference(int h, int w, int in, int out, int k, int stride, int dilation, int groups,
                                     int pad) {
        Padding padding = pad < 0 ? Padding.same() : Padding.symmetric(pad);
        for (Activation activation : Activation.values()) {
            Conv2d conv = randomConv(in, out, k, stride, dilation, groups, padding, activation, true, true, h * 31L + k);
            Tensor x = RandomData.tensor(2, new Shape(h, w, in), 7);
            Tensor expected = Reference.conv2d(conv, x);
            float[] actual = run(conv, x, null);
            assertEquals(expected.data().length, actual.length);
            assertTrue(maxAbsDifference(expected.data(), actual) < TOLERANCE, conv + " " + activation);
        }
    }

    @Test
    void residualIsAddedAfterTheActivation() {
        Conv2d conv = randomConv(8, 8, 1, 1, 1, 1, Padding.valid(), Activation.RELU6, false, true, 3);
        Tensor x = RandomData.tensor(1, new Shape(5, 5, 8), 1);
        Tensor expected = Reference.add(Reference.conv2d(conv, x), x);
        assertTrue(maxAbsDifference(expected.data(), run(conv, x, x)) < TOLERANCE);
    }

    @Test
    void batchNormFoldingKeepsTheOutput() {
        Conv2d conv = randomConv(6, 10, 3, 1, 1, 1, Padding.same(), Activation.IDENTITY, true, true, 11);
        Tensor x = RandomData.tensor(1, new Shape(6, 6, 6), 2);
        Tensor unfolded = Reference.conv2d(conv, x);
        Tensor folded = Reference.conv2d(conv.foldBatchNorm(), x);
        assertTrue(maxAbsDifference(unfolded.data(), folded.data()) < TOLERANCE);
    }

    @Test
    void globalAveragePoolMatchesReference() {
        Tensor x = RandomData.tensor(1, new Shape(7, 5, 13), 4);
        float[] out = new float[13];
        Kernels.globalAveragePool(x.data(), 0, x.shape(), out, 0);
        assertTrue(maxAbsDifference(Reference.globalAveragePool(x).data(), out) < 1e-6);
    }

    @Test
    void denseMatchesReference() {
        SplittableRandom r = new SplittableRandom(5);
        Dense dense = Dense.zeros("fc", 37, 11);
        for (int i = 0; i < dense.weight().length; i++) dense.weight()[i] = (float) r.nextDouble();
        for (int i = 0; i < dense.bias().length; i++) dense.bias()[i] = (float) r.nextDouble();
        Tensor x = RandomData.tensor(1, new Shape(1, 1, 37), 6);
        float[] out = new float[11];
        Kernels.dense(dense.weight(), dense.bias(), 37, x.data(), 0, out, 0);
        assertTrue(maxAbsDifference(Reference.dense(dense, x).data(), out) < TOLERANCE);
    }

    @Test
    void softmaxMatchesReferenceAndSumsToOne() {
        float[] logits = {1000f, 999f, -5f, 0f, 3.5f};
        float[] p = logits.clone();
        Kernels.softmax(p, 0, p.length);
        assertTrue(maxAbsDifference(Reference.softmax(logits), p) < 1e-6);
        double sum = 0;
        for (float v : p) sum += v;
        assertEquals(1.0, sum, 1e-6);
    }
}
