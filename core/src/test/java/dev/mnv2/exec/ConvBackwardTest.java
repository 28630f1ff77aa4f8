package dev.mnv2.exec;

import static dev.mnv2.exec.GradientCheck.check;
import static dev.mnv2.exec.GradientCheck.dot;
import static dev.mnv2.exec.GradientCheck.numericGradient;
import static dev.mnv2.exec.GradientCheck.relativeError;
import static dev.mnv2.exec.GradientCheck.uniform;
import static dev.mnv2.reference.DoubleTensor.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.Activation;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.reference.BackwardReference;
import dev.mnv2.reference.DoubleTensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The convolution and dense backward kernels ({@link ConvTraining}) on small random shapes (odd sizes,
 * stride 2, dilation 2, SAME and symmetric padding, channel counts off the vector width): input, weight and
 * bias gradients against the float64 reference backward and against central differences of the float64
 * forward; the forward against the reference; vector and scalar kernels, and any split into parts over
 * threads, to the bit; accumulation into an existing gradient.
 */
class ConvBackwardTest {
    private static final Kernels VECTOR = VectorSupport.kernels();
    private static final Kernels SCALAR = ScalarKernels.INSTANCE;

    @AfterAll
    static void summary() {
        GradientCheck.printSummary();
    }

    /** Forward output and the three gradients of one run. */
    private record Run(float[] y, float[] dx, float[] dw, float[] db) {}

    /**
     * Runs forward and backward of {@code conv} with {@code parts} parts on {@code threads} threads. Outputs
     * that are overwritten start as NaN so that a value left unwritten shows; {@code dx} starts as
     * {@code dxStart} instead, accumulated into, when given.
     */
    private static Run run(ConvTraining conv, Kernels k, int parts, int threads, int batch, Shape in, float[] x,
                           float[] w, float[] bias, float[] dy, float[] dxStart) {
        conv.setWeights(w);
        float[] y = new float[Math.toIntExact(batch * conv.outputShape().elements())];
        Arrays.fill(y, Float.NaN);
        float[] dx;
        if (dxStart == null) {
            dx = new float[Math.toIntExact(batch * in.elements())];
            Arrays.fill(dx, Float.NaN);
        } else {
            dx = dxStart.clone();
        }
        float[] dw = new float[w.length];
        float[] db = new float[conv.outputShape().channels()];
        ConvTraining.Workspace[] ws = new ConvTraining.Workspace[threads];
        for (int i = 0; i < threads; i++) {
            ws[i] = conv.workspace();
        }
        try (Workers workers = new Workers(threads, "gradient-check")) {
            workers.run((worker, part) -> conv.forward(k, x, 0, batch, bias, Float.NEGATIVE_INFINITY,
                    Float.POSITIVE_INFINITY, y, 0, ws[worker], part, parts), parts);
            workers.run((worker, part) -> conv.inputGradient(k, dy, 0, batch, dxStart != null, dx, 0, ws[worker],
                    part, parts), parts);
            workers.run((worker, part) -> conv.weightGradient(k, x, 0, dy, 0, batch, dw, ws[worker], part, parts),
                    parts);
            workers.run((worker, part) -> conv.biasGradient(dy, 0, batch, db, part, parts), parts);
        }
        return new Run(y, dx, dw, db);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // name,                              batch, h, w, in, out, k, s, d, groups, padding, bias, path
        "1x1,                                     2, 3, 5, 19, 27, 1, 1, 1, 1,  same, true,  POINTWISE",
        "1x1 wide strips,                         1, 3, 5, 37, 21, 1, 1, 1, 1,  same, false, POINTWISE",
        "1x1 input gradient from packed pixels,   2, 3, 5, 200, 9, 1, 1, 1, 1,  same, false, POINTWISE",
        "1x1 input gradient in one 16-column strip, 2, 5, 7, 16, 20, 1, 1, 1, 1, same, false, POINTWISE",
        "1x1 input gradient in a 9-pixel block,   1, 3, 3, 64, 20, 1, 1, 1, 1,  same, false, POINTWISE",
        "1x1 input gradient packed then 9 pixels, 1, 5, 5, 200, 12, 1, 1, 1, 1, same, false, POINTWISE",
        "1x1 stride 2,                            1, 7, 9, 10, 12, 1, 2, 1, 1,  same, false, PATCHES",
        "depthwise 3x3 SAME,                      2, 5, 7, 21, 21, 3, 1, 1, 21, same, false, DEPTHWISE",
        "depthwise 3x3 stride 2 SAME even,        1, 8, 10, 19, 19, 3, 2, 1, 19, same, false, DEPTHWISE",
        "depthwise 3x3 stride 2 pad 1 odd,        1, 9, 7, 13, 13, 3, 2, 1, 13, 1,   true,  DEPTHWISE",
        "depthwise 3x3 dilation 2 SAME,           1, 7, 9, 40, 40, 3, 1, 2, 40, same, false, DEPTHWISE",
        "depthwise 5x5 stride 2 dilation 2 pad 4, 1, 11, 9, 11, 11, 5, 2, 2, 11, 4,   false, DEPTHWISE",
        "stem 3x3 stride 2 SAME,                  2, 9, 11, 3, 10, 3, 2, 1, 1,  same, false, PATCHES",
        "3x3 dilation 2 pad 2,                    1, 9, 8, 5, 6,   3, 1, 2, 1,  2,    true,  PATCHES",
        "3x3 stride 2 pad 1 even,                 1, 8, 6, 4, 7,   3, 2, 1, 1,  1,    false, PATCHES",
        "2x2 SAME,                                1, 7, 7, 4, 5,   2, 1, 1, 1,  same, false, PATCHES",
        "grouped 3x3 stride 2 pad 1,              1, 7, 6, 6, 4,   3, 2, 1, 2,  1,    true,  GROUPED",
        "grouped 3x3 dilation 2 SAME,             2, 6, 7, 6, 9,   3, 1, 2, 3,  same, false, GROUPED"})
    void convolutionGradientsMatchTheReferenceAndFiniteDifferences(String name, int batch, int h, int w, int inC,
            int outC, int kernel, int stride, int dilation, int groups, String pad, boolean withBias,
            ConvTraining.Path path) {
        Padding padding = pad.equals("same") ? Padding.same() : Padding.symmetric(Integer.parseInt(pad));
        ConvSpec spec = new ConvSpec("conv", inC, outC, kernel, stride, dilation, groups, padding, Activation.IDENTITY,
                withBias, false);
        Shape in = new Shape(h, w, inC);
        ConvTraining conv = ConvTraining.of(spec, in);
        assertEquals(path, conv.path(), name + " runs the intended kernel path");
        Shape out = conv.outputShape();
        SplittableRandom random = new SplittableRandom(name.hashCode());
        float[] x = uniform(batch * in.elements(), 1, random);
        float[] weights = uniform(spec.weightCount(), 0.5, random);
        float[] bias = withBias ? uniform(outC, 0.5, random) : null;
        float[] dy = uniform(batch * out.elements(), 1, random);

        DoubleTensor xd = new DoubleTensor(batch, in, widen(x));
        double[] wd = widen(weights);
        double[] bd = withBias ? widen(bias) : new double[outC];
        DoubleTensor dyd = new DoubleTensor(batch, out, widen(dy));
        BackwardReference.ConvGradients reference = BackwardReference.convolveBackward(xd, wd, dyd, kernel, stride,
                dilation, groups, outC, padding);
        double[] forward = BackwardReference.addBias(BackwardReference.convolve(xd, wd, kernel, stride, dilation,
                groups, outC, padding), bd).data();

        Run vector = run(conv, VECTOR, 1, 1, batch, in, x, weights, bias, dy, null);
        assertTrue(GradientCheck.forwardMatches(vector.y(), forward), name + ": forward");
        assertBitIdentical(vector, run(conv, SCALAR, 1, 1, batch, in, x, weights, bias, dy, null), name + " scalar");
        assertBitIdentical(vector, run(conv, VECTOR, 3, 2, batch, in, x, weights, bias, dy, null),
                name + " in 3 parts on 2 threads");
        assertBitIdentical(vector, run(conv, SCALAR, 4, 3, batch, in, x, weights, bias, dy, null),
                name + " scalar in 4 parts on 3 threads");

        // Finite differences of L = Σ dy · (conv(x, w) + b), all in float64.
        java.util.function.DoubleSupplier loss = () -> dot(BackwardReference.addBias(BackwardReference.convolve(xd,
                wd, kernel, stride, dilation, groups, outC, padding), bd).data(), dyd.data());
        String operator = "conv " + path.name().toLowerCase();
        check(operator, name + " dx", vector.dx(), reference.input().data(), numericGradient(xd.data(), loss));
        check(operator, name + " dw", vector.dw(), reference.weight(), numericGradient(wd, loss));
        if (withBias) {
            check(operator, name + " db", vector.db(), BackwardReference.biasGradient(dyd), numericGradient(bd, loss));
        }

        // Accumulating into a gradient that holds another reader's share.
        float[] other = uniform(vector.dx().length, 1, random);
        Run accumulated = run(conv, VECTOR, 2, 2, batch, in, x, weights, bias, dy, other);
        double[] sum = new double[other.length];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = other[i] + reference.input().data()[i];
        }
        assertTrue(relativeError(accumulated.dx(), sum) <= GradientCheck.KERNEL_BOUND, name + ": accumulated dx");
        assertArrayEquals(accumulated.dx(), run(conv, SCALAR, 1, 1, batch, in, x, weights, bias, dy, other).dx(),
                name + ": accumulated dx, scalar and vector to the bit");
    }

    @ParameterizedTest(name = "batch {0}, {1} -> {2} features in {3} parts")
    @CsvSource({"3, 37, 21, 3", "9, 20, 7, 2", "1, 1280, 11, 1"})
    void denseGradientsMatchTheReferenceAndFiniteDifferences(int batch, int inFeatures, int outFeatures, int parts) {
        ConvTraining dense = ConvTraining.dense(new DenseSpec("classifier", inFeatures, outFeatures));
        assertEquals(ConvTraining.Path.POINTWISE, dense.path());
        Shape in = new Shape(1, 1, inFeatures);
        SplittableRandom random = new SplittableRandom(batch * 1000L + inFeatures);
        float[] x = uniform((long) batch * inFeatures, 1, random);
        float[] weights = uniform((long) inFeatures * outFeatures, 0.5, random);
        float[] bias = uniform(outFeatures, 0.5, random);
        float[] dy = uniform((long) batch * outFeatures, 1, random);
        DoubleTensor xd = new DoubleTensor(batch, in, widen(x));
        double[] wd = widen(weights);
        double[] bd = widen(bias);
        DoubleTensor dyd = new DoubleTensor(batch, new Shape(1, 1, outFeatures), widen(dy));

        Run vector = run(dense, VECTOR, parts, 2, batch, in, x, weights, bias, dy, null);
        double[] forward = BackwardReference.dense(xd, wd, bd, outFeatures).data();
        assertTrue(GradientCheck.forwardMatches(vector.y(), forward), "dense forward");
        assertBitIdentical(vector, run(dense, SCALAR, 1, 1, batch, in, x, weights, bias, dy, null), "dense scalar");

        BackwardReference.DenseGradients reference = BackwardReference.denseBackward(xd, wd, dyd);
        java.util.function.DoubleSupplier loss = () -> dot(BackwardReference.dense(xd, wd, bd, outFeatures).data(),
                dyd.data());
        String what = "batch " + batch + " " + inFeatures + "->" + outFeatures;
        check("dense", what + " dx", vector.dx(), reference.input().data(), numericGradient(xd.data(), loss));
        if (inFeatures * outFeatures <= 2000) {
            check("dense", what + " dw", vector.dw(), reference.weight(), numericGradient(wd, loss));
        } else {
            // dW is the outer product dyᵀ·x: the reference is exact, finite differences of 14k weights are slow.
            assertTrue(relativeError(vector.dw(), reference.weight()) <= GradientCheck.KERNEL_BOUND, what + " dw");
        }
        check("dense", what + " db", vector.db(), reference.bias(), numericGradient(bd, loss));
    }

    private static void assertBitIdentical(Run expected, Run actual, String what) {
        assertArrayEquals(expected.y(), actual.y(), what + ": forward");
        assertArrayEquals(expected.dx(), actual.dx(), what + ": input gradient");
        assertArrayEquals(expected.dw(), actual.dw(), what + ": weight gradient");
        assertArrayEquals(expected.db(), actual.db(), what + ": bias gradient");
    }
}
