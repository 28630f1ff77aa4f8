package dev.mnv2.exec;

import static dev.mnv2.exec.GradientCheck.check;
import static dev.mnv2.exec.GradientCheck.dot;
import static dev.mnv2.exec.GradientCheck.numericGradient;
import static dev.mnv2.exec.GradientCheck.relativeError;
import static dev.mnv2.exec.GradientCheck.uniform;
import static dev.mnv2.reference.DoubleTensor.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.AveragePool;
import dev.mnv2.model.Padding;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import dev.mnv2.reference.BackwardReference;
import dev.mnv2.reference.DoubleTensor;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The backward of every operator besides convolutions and dense layers ({@link ConvBackwardTest}): batch norm
 * in training mode with its fused ReLU6, ReLU6, residual add, concat, k×k and global average pools, bilinear
 * resize in all three coordinate conventions, dropout; against the float64 references and central
 * differences of their forwards, on small random odd shapes, split into parts to the bit. Softmax
 * cross-entropy with label smoothing and the ignore label has its gradient check in
 * {@code SoftmaxCrossEntropyTest}.
 */
class LayerBackwardTest {
    @AfterAll
    static void summary() {
        GradientCheck.printSummary();
    }

    /** Forward output and gradients of a batch-norm run: y, dx, dγ, dβ. */
    private record Norm(float[] y, float[] dx, float[] dGamma, float[] dBeta, BatchNormTraining state) {}

    private static Norm batchNorm(Kernels k, int parts, float[] x, int pixels, int channels, float[] gamma,
                                  float[] beta, float epsilon, float lo, float hi, float[] dy) {
        BatchNormTraining bn = new BatchNormTraining(channels);
        float[] y = new float[x.length];
        float[] dx = new float[x.length];
        Arrays.fill(y, Float.NaN);
        Arrays.fill(dx, Float.NaN);
        for (int part = 0; part < parts; part++) {
            bn.statistics(k, x, 0, pixels, part, parts);
        }
        bn.coefficients(gamma, beta, epsilon);
        for (int part = 0; part < parts; part++) {
            bn.normalize(k, x, 0, pixels, lo, hi, y, 0, part, parts);
        }
        for (int part = 0; part < parts; part++) {
            bn.parameterGradients(k, x, 0, dy, 0, pixels, lo, hi, part, parts);
        }
        for (int part = 0; part < parts; part++) {
            bn.inputGradient(k, x, 0, dy, 0, pixels, lo, hi, false, dx, 0, part, parts);
        }
        return new Norm(y, dx, bn.gammaGradient.clone(), bn.betaGradient.clone(), bn);
    }

    @ParameterizedTest(name = "{0} batch {1} {2}x{3}x{4}")
    @CsvSource({"relu6, 2, 5, 7, 6", "relu6, 1, 3, 9, 11", "identity, 3, 3, 5, 4", "relu6, 2, 7, 11, 19"})
    void batchNormTrainingMatchesTheReferenceAndFiniteDifferences(String activation, int batch, int h, int w,
                                                                  int channels) {
        boolean relu6 = activation.equals("relu6");
        float lo = relu6 ? 0f : Float.NEGATIVE_INFINITY;
        float hi = relu6 ? 6f : Float.POSITIVE_INFINITY;
        float epsilon = 1e-3f;
        Shape shape = new Shape(h, w, channels);
        int pixels = batch * h * w;
        SplittableRandom random = new SplittableRandom(pixels * 31L + channels);
        float[] x = uniform(batch * shape.elements(), 2, random);
        for (int i = 0; i < x.length; i++) {
            x[i] += i % channels; // channels with different means
        }
        float[] gamma = uniform(channels, 1, random);
        float[] beta = uniform(channels, 1, random);
        for (int c = 0; c < channels; c++) {
            gamma[c] += 2; // in [1, 3]: the normalised values reach past 0 and 6
            beta[c] += 2.5f;
        }
        float[] dy = uniform(x.length, 1, random);

        DoubleTensor xd = new DoubleTensor(batch, shape, widen(x));
        double[] gd = widen(gamma);
        double[] bd = widen(beta);
        DoubleTensor dyd = new DoubleTensor(batch, shape, widen(dy));
        DoubleTensor a = BackwardReference.batchNormTraining(xd, gd, bd, epsilon);
        if (relu6) {
            double margin = Double.POSITIVE_INFINITY;
            boolean below = false;
            boolean above = false;
            for (double v : a.data()) {
                margin = Math.min(margin, Math.min(Math.abs(v), Math.abs(v - 6)));
                below |= v < 0;
                above |= v > 6;
            }
            assertTrue(margin > 1e-4, "no pre-activation at ReLU6's kinks, where differences mean nothing: " + margin);
            assertTrue(below && above, "the data reach both of ReLU6's bounds");
        }
        DoubleTensor da = BackwardReference.clampBackward(a, lo, hi, dyd);
        BackwardReference.BatchNormGradients reference = BackwardReference.batchNormTrainingBackward(xd, gd, epsilon, da);

        Norm fast = batchNorm(VectorSupport.kernels(), 1, x, pixels, channels, gamma, beta, epsilon, lo, hi, dy);
        double[] forward = BackwardReference.clamp(a, lo, hi).data();
        assertTrue(GradientCheck.forwardMatches(fast.y(), forward), "forward");
        for (Norm other : List.of(batchNorm(ScalarKernels.INSTANCE, 1, x, pixels, channels, gamma, beta, epsilon, lo,
                hi, dy), batchNorm(VectorSupport.kernels(), 4, x, pixels, channels, gamma, beta, epsilon, lo, hi, dy))) {
            assertArrayEquals(fast.y(), other.y(), "forward: scalar kernels, 4 parts");
            assertArrayEquals(fast.dx(), other.dx(), "dx: scalar kernels, 4 parts");
            assertArrayEquals(fast.dGamma(), other.dGamma(), "dγ: scalar kernels, 4 parts");
            assertArrayEquals(fast.dBeta(), other.dBeta(), "dβ: scalar kernels, 4 parts");
        }

        DoubleSupplier loss = () -> dot(BackwardReference.clamp(BackwardReference.batchNormTraining(xd, gd, bd, epsilon),
                lo, hi).data(), dyd.data());
        String what = activation + " " + batch + "x" + shape;
        String operator = relu6 ? "batch norm + relu6" : "batch norm";
        check(operator, what + " dx", fast.dx(), reference.input().data(), numericGradient(xd.data(), loss));
        check(operator, what + " dgamma", fast.dGamma(), reference.gamma(), numericGradient(gd, loss));
        check(operator, what + " dbeta", fast.dBeta(), reference.beta(), numericGradient(bd, loss));

        // PyTorch's running statistics: momentum 0.1, the variance unbiased.
        float[] runningMean = uniform(channels, 1, random);
        float[] runningVariance = uniform(channels, 0.5, random);
        for (int c = 0; c < channels; c++) {
            runningVariance[c] += 1;
        }
        float[] mean0 = runningMean.clone();
        float[] variance0 = runningVariance.clone();
        fast.state().updateRunning(runningMean, runningVariance, 0.1, pixels);
        double[] batchMean = BackwardReference.batchMean(xd);
        double[] batchVariance = BackwardReference.batchVariance(xd);
        for (int c = 0; c < channels; c++) {
            assertEquals(0.9 * mean0[c] + 0.1 * batchMean[c], runningMean[c], 1e-6, "running mean");
            assertEquals(0.9 * variance0[c] + 0.1 * batchVariance[c] * pixels / (pixels - 1), runningVariance[c],
                    1e-5, "running variance, unbiased");
        }
    }

    @Test
    void relu6PassesTheGradientOnlyStrictlyInsideItsBounds() {
        float[] x = {-1f, -0f, 0f, Float.MIN_VALUE, 3f, Math.nextDown(6f), 6f, 7f};
        boolean[] passes = {false, false, false, true, true, true, false, false};
        float[] dy = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] fromInput = new float[x.length];
        ScalarKernels.clampGradient(x, 0, 0f, 6f, dy, 0, fromInput, 0, x.length);
        float[] y = x.clone();
        ScalarKernels.finish(y, 0, y.length, 0f, 6f, null, 0);
        float[] fromOutput = new float[x.length];
        ScalarKernels.clampGradient(y, 0, 0f, 6f, dy, 0, fromOutput, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(passes[i] ? dy[i] : 0f, fromInput[i], "x = " + x[i]);
        }
        assertArrayEquals(fromInput, fromOutput, "the clamp's output gives the same mask as its input");

        SplittableRandom random = new SplittableRandom(6);
        float[] values = uniform(301, 5, random);
        for (int i = 0; i < values.length; i++) {
            values[i] += 3; // in [-2, 8]
        }
        float[] gradient = uniform(values.length, 1, random);
        DoubleTensor xd = new DoubleTensor(1, new Shape(1, 1, values.length), widen(values));
        DoubleTensor dyd = new DoubleTensor(1, xd.shape(), widen(gradient));
        float[] dx = new float[values.length];
        ScalarKernels.clampGradient(values, 0, 0f, 6f, gradient, 0, dx, 0, values.length);
        DoubleSupplier loss = () -> dot(BackwardReference.clamp(xd, 0, 6).data(), dyd.data());
        check("relu6", "301 values in [-2, 8] dx", dx, BackwardReference.clampBackward(xd, 0, 6, dyd).data(),
                numericGradient(xd.data(), loss));
    }

    @Test
    void residualAddSendsTheGradientToBothInputs() {
        // y = a + b where a also feeds another layer: da = dy + (that layer's share), db = dy.
        Shape shape = new Shape(3, 5, 7);
        SplittableRandom random = new SplittableRandom(11);
        float[] a = uniform(2 * shape.elements(), 1, random);
        float[] b = uniform(a.length, 1, random);
        float[] dy = uniform(a.length, 1, random);
        float[] otherShare = uniform(a.length, 1, random);
        DoubleTensor ad = new DoubleTensor(2, shape, widen(a));
        DoubleTensor bd = new DoubleTensor(2, shape, widen(b));
        double[] dyd = widen(dy);
        double[] other = widen(otherShare);
        DoubleSupplier loss = () -> dot(BackwardReference.add(ad, bd).data(), dyd) + dot(ad.data(), other);
        float[] da = otherShare.clone();
        ScalarKernels.addInto(dy, 0, da, 0, dy.length);
        double[] referenceA = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            referenceA[i] = dyd[i] + other[i];
        }
        check("add", "2x" + shape + " da", da, referenceA, numericGradient(ad.data(), loss));
        check("add", "2x" + shape + " db", dy, dyd, numericGradient(bd.data(), loss));
    }

    @Test
    void concatSplitsTheGradientByChannels() {
        int[] channels = {5, 8, 3};
        Shape shape = new Shape(3, 7, 16);
        int batch = 2;
        int pixels = batch * 3 * 7;
        SplittableRandom random = new SplittableRandom(16);
        List<DoubleTensor> inputs = Arrays.stream(channels)
                .mapToObj(c -> new DoubleTensor(batch, new Shape(3, 7, c), widen(uniform(pixels * c, 1, random))))
                .toList();
        float[] dy = uniform(batch * shape.elements(), 1, random);
        double[] dyd = widen(dy);
        DoubleSupplier loss = () -> dot(BackwardReference.concat(inputs).data(), dyd);
        List<DoubleTensor> reference = BackwardReference.concatBackward(new DoubleTensor(batch, shape, dyd), channels);
        int at = 0;
        for (int i = 0; i < channels.length; i++) {
            float[] dx = new float[pixels * channels[i]];
            for (int part = 0; part < 3; part++) {
                ScalarKernels.deinterleave(dy, at, shape.channels(), false, dx, 0, channels[i],
                        Plan.Step.split(pixels, part, 3), Plan.Step.split(pixels, part + 1, 3));
            }
            check("concat", "input " + i + " (" + channels[i] + " of 16 channels)", dx, reference.get(i).data(),
                    numericGradient(inputs.get(i).data(), loss));
            float[] accumulated = new float[dx.length];
            Arrays.fill(accumulated, 1f);
            ScalarKernels.deinterleave(dy, at, shape.channels(), true, accumulated, 0, channels[i], 0, pixels);
            for (int j = 0; j < dx.length; j++) {
                assertEquals(1f + dx[j], accumulated[j], "accumulated");
            }
            at += channels[i];
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "3x3 stride 2 SAME odd,  1, 7, 9, 5, 3, 3, 2, same",
        "3x3 stride 1 SAME,      2, 5, 6, 3, 3, 3, 1, same",
        "2x2 stride 2 SAME even, 1, 6, 8, 3, 2, 2, 2, same",
        "2x2 stride 2 VALID odd, 1, 7, 9, 4, 2, 2, 2, valid",
        "4x3 stride 1 VALID,     1, 6, 5, 3, 4, 3, 1, valid",
        "5x5 stride 3 SAME,      1, 11, 8, 2, 5, 5, 3, same"})
    void averagePoolMatchesTheReferenceAndFiniteDifferences(String name, int batch, int h, int w, int channels,
                                                            int kernelH, int kernelW, int stride, String pad) {
        Padding padding = pad.equals("same") ? Padding.same() : Padding.valid();
        AveragePool pool = new AveragePool("pool", kernelH, kernelW, stride, padding);
        Shape in = new Shape(h, w, channels);
        Shape out = pool.outputShape(in);
        SplittableRandom random = new SplittableRandom(name.hashCode());
        float[] x = uniform(batch * in.elements(), 1, random);
        float[] dy = uniform(batch * out.elements(), 1, random);
        int padTop = pool.rows(h).before();
        int padLeft = pool.columns(w).before();

        DoubleTensor xd = new DoubleTensor(batch, in, widen(x));
        DoubleTensor dyd = new DoubleTensor(batch, out, widen(dy));
        float[] y = new float[dy.length];
        float[] dx = new float[x.length];
        Arrays.fill(dx, Float.NaN);
        float[] split = new float[x.length];
        for (int n = 0; n < batch; n++) {
            int inOff = n * (int) in.elements();
            int outOff = n * (int) out.elements();
            ScalarKernels.averagePool(x, inOff, h, w, channels, kernelH, kernelW, stride, padTop, padLeft, y, outOff,
                    out.width(), 0, out.height());
            ScalarKernels.averagePoolBackward(dy, outOff, h, w, channels, kernelH, kernelW, stride, padTop, padLeft,
                    out.height(), out.width(), false, dx, inOff, 0, h);
            for (int part = 0; part < 3; part++) {
                ScalarKernels.averagePoolBackward(dy, outOff, h, w, channels, kernelH, kernelW, stride, padTop,
                        padLeft, out.height(), out.width(), false, split, inOff, Plan.Step.split(h, part, 3),
                        Plan.Step.split(h, part + 1, 3));
            }
        }
        double[] forward = BackwardReference.averagePool(xd, kernelH, kernelW, stride, padding).data();
        assertTrue(GradientCheck.forwardMatches(y, forward), name + ": forward");
        assertArrayEquals(dx, split, name + ": rows in 3 parts");
        DoubleSupplier loss = () -> dot(BackwardReference.averagePool(xd, kernelH, kernelW, stride, padding).data(),
                dyd.data());
        check("average pool", name + " dx", dx,
                BackwardReference.averagePoolBackward(xd, kernelH, kernelW, stride, padding, dyd).data(),
                numericGradient(xd.data(), loss));
    }

    @Test
    void globalAveragePoolSpreadsTheGradientEvenly() {
        int batch = 2;
        Shape in = new Shape(7, 9, 13);
        SplittableRandom random = new SplittableRandom(63);
        float[] x = uniform(batch * in.elements(), 1, random);
        float[] dy = uniform(batch * in.channels(), 1, random);
        float[] dx = new float[x.length];
        Arrays.fill(dx, Float.NaN);
        for (int n = 0; n < batch; n++) {
            for (int part = 0; part < 2; part++) {
                ScalarKernels.globalAveragePoolBackward(dy, n * in.channels(), 63, in.channels(), false, dx,
                        n * (int) in.elements(), Plan.Step.split(63, part, 2), Plan.Step.split(63, part + 1, 2));
            }
        }
        DoubleTensor xd = new DoubleTensor(batch, in, widen(x));
        DoubleTensor dyd = new DoubleTensor(batch, new Shape(1, 1, in.channels()), widen(dy));
        DoubleSupplier loss = () -> dot(BackwardReference.globalAveragePool(xd).data(), dyd.data());
        check("global average pool", "2x" + in + " dx", dx,
                BackwardReference.globalAveragePoolBackward(xd, dyd).data(), numericGradient(xd.data(), loss));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "upsample align corners,          1, 5, 7, 3, 9, 13, align",
        "upsample half-pixel centres,     2, 5, 7, 3, 9, 13, half",
        "upsample default,                1, 5, 7, 3, 9, 13, none",
        "downsample half-pixel centres,   1, 9, 13, 4, 4, 5, half",
        "downsample default,              1, 11, 7, 2, 5, 3, none",
        "DeepLab-like 3x3 to 17x17 align, 1, 3, 3, 5, 17, 17, align",
        "half-pixel 4x6 to 13x9,          1, 4, 6, 9, 13, 9, half"})
    void resizeBilinearMatchesTheReferenceAndFiniteDifferences(String name, int batch, int inH, int inW, int channels,
                                                               int outH, int outW, String mode) {
        ResizeBilinear resize = new ResizeBilinear("resize", outH, outW, mode.equals("align"), mode.equals("half"));
        Shape in = new Shape(inH, inW, channels);
        Shape out = resize.outputShape(in);
        ResizeBilinear.Taps rows = resize.taps(inH, outH);
        ResizeBilinear.Taps columns = resize.taps(inW, outW);
        SplittableRandom random = new SplittableRandom(name.hashCode());
        float[] x = uniform(batch * in.elements(), 1, random);
        float[] dy = uniform(batch * out.elements(), 1, random);
        float[] y = new float[dy.length];
        float[] dx = new float[x.length];
        Arrays.fill(dx, Float.NaN);
        float[] split = new float[x.length];
        for (int n = 0; n < batch; n++) {
            int inOff = n * (int) in.elements();
            int outOff = n * (int) out.elements();
            ScalarKernels.resizeBilinear(x, inOff, inW, channels, rows, columns, y, outOff, 0, outH);
            ScalarKernels.resizeBilinearBackward(dy, outOff, inW, channels, rows, columns, false, dx, inOff, 0, inH);
            for (int part = 0; part < 3; part++) {
                ScalarKernels.resizeBilinearBackward(dy, outOff, inW, channels, rows, columns, false, split, inOff,
                        Plan.Step.split(inH, part, 3), Plan.Step.split(inH, part + 1, 3));
            }
        }
        DoubleTensor xd = new DoubleTensor(batch, in, widen(x));
        DoubleTensor dyd = new DoubleTensor(batch, out, widen(dy));
        assertTrue(GradientCheck.forwardMatches(y, BackwardReference.resizeBilinear(xd, resize).data()),
                name + ": forward");
        assertArrayEquals(dx, split, name + ": input rows in 3 parts");
        DoubleSupplier loss = () -> dot(BackwardReference.resizeBilinear(xd, resize).data(), dyd.data());
        check("bilinear resize", name + " dx", dx, BackwardReference.resizeBilinearBackward(xd, resize, dyd).data(),
                numericGradient(xd.data(), loss));
    }

    @Test
    void dropoutUsesOneSeededMaskForwardAndBackward() {
        double rate = 0.2;
        int n = 1280 * 3;
        float[] mask = new float[n];
        ScalarKernels.dropoutMask(42, rate, mask, 0, n);
        float[] again = new float[n];
        ScalarKernels.dropoutMask(42, rate, again, 0, n);
        assertArrayEquals(mask, again, "the same seed gives the same mask");
        ScalarKernels.dropoutMask(43, rate, again, 0, n);
        assertFalse(Arrays.equals(mask, again), "another seed gives another mask");
        int dropped = 0;
        for (float m : mask) {
            assertTrue(m == 0f || m == 1.25f, "mask values are 0 and 1/(1 - rate): " + m);
            dropped += m == 0f ? 1 : 0;
        }
        assertEquals(rate, dropped / (double) n, 0.02, "share dropped");

        SplittableRandom random = new SplittableRandom(5);
        float[] x = uniform(n, 1, random);
        float[] dy = uniform(n, 1, random);
        float[] y = new float[n];
        ScalarKernels.multiply(x, 0, mask, 0, false, y, 0, n);
        float[] dx = new float[n];
        ScalarKernels.multiply(dy, 0, mask, 0, false, dx, 0, n);
        DoubleTensor xd = new DoubleTensor(3, new Shape(1, 1, 1280), widen(x));
        DoubleTensor dyd = new DoubleTensor(3, xd.shape(), widen(dy));
        double[] maskd = widen(mask);
        assertTrue(GradientCheck.forwardMatches(y, BackwardReference.dropout(xd, maskd).data()), "forward");
        DoubleSupplier loss = () -> dot(BackwardReference.dropout(xd, maskd).data(), dyd.data());
        check("dropout", "rate 0.2 on 3x1280 dx", dx, BackwardReference.dropoutBackward(dyd, maskd).data(),
                numericGradient(xd.data(), loss));
    }
}
