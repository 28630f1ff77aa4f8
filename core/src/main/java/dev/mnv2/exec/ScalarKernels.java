package dev.mnv2.exec;

import dev.mnv2.model.ResizeBilinear;
import java.util.Arrays;

/**
 * Plain-Java kernels. Each output value is computed with exactly the operation sequence of
 * {@code VectorKernels} (bias, then {@link Math#fma} over the taps in order, clamp, residual), so the two
 * paths agree to the bit. The channel-range methods also finish the vector kernels' channel tails.
 */
final class ScalarKernels implements Kernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    @Override
    public void pointwise(float[] in, int inOff, int pixels, int inC, float[] w, float[] bias, int outC,
                          float lo, float hi, float[] out, int outOff, float[] res, int resOff, int o0, int o1) {
        pointwiseChannels(in, inOff, pixels, inC, w, bias, outC, out, outOff, o0, o1);
        finishColumns(out, outOff, pixels, outC, o0, o1, lo, hi, res, resOff);
    }

    /**
     * The accumulation of {@link #pointwise} (packed weights) for the output channels {@code [o0, o1)},
     * where {@code o0} starts a strip: no clamp, no residual.
     */
    static void pointwiseChannels(float[] in, int inOff, int pixels, int inC, float[] w, float[] bias, int outC,
                                  float[] out, int outOff, int o0, int o1) {
        for (int o = o0; o < o1; o += Kernels.stripWidth(o, outC)) {
            int width = Kernels.stripWidth(o, outC);
            for (int p = 0; p < pixels; p++) {
                int src = inOff + p * inC;
                int dst = outOff + p * outC + o;
                System.arraycopy(bias, o, out, dst, width);
                for (int i = 0, wi = o * inC; i < inC; i++, wi += width) {
                    float x = in[src + i];
                    for (int j = 0; j < width; j++) {
                        out[dst + j] = Math.fma(x, w[wi + j], out[dst + j]);
                    }
                }
            }
        }
    }

    /** {@link #finish} of columns [o0, o1) of {@code pixels} rows of {@code outC}: one pass when contiguous. */
    private static void finishColumns(float[] out, int outOff, int pixels, int outC, int o0, int o1, float lo,
                                      float hi, float[] res, int resOff) {
        if (o0 == 0 && o1 == outC) {
            finish(out, outOff, pixels * outC, lo, hi, res, resOff);
            return;
        }
        for (int p = 0; p < pixels; p++) {
            finish(out, outOff + p * outC + o0, o1 - o0, lo, hi, res, resOff + p * outC + o0);
        }
    }

    @Override
    public void depthwiseRow(float[] in, int[] rowOff, int inW, int channels, int kernel, int stride, int dilation,
                             int padLeft, float[] w, float[] bias, float lo, float hi,
                             float[] out, int outOff, int outW, float[] res, int resOff) {
        depthwiseChannels(in, rowOff, inW, channels, kernel, stride, dilation, padLeft, w, bias,
                out, outOff, outW, 0, channels);
        finish(out, outOff, outW * channels, lo, hi, res, resOff);
    }

    /** The accumulation of {@link #depthwiseRow} for channels {@code [c0, c1)} only: no clamp, no residual. */
    static void depthwiseChannels(float[] in, int[] rowOff, int inW, int channels, int kernel, int stride,
                                  int dilation, int padLeft, float[] w, float[] bias,
                                  float[] out, int outOff, int outW, int c0, int c1) {
        for (int ox = 0; ox < outW; ox++) {
            int dst = outOff + ox * channels;
            System.arraycopy(bias, c0, out, dst + c0, c1 - c0);
            int x0 = ox * stride - padLeft;
            for (int ky = 0; ky < kernel; ky++) {
                if (rowOff[ky] < 0) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int ix = x0 + kx * dilation;
                    if (ix < 0 || ix >= inW) continue;
                    int src = rowOff[ky] + ix * channels;
                    int tap = (ky * kernel + kx) * channels;
                    for (int c = c0; c < c1; c++) {
                        out[dst + c] = Math.fma(in[src + c], w[tap + c], out[dst + c]);
                    }
                }
            }
        }
    }

    /**
     * Pixel (oy, ox) of a grouped (not depthwise) convolution, output channels {@code [o0, o1)}. The plan runs
     * such rare layers here on both paths; ungrouped ones become a patch matrix times the weights.
     */
    static void convPixel(float[] in, int inOff, int inH, int inW, int inC, ConvGeometry g, float[] w,
                          float[] bias, float lo, float hi, float[] out, int outOff, int oy, int ox, int o0, int o1) {
        int outC = g.outC();
        int inPerGroup = inC / g.groups();
        int outPerGroup = outC / g.groups();
        int dst = outOff + (oy * g.outW() + ox) * outC;
        for (int o = o0; o < o1; o++) {
            int group = (o / outPerGroup) * inPerGroup;
            float acc = bias[o];
            for (int ky = 0; ky < g.kernel(); ky++) {
                int iy = oy * g.stride() - g.padTop() + ky * g.dilation();
                if (iy < 0 || iy >= inH) continue;
                for (int kx = 0; kx < g.kernel(); kx++) {
                    int ix = ox * g.stride() - g.padLeft() + kx * g.dilation();
                    if (ix < 0 || ix >= inW) continue;
                    int src = inOff + (iy * inW + ix) * inC + group;
                    int tap = (ky * g.kernel() + kx) * inPerGroup;
                    for (int ci = 0; ci < inPerGroup; ci++) {
                        acc = Math.fma(in[src + ci], w[(tap + ci) * outC + o], acc);
                    }
                }
            }
            out[dst + o] = acc;
        }
        finish(out, dst + o0, o1 - o0, lo, hi, null, 0);
    }

    @Override
    public void globalAveragePool(float[] in, int inOff, int positions, int channels, float[] out, int outOff) {
        poolChannels(in, inOff, positions, channels, out, outOff, 0, channels);
    }

    static void poolChannels(float[] in, int inOff, int positions, int channels, float[] out, int outOff,
                             int c0, int c1) {
        Arrays.fill(out, outOff + c0, outOff + c1, 0f);
        for (int p = 0; p < positions; p++) {
            int src = inOff + p * channels;
            for (int c = c0; c < c1; c++) {
                out[outOff + c] += in[src + c];
            }
        }
        float scale = 1f / positions;
        for (int c = c0; c < c1; c++) {
            out[outOff + c] *= scale;
        }
    }

    /**
     * Output rows {@code [oy0, oy1)} of a k×k average pool: each window's taps inside the input summed in
     * row-major order, divided by their count (TensorFlow leaves the padding out of the mean).
     */
    static void averagePool(float[] in, int inOff, int inH, int inW, int channels, int kernelH, int kernelW,
                            int stride, int padTop, int padLeft, float[] out, int outOff, int outW, int oy0, int oy1) {
        for (int oy = oy0; oy < oy1; oy++) {
            int y0 = Math.max(0, oy * stride - padTop);
            int y1 = Math.min(inH, oy * stride - padTop + kernelH);
            for (int ox = 0; ox < outW; ox++) {
                int x0 = Math.max(0, ox * stride - padLeft);
                int x1 = Math.min(inW, ox * stride - padLeft + kernelW);
                int dst = outOff + (oy * outW + ox) * channels;
                Arrays.fill(out, dst, dst + channels, 0f);
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        int src = inOff + (y * inW + x) * channels;
                        for (int c = 0; c < channels; c++) {
                            out[dst + c] += in[src + c];
                        }
                    }
                }
                float count = (y1 - y0) * (x1 - x0);
                for (int c = 0; c < channels; c++) {
                    out[dst + c] /= count;
                }
            }
        }
    }

    /** Copies pixels {@code [p0, p1)} of a {@code channels}-channel tensor into channels at {@code outOff} of a {@code outC}-channel one. */
    static void interleave(float[] in, int inOff, int channels, float[] out, int outOff, int outC, int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            System.arraycopy(in, inOff + p * channels, out, outOff + p * outC, channels);
        }
    }

    /**
     * Output rows {@code [oy0, oy1)} of a bilinear resize, each value as TFLite's reference computes it:
     * {@code a·(1-dy)·(1-dx) + b·dy·(1-dx) + c·(1-dy)·dx + d·dy·dx}, left to right in float.
     */
    static void resizeBilinear(float[] in, int inOff, int inW, int channels, ResizeBilinear.Taps rows,
                               ResizeBilinear.Taps columns, float[] out, int outOff, int oy0, int oy1) {
        int outW = columns.lower().length;
        for (int oy = oy0; oy < oy1; oy++) {
            int top = inOff + rows.lower()[oy] * inW * channels;
            int bottom = inOff + rows.upper()[oy] * inW * channels;
            float dy = rows.fraction()[oy];
            float ry = 1 - dy;
            for (int ox = 0; ox < outW; ox++) {
                int left = columns.lower()[ox] * channels;
                int right = columns.upper()[ox] * channels;
                float dx = columns.fraction()[ox];
                float rx = 1 - dx;
                int dst = outOff + (oy * outW + ox) * channels;
                for (int c = 0; c < channels; c++) {
                    out[dst + c] = in[top + left + c] * ry * rx + in[bottom + left + c] * dy * rx
                            + in[top + right + c] * ry * dx + in[bottom + right + c] * dy * dx;
                }
            }
        }
    }

    /** For pixels {@code [p0, p1)}: the index of the largest of {@code channels} values, the first on ties. */
    static void argMax(float[] in, int inOff, int channels, float[] out, int outOff, int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            int src = inOff + p * channels;
            int best = 0;
            for (int c = 1; c < channels; c++) {
                if (in[src + c] > in[src + best]) {
                    best = c;
                }
            }
            out[outOff + p] = best;
        }
    }

    /**
     * Clamps {@code n} values at {@code out[off]} to [lo, hi], then adds {@code res[resOff ...]} if given.
     * Both kernel sets finish with this one loop, so they agree to the bit.
     */
    static void finish(float[] out, int off, int n, float lo, float hi, float[] res, int resOff) {
        if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) {
            // Math.max/min compile to branch-free instructions; a ternary would mispredict on ReLU data.
            for (int i = off; i < off + n; i++) {
                out[i] = Math.min(Math.max(out[i], lo), hi);
            }
        }
        if (res != null) {
            for (int i = 0; i < n; i++) {
                out[off + i] += res[resOff + i];
            }
        }
    }
}
