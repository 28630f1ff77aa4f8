package dev.mnv2.exec;

/**
 * The arithmetic of every operator the plan runs, and of its backward pass beside it, in one place each.
 * Activations are NHWC float arrays addressed by offsets; the plan's weights are batch-norm-folded, training's
 * ({@link ConvTraining}) are not. Two implementations: {@link ScalarKernels} and, when the JVM was started
 * with {@code --add-modules jdk.incubator.vector}, {@code VectorKernels}.
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

    /**
     * Output row {@code oy} of an ungrouped convolution, straight from the NHWC input (no patch matrix):
     * {@code out[ox][o] = clamp(bias[o] + sum in[iy][ix][i] * w[ky][kx][i][o], lo, hi)} over the taps inside the
     * input, in (ky, kx, i) order. {@code w} is the HWIO weights as a {@code [k·k·inC][outC]} matrix in the
     * {@link #pack} layout; {@code outOff} is the row's first value.
     */
    void convRow(float[] in, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy, float[] w, float[] bias,
                 float lo, float hi, float[] out, int outOff);

    /**
     * The matrix product of the backward passes, {@code out[r][o] (+)= sum_i a[r][i] * b[i][o]} for
     * {@code rows} rows and columns {@code [o0, o1)} (strip boundaries, as {@link #pointwise}), {@code b} in
     * the {@link #pack} layout: the input gradient of a 1×1 convolution or dense layer, {@code dX = dY · Wᵀ},
     * with {@code b} from {@link #packTransposed}. Accumulates into {@code out} when {@code accumulate}, else
     * overwrites it. Each value is the same fused multiply-add chain as {@link #pointwise}'s, started from 0
     * or from {@code out}'s value.
     */
    void matmul(float[] a, int aOff, int rows, int inner, float[] b, int cols, boolean accumulate,
                float[] out, int outOff, int o0, int o1);

    /**
     * Adds the outer products of {@code count} row pairs: {@code out[i][o] += sum_p a[p][i] * b[p][o]} for
     * rows {@code i} in {@code [i0, i1)} of {@code out} ({@code [aWidth][bWidth]}, row-major, from index 0),
     * where {@code a} is {@code [count][aWidth]} from {@code aOff} and {@code b} is {@code [count][bWidth]}
     * from {@code bOff}. This is {@code Aᵀ · B}: the weight gradient {@code dW = Xᵀ · dY} of a 1×1
     * convolution or dense layer (and, with a patch matrix as {@code a}, of any ungrouped convolution).
     * Every value is one fused multiply-add chain over {@code p} in order, started from {@code out}'s value,
     * so the row range a caller picks (threads split it) never changes a bit.
     */
    void addOuterProducts(float[] a, int aOff, int aWidth, float[] b, int bOff, int bWidth, int count,
                          float[] out, int i0, int i1);

    /**
     * The input gradient of one input row of a depthwise convolution ({@link #depthwiseRow}'s geometry):
     * {@code dx[ix][c] (+)= sum dy[oy][ox][c] * w[ky][kx][c]} over the taps that read pixel ix. {@code
     * rowOff[ky]} is the offset of the gradient row {@code oy} whose tap ky reads this input row, or -1 where
     * no output row does (stride, padding). Gathered per input pixel, taps in row-major order, so rows split
     * over threads write disjoint values. Accumulates into {@code dx} when {@code accumulate}.
     */
    void depthwiseInputGradientRow(float[] dy, int[] rowOff, int outW, int channels, int kernel, int stride,
                                   int dilation, int padLeft, float[] w, boolean accumulate,
                                   float[] dx, int dxOff, int inW);

    /**
     * Adds one output row's share of a depthwise convolution's weight gradient for channels {@code [c0, c1)}
     * ({@code c0} a multiple of 8): {@code dw[ky][kx][c] += sum_ox dy[ox][c] * x[iy][ix][c]}, with {@code
     * rowOff} as in {@link #depthwiseRow}. Each tap's chain runs over ox in order from {@code dw}'s value.
     */
    void depthwiseWeightGradientRow(float[] x, int[] rowOff, int inW, int channels, int kernel, int stride,
                                    int dilation, int padLeft, float[] dy, int dyOff, int outW, float[] dw,
                                    int c0, int c1);

    /**
     * Adds {@code pixels} pixels' share of batch norm's backward sums for channels {@code [c0, c1)}:
     * {@code sum[c] += g} and {@code product[c] = fma(g, (x − mean)·inverseStd, product[c])}, in float and
     * pixel order, where {@code g} is {@code dy} masked to where {@code lo < fma(x − mean, scale, shift) < hi} (the
     * following clamp's backward, as {@link ScalarKernels#inside}). {@link BatchNormTraining} adds these
     * chunk sums into double totals.
     */
    void batchNormGradientSums(float[] x, int xOff, float[] dy, int dyOff, int pixels, int channels, float[] scale,
                               float[] shift, float[] mean, float[] inverseStd, float lo, float hi, float[] sum,
                               float[] product, int c0, int c1);

    /**
     * Batch norm's input gradient for {@code pixels} pixels: {@code dx (+)= fma(scale, g, fma(x − mean, slope,
     * offset))} per channel, with {@code g} as in {@link #batchNormGradientSums} and the per-channel
     * {@code slope} and {@code offset} that {@link BatchNormTraining} derives from the sums.
     */
    void batchNormInputGradient(float[] x, int xOff, float[] dy, int dyOff, int pixels, int channels, float[] scale,
                                float[] shift, float[] mean, float[] slope, float[] offset, float lo, float hi,
                                boolean accumulate, float[] dx, int dxOff);

    /**
     * Adds {@code pixels} pixels' share of batch norm's statistics for channels {@code [c0, c1)}, in float and
     * pixel order: {@code sum[c] += x} when {@code mean} is null, else {@code sum[c] = fma(d, d, sum[c])} with
     * {@code d = x − mean[c]} (the variance's pass). {@link BatchNormTraining} adds these chunk sums into double
     * totals.
     */
    void batchNormSums(float[] x, int xOff, int pixels, int channels, float[] mean, float[] sum, int c0, int c1);

    /**
     * Batch norm forward with the clamp that follows, for {@code pixels} pixels:
     * {@code y = clamp(fma(x − mean, scale, shift), lo, hi)}; {@code y} may be {@code x}.
     */
    void batchNormNormalize(float[] x, int xOff, int pixels, int channels, float[] mean, float[] scale,
                            float[] shift, float lo, float hi, float[] y, int yOff);

    /**
     * Output row {@code oy}'s receptive fields as a patch matrix {@code [outW][kernel][kernel][inC]} (zeros in
     * the padding), the left operand that turns an ungrouped convolution into a matrix product with its HWIO
     * weights ({@link ScalarKernels#gatherPatches}).
     */
    void gatherPatches(float[] input, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy, float[] patches);

    /** Mean over {@code positions} pixels of {@code channels} channels: summed in pixel order, then scaled. */
    void globalAveragePool(float[] in, int inOff, int positions, int channels, float[] out, int outOff);

    /**
     * Width of the column strips of packed weights: one 16-lane vector (AVX-512) or two 8-lane ones (AVX2), so
     * one layout serves both widths.
     */
    int STRIP = 16;

    /**
     * Threads split the matrix product's pixel ranges on multiples of this: the larger register block of the
     * two vector widths (8 pixels at 512 bits; the 256-bit block's 4 divides it).
     */
    int BLOCK_PIXELS = 8;

    /**
     * Packs a {@code [inC][outC]} weight matrix into column strips, each stored contiguously as
     * {@code [inC][width]}, so the matrix product streams its weights in order: strips of {@link #STRIP}
     * columns, then one of 8 if at least 8 remain, then one of the rest. The strip that starts at column
     * {@code o} starts at {@code o * inC} and has width {@link #stripWidth}.
     */
    static float[] pack(float[] w, int inC, int outC) {
        float[] packed = new float[packedFloats(inC, outC)];
        pack(w, inC, outC, packed);
        return packed;
    }

    /**
     * Floats of a packed {@code [inC][outC]} matrix: the weights and 8 floats of padding, so that a 16-lane load
     * of an 8-column strip's last row (whose high lanes the kernels ignore) stays inside the array.
     */
    static int packedFloats(int inC, int outC) {
        return inC * outC + 8;
    }

    /** {@link #pack(float[], int, int)} into {@code packed} ({@link #packedFloats} long), for weights that change. */
    static void pack(float[] w, int inC, int outC, float[] packed) {
        for (int o = 0; o < outC; o += stripWidth(o, outC)) {
            int width = stripWidth(o, outC);
            for (int i = 0; i < inC; i++) {
                System.arraycopy(w, i * outC + o, packed, o * inC + i * width, width);
            }
        }
    }

    /**
     * Packs the transpose {@code [outC][inC]} of a {@code [inC][outC]} weight matrix into {@code packed}, in
     * the layout {@link #pack} gives a {@code [outC][inC]} matrix: the right operand of {@code dY · Wᵀ}.
     */
    static void packTransposed(float[] w, int inC, int outC, float[] packed) {
        for (int i = 0; i < inC; i += stripWidth(i, inC)) {
            int width = stripWidth(i, inC);
            for (int o = 0; o < outC; o++) {
                int dst = i * outC + o * width;
                for (int j = 0; j < width; j++) {
                    packed[dst + j] = w[(i + j) * outC + o];
                }
            }
        }
    }

    /** The first column of the packed strip that holds column {@code o}. */
    static int stripStart(int o, int outC) {
        int wide = outC - outC % STRIP;
        if (o < wide) {
            return o - o % STRIP;
        }
        return outC - wide >= 8 && o >= wide + 8 ? wide + 8 : wide;
    }

    static int stripWidth(int o, int outC) {
        int left = outC - o;
        return left >= STRIP ? STRIP : left >= 8 ? 8 : left;
    }
}
