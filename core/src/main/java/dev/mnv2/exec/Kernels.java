package dev.mnv2.exec;

/**
 * The arithmetic of every operator the plan runs, in one place each. Activations are NHWC float arrays
 * addressed by offsets; weights are batch-norm-folded. Two implementations: {@link ScalarKernels} and, when
 * the JVM was started with {@code --add-modules jdk.incubator.vector}, {@code VectorKernels}.
 *
 * <p>Both compute every output value by the same sequence of operations: start from the bias, add the
 * products in the same order with fused multiply-add ({@link Math#fma} in the scalar path, lane-wise
 * {@code fma} in the vector path), clamp, then add the residual. Their results are therefore bit-identical;
 * vectorisation only changes how many outputs are computed at once.
 */
interface Kernels {
    /**
     * 1×1 convolution (and fully connected layer) as a matrix product with fused bias, clamp and residual:
     * {@code out[p][o] = clamp(bias[o] + sum_i in[p][i] * w[i][o], lo, hi) + res[p][o]} for {@code pixels}
     * consecutive pixels. {@code w} is in the {@link #pack} layout. {@code res} may be null.
     */
    default void pointwise(float[] in, int inOff, int pixels, int inC, float[] w, float[] bias, int outC,
                           float lo, float hi, float[] out, int outOff, float[] res, int resOff) {
        pointwise(in, inOff, pixels, inC, w, bias, outC, lo, hi, out, outOff, res, resOff, 0, outC);
    }

    /**
     * {@link #pointwise} for output channels {@code [o0, o1)} only, where {@code o0} and {@code o1} are
     * strip boundaries ({@code o1 == outC}, or multiples of {@link #STRIP}): lets threads split a layer with
     * few pixels, such as the classifier, by columns.
     */
    void pointwise(float[] in, int inOff, int pixels, int inC, float[] w, float[] bias, int outC,
                   float lo, float hi, float[] out, int outOff, float[] res, int resOff, int o0, int o1);

    /**
     * One output row of a k×k depthwise convolution with weights {@code [k][k][channels]}.
     * {@code rowOff[ky]} is the offset of the input row tap ky reads, or -1 where it falls in the padding.
     * Output pixel ox reads input columns {@code ox * stride - padLeft + kx * dilation}. {@code res} (the
     * expansion shortcut, one row of the output's shape) may be null.
     */
    void depthwiseRow(float[] in, int[] rowOff, int inW, int channels, int kernel, int stride, int dilation,
                      int padLeft, float[] w, float[] bias, float lo, float hi,
                      float[] out, int outOff, int outW, float[] res, int resOff);

    /** Mean over {@code positions} pixels of {@code channels} channels: summed in pixel order, then scaled. */
    void globalAveragePool(float[] in, int inOff, int positions, int channels, float[] out, int outOff);

    /** Width of the column strips of packed weights; the vector kernels' register block is 2 × 8 lanes. */
    int STRIP = 16;

    /** Pixels per register block of the vector kernels' matrix product: pixel ranges split on multiples of it. */
    int BLOCK_PIXELS = 4;

    /**
     * Packs a {@code [inC][outC]} weight matrix into column strips, each stored contiguously as
     * {@code [inC][width]}, so the matrix product streams its weights in order: strips of {@link #STRIP}
     * columns, then one of 8 if at least 8 remain, then one of the rest. The strip that starts at column
     * {@code o} starts at {@code o * inC} and has width {@link #stripWidth}.
     */
    static float[] pack(float[] w, int inC, int outC) {
        float[] packed = new float[w.length];
        for (int o = 0; o < outC; o += stripWidth(o, outC)) {
            int width = stripWidth(o, outC);
            for (int i = 0; i < inC; i++) {
                System.arraycopy(w, i * outC + o, packed, o * inC + i * width, width);
            }
        }
        return packed;
    }

    static int stripWidth(int o, int outC) {
        int left = outC - o;
        return left >= STRIP ? STRIP : left >= 8 ? 8 : left;
    }
}
