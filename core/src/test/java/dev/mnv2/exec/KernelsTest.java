package dev.mnv2.exec;

import static dev.mnv2.testing.RandomData.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.ImageClassifier;
import dev.mnv2.model.Activation;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.reference.Reference;
import dev.mnv2.testing.RandomData;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every kernel, run through the plan as a one-layer network, against the naive reference on random data:
 * vector and scalar kernels, both execution modes, one and several threads. The scalar kernels must also
 * equal the vector ones to the bit. Inputs are scaled so that ReLU6's bound matters.
 */
class KernelsTest {
    private static final double TOLERANCE = 1e-4;

    /**
     * Inputs scaled by this much give pre-activations well beyond 6, so ReLU6's upper bound decides a good
     * share of every ReLU6 case's outputs.
     */
    static final float INPUT_GAIN = 8;

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

    /** Runs {@code layer} every way and checks each against {@code expected} and the vector run. */
    static void assertEveryPathMatches(Layer layer, Tensor x, Tensor expected, double tolerance) {
        Network network = Networks.of(x.shape(), layer);
        float[] vector = null;
        for (Predictor p : Networks.allPredictors(network)) {
            try (p) {
                Tensor actual = p.forward(x);
                assertEquals(expected.shape(), actual.shape());
                double diff = maxAbsDifference(expected.data(), actual.data());
                assertTrue(diff < tolerance, layer + " " + Networks.describe(p) + ": max abs difference " + diff);
                if (vector == null) {
                    vector = actual.data();
                } else {
                    assertArrayEquals(vector, actual.data(), "bit-identical to the vector kernels: "
                            + Networks.describe(p));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2} -> {3}, k{4} s{5} d{6} g{7} pad {8}")
    @CsvSource({
        // h, w, in, out, kernel, stride, dilation, groups, padding (-1 = TF SAME)
        "7, 7, 3, 8, 3, 2, 1, 1, -1",      // stem-like, odd input, stride 2 SAME
        "8, 8, 3, 8, 3, 2, 1, 1, -1",      // even input, stride 2 SAME (asymmetric)
        "9, 6, 5, 7, 3, 2, 1, 1, -1",      // non-square, odd channel counts
        "8, 8, 3, 32, 3, 2, 1, 1, 1",      // PyTorch symmetric padding, the stem's 32 channels
        "23, 38, 3, 48, 3, 2, 1, 1, 1",    // stem: blocks of 4 pixels x 2 vectors, a single vector, edges
        "21, 40, 3, 24, 3, 2, 1, 1, -1",   // stem, 24 channels: 8-pixel single-vector blocks, a scalar tail
        "5, 18, 3, 32, 3, 2, 1, 1, 1",     // stem: an interior of exactly 8 pixels, 2 vectors at 256 bits, 1 at 512
        "12, 30, 4, 16, 3, 1, 1, 1, 1",    // stride 1, 16 channels
        "12, 12, 4, 16, 3, 1, 2, 1, 2",    // dilated ungrouped: the scalar path
        "11, 11, 16, 16, 3, 1, 1, 16, -1", // depthwise stride 1
        "5, 38, 40, 40, 3, 1, 1, 40, 1",   // depthwise stride 1, long rows: blocks of 4 pixels, a channel tail
        "10, 45, 16, 16, 3, 2, 1, 16, -1", // depthwise stride 2, long rows
        "10, 10, 16, 16, 3, 2, 1, 16, -1", // depthwise stride 2, even
        "11, 11, 12, 12, 3, 2, 1, 12, -1", // depthwise stride 2, odd, channel tail
        "7, 14, 48, 48, 3, 1, 1, 48, -1",  // depthwise stride 1, a row in one pass: both edge pixels with the interior
        "9, 9, 48, 48, 3, 2, 1, 48, 1",    // depthwise stride 2, odd, symmetric padding: both edge pixels in one pass
        "6, 12, 40, 40, 3, 2, 1, 40, 1",   // depthwise stride 2, even, symmetric padding: the left edge pixel only
        "9, 2, 16, 16, 3, 1, 1, 16, 1",    // depthwise stride 1, two pixels a row: both edges, no interior
        "9, 2, 16, 16, 3, 2, 1, 16, 1",    // depthwise stride 2, one pixel a row: the separate edge pass
        "10, 10, 8, 8, 3, 1, 2, 8, -1",    // dilated depthwise (atrous)
        "10, 10, 8, 8, 3, 1, 2, 8, 2",     // dilated depthwise, explicit padding
        "9, 9, 20, 20, 5, 2, 1, 20, -1",   // 5x5 depthwise
        "6, 5, 24, 17, 1, 1, 1, 1, 0",     // pointwise, output channel tail
        "5, 7, 19, 72, 1, 1, 1, 1, 0",     // pointwise, 3+2+1-vector column blocks
        "6, 5, 20, 24, 1, 1, 1, 1, 0",     // pointwise, a 16+8-column strip pair (24-channel projections)
        "4, 9, 33, 56, 1, 1, 1, 1, 0",     // pointwise, 32 columns then a 16+8 pair (α 0.35's 56)
        "5, 7, 24, 16, 1, 1, 1, 1, 0",     // pointwise, one 16-column strip: 12-pixel blocks at 512 bits, then 8 and a tail
        "12, 13, 16, 8, 1, 1, 1, 1, 0",    // pointwise, 8 columns: whole-row stores, pixel ranges split over threads
        "12, 13, 40, 24, 1, 1, 1, 1, 0",   // pointwise, 24 columns: the same for the 16+8 pair
        "5, 7, 19, 200, 1, 1, 1, 1, 0",    // pointwise, packed pixel blocks: a partial channel group, a block overlapping the last
        "3, 3, 40, 192, 1, 1, 1, 1, 0",    // pointwise, packed: one block, then a single pixel
        "10, 10, 16, 232, 1, 1, 1, 1, 0",  // pointwise, packed: one 100-pixel chunk (4 left after 96 join it); 8 columns left
        "14, 14, 16, 64, 1, 1, 1, 1, 0",   // pointwise, 14x14: chunks of 96 and 100 pixels, the last block overlapping
        "3, 3, 40, 64, 1, 1, 1, 1, 0",     // pointwise, 3x3: one 9-pixel block of strip pairs
        "5, 5, 24, 200, 1, 1, 1, 1, 0",    // pointwise, 5x5: 16 pixels packed, then a 9-pixel block; 8 columns left
        "7, 7, 130, 96, 1, 1, 1, 1, 0",    // pointwise, 7x7: 40 pixels packed (long reduction), then a 9-pixel block
        "3, 5, 130, 96, 1, 1, 1, 1, 0",    // pointwise, packed from 3 strip pairs: a long reduction, 2 channels in the last group
        "6, 6, 12, 18, 3, 1, 1, 3, 1",     // grouped
        "5, 5, 4, 6, 5, 1, 1, 1, -1",      // 5x5
        "8, 8, 6, 6, 1, 2, 1, 1, 0",       // strided 1x1
        "13, 13, 6, 6, 3, 3, 1, 1, 0"})    // stride 3, valid
    void convolutionMatchesReference(int h, int w, int in, int out, int k, int stride, int dilation, int groups,
                                     int pad) {
        Padding padding = pad < 0 ? Padding.same() : Padding.symmetric(pad);
        for (Activation activation : Activation.values()) {
            Conv2d conv = randomConv(in, out, k, stride, dilation, groups, padding, activation, true, true, h * 31L + k);
            Tensor x = scaled(RandomData.tensor(2, new Shape(h, w, in), 7), INPUT_GAIN);
            Tensor expected = Reference.conv2d(conv, x);
            if (activation == Activation.RELU6) {
                assertClampsAtSixOften(expected, conv.toString());
            }
            assertEveryPathMatches(conv, x, expected, TOLERANCE * largest(expected));
        }
    }

    static Tensor scaled(Tensor x, float gain) {
        float[] data = x.data().clone();
        for (int i = 0; i < data.length; i++) data[i] *= gain;
        return new Tensor(x.batch(), x.shape(), data);
    }

    static double largest(Tensor t) {
        double max = 1;
        for (float v : t.data()) max = Math.max(max, Math.abs(v));
        return max;
    }

    /** At least 5 % of a ReLU6 output must sit on the bound, or the test could not tell 6 from another bound. */
    static void assertClampsAtSixOften(Tensor relu6Output, String what) {
        long atSix = 0;
        for (float v : relu6Output.data()) {
            if (v == 6f) atSix++;
        }
        assertTrue(atSix >= 0.05 * relu6Output.data().length,
                what + ": only " + atSix + " of " + relu6Output.data().length + " outputs reach ReLU6's bound");
    }

    /**
     * The clamp's edge cases, bit for bit: NaNs (either sign, kept as they are), -0 (to +0), infinities and values
     * at and around the bounds, through a 1×1 depthwise conv with weight 1 and bias -0 (which passes every value,
     * -0 included, unchanged), for every activation and every kernel path.
     */
    @Test
    void clampKeepsJavasMaxAndMinSemanticsBitForBit() {
        float[] specials = {Float.NaN, Float.intBitsToFloat(0xffc00001), -0f, 0f, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY, 5.999999f, 6f, 6.000001f, -3f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e30f, 2.5f};
        int channels = 40;
        Shape shape = new Shape(3, 7, channels);
        float[] data = new float[(int) shape.elements()];
        for (int i = 0; i < data.length; i++) data[i] = specials[(i * 7 + i / channels) % specials.length];
        Tensor x = new Tensor(1, shape, data);
        float[] ones = new float[channels];
        float[] negativeZeros = new float[channels];
        Arrays.fill(ones, 1f);
        Arrays.fill(negativeZeros, -0f);
        for (Activation activation : Activation.values()) {
            Conv2d conv = new Conv2d("conv", channels, channels, 1, 1, 1, channels, Padding.symmetric(0), activation,
                    ones, negativeZeros, null);
            float[] expected = new float[data.length];
            for (int i = 0; i < data.length; i++) {
                expected[i] = Math.min(Math.max(data[i], activation.min()), activation.max());
            }
            for (Predictor p : Networks.allPredictors(Networks.of(shape, conv))) {
                try (p) {
                    float[] actual = p.forward(x).data();
                    for (int i = 0; i < data.length; i++) {
                        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                                activation + " " + Networks.describe(p) + ": " + data[i] + " gave " + actual[i]);
                    }
                }
            }
        }
    }

    /**
     * The 1×1 product's clamp, which runs in registers unless a block's sums hold a NaN: bit for bit against the
     * scalar path (Math.min and Math.max after the same chains), with pixels whose sums are NaN (a NaN input),
     * infinite (an infinite input times weights of both signs: +inf, -inf, and their sum's NaN in other columns),
     * -0 (a zero pixel, bias -0, negative weights) and ordinary values either side of both bounds. 3×7 pixels are two
     * register blocks, one ending at the last pixel; 16 → 96 runs the unpacked strip pairs, 128 → 192 the packed.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"16, 96", "128, 192"})
    void pointwiseClampKeepsNaNsAndSignsBitForBit(int in, int out) {
        Shape shape = new Shape(3, 7, in);
        SplittableRandom r = new SplittableRandom(in);
        float[] data = new float[(int) shape.elements()];
        for (int i = 0; i < data.length; i++) data[i] = (float) (r.nextDouble() * 16 - 8);
        data[2 * in + 5] = Float.NaN;
        data[9 * in] = Float.POSITIVE_INFINITY;
        data[17 * in + 1] = Float.POSITIVE_INFINITY;
        data[17 * in + 2] = Float.NEGATIVE_INFINITY;
        Arrays.fill(data, 12 * in, 13 * in, 0f);
        float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextDouble() - 0.6);
        float[] bias = new float[out];
        Arrays.fill(bias, -0f);
        Tensor x = new Tensor(1, shape, data);
        for (Activation activation : new Activation[] {Activation.RELU, Activation.RELU6}) {
            Conv2d conv = new Conv2d("conv", in, out, 1, 1, 1, 1, Padding.symmetric(0), activation, w, bias, null);
            Network network = Networks.of(shape, conv);
            float[] expected;
            try (Predictor scalar = Predictor.builder(network).vectorized(false).build()) {
                expected = scalar.forward(x).data();
            }
            assertTrue(Float.isNaN(expected[2 * out]) && Float.floatToRawIntBits(expected[12 * out + 1]) == 0,
                    "the inputs make NaN and zero sums");
            for (Predictor p : Networks.allPredictors(network)) {
                try (p) {
                    float[] actual = p.forward(x).data();
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                                activation + " " + Networks.describe(p) + ": output " + i);
                    }
                }
            }
        }
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
        Tensor x = RandomData.tensor(2, new Shape(7, 5, 13), 4);
        assertEveryPathMatches(new GlobalAveragePool("pool"), x, Reference.globalAveragePool(x), 1e-6);
    }

    @ParameterizedTest(name = "{0} -> {1}, batch {2}")
    @CsvSource({
        "37, 11, 3",    // narrower than a vector: the scalar columns
        "200, 150, 3",  // few rows: the strips and a tail
        "70, 272, 1",   // one row, as a classifier at batch 1
        "50, 40, 9"})   // a register block of 8 rows and one row left
    void denseMatchesReference(int in, int out, int batch) {
        SplittableRandom r = new SplittableRandom(5);
        Dense dense = Dense.zeros("fc", in, out);
        for (int i = 0; i < dense.weight().length; i++) dense.weight()[i] = (float) r.nextDouble();
        for (int i = 0; i < dense.bias().length; i++) dense.bias()[i] = (float) r.nextDouble();
        Tensor x = RandomData.tensor(batch, new Shape(1, 1, in), 6);
        assertEveryPathMatches(dense, x, Reference.dense(dense, x), TOLERANCE);
    }

    /**
     * Logits far apart (an exp of their difference overflows float), with the largest first, in the middle,
     * last, and tied: a softmax that does not subtract the true maximum gives infinities or NaN here.
     */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "1000, 999, -5, 0, 3.5",
        "-5, 0, 1000, 3.5, 999",
        "-5, 0, 3.5, 999, 1000",
        "-1000, -990, -1200, -995",
        "7, -200, 7, 3",
        "-3.4e38, 3.4e38, 0",
        "42"})
    void softmaxMatchesReferenceAndSumsToOne(String values) {
        String[] parts = values.split(",");
        float[] logits = new float[parts.length];
        for (int i = 0; i < parts.length; i++) logits[i] = Float.parseFloat(parts[i].strip());
        float[] p = logits.clone();
        ImageClassifier.softmax(p);
        assertTrue(maxAbsDifference(Reference.softmax(logits), p) < 1e-6,
                Arrays.toString(p) + " vs " + Arrays.toString(Reference.softmax(logits)));
        double sum = 0;
        for (float v : p) sum += v;
        assertEquals(1.0, sum, 1e-6);
    }

    @Test
    void testsRunTheVectorKernels() {
        assertTrue(Predictor.vectorAvailable(), "surefire must pass --add-modules jdk.incubator.vector");
        Integer requested = Integer.getInteger("mnv2.vector.bits");
        if (requested != null) {
            assertEquals(requested, Predictor.vectorBits(), "the width -Dmnv2.vector.bits asks for");
        }
    }
}
