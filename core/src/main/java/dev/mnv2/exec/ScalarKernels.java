package dev.mnv2.exec;

import dev.mnv2.model.ResizeBilinear;
import java.util.Arrays;
import java.util.SplittableRandom;

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
        pointwiseChannels(in, inOff, pixels, inC, w, bias, false, outC, out, outOff, o0, o1);
        finishColumns(out, outOff, pixels, outC, o0, o1, lo, hi, res, resOff);
    }

    @Override
    public void matmul(float[] a, int aOff, int rows, int inner, float[] b, int cols, boolean accumulate,
                       float[] out, int outOff, int o0, int o1) {
        pointwiseChannels(a, aOff, rows, inner, b, null, accumulate, cols, out, outOff, o0, o1);
    }

    /**
     * The accumulation of {@link #pointwise} (packed weights) for the output channels {@code [o0, o1)},
     * where {@code o0} starts a strip: no clamp, no residual. Each chain starts from {@code out}'s value when
     * {@code accumulate}, else from the bias, or from 0 when {@code bias} is null.
     */
    static void pointwiseChannels(float[] in, int inOff, int pixels, int inC, float[] w, float[] bias,
                                  boolean accumulate, int outC, float[] out, int outOff, int o0, int o1) {
        for (int o = o0; o < o1; o += Kernels.stripWidth(o, outC)) {
            int width = Kernels.stripWidth(o, outC);
            for (int p = 0; p < pixels; p++) {
                int src = inOff + p * inC;
                int dst = outOff + p * outC + o;
                if (bias != null && !accumulate) {
                    System.arraycopy(bias, o, out, dst, width);
                } else if (!accumulate) {
                    Arrays.fill(out, dst, dst + width, 0f);
                }
                for (int i = 0, wi = o * inC; i < inC; i++, wi += width) {
                    float x = in[src + i];
                    for (int j = 0; j < width; j++) {
                        out[dst + j] = Math.fma(x, w[wi + j], out[dst + j]);
                    }
                }
            }
        }
    }

    @Override
    public void addOuterProducts(float[] a, int aOff, int aWidth, float[] b, int bOff, int bWidth, int count,
                                 float[] out, int i0, int i1) {
        outerProductColumns(a, aOff, aWidth, b, bOff, bWidth, count, out, i0, i1, 0, bWidth);
    }

    /** {@link #addOuterProducts} for the columns {@code [o0, o1)} of {@code out} only. */
    static void outerProductColumns(float[] a, int aOff, int aWidth, float[] b, int bOff, int bWidth, int count,
                                    float[] out, int i0, int i1, int o0, int o1) {
        for (int p = 0; p < count; p++) {
            int aRow = aOff + p * aWidth;
            int bRow = bOff + p * bWidth;
            for (int i = i0; i < i1; i++) {
                float x = a[aRow + i];
                int dst = i * bWidth;
                for (int o = o0; o < o1; o++) {
                    out[dst + o] = Math.fma(x, b[bRow + o], out[dst + o]);
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

    @Override
    public void depthwiseInputGradientRow(float[] dy, int[] rowOff, int outW, int channels, int kernel, int stride,
                                          int dilation, int padLeft, float[] w, boolean accumulate,
                                          float[] dx, int dxOff, int inW) {
        for (int ix = 0; ix < inW; ix++) {
            int dst = dxOff + ix * channels;
            if (!accumulate) {
                Arrays.fill(dx, dst, dst + channels, 0f);
            }
            for (int ky = 0; ky < kernel; ky++) {
                if (rowOff[ky] < 0) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int ox = outputColumn(ix, kx, stride, dilation, padLeft, outW);
                    if (ox < 0) continue;
                    int src = rowOff[ky] + ox * channels;
                    int tap = (ky * kernel + kx) * channels;
                    for (int c = 0; c < channels; c++) {
                        dx[dst + c] = Math.fma(dy[src + c], w[tap + c], dx[dst + c]);
                    }
                }
            }
        }
    }

    /**
     * The output column whose tap kx reads input column ix (stride, dilation and left padding as
     * {@link #depthwiseRow}), or -1 where none does.
     */
    static int outputColumn(int ix, int kx, int stride, int dilation, int padLeft, int outW) {
        int at = ix + padLeft - kx * dilation;
        if (at < 0) {
            return -1;
        }
        // The network's strides are 1 and 2: no division for them, this runs once per tap and channel block.
        int ox = stride == 1 ? at : stride == 2 ? ((at & 1) == 0 ? at >> 1 : -1) : (at % stride == 0 ? at / stride : -1);
        return ox < outW ? ox : -1;
    }

    /** First output column whose tap kx reads inside a row of {@code inW} pixels. */
    static int firstOutputColumn(int kx, int stride, int dilation, int padLeft) {
        return Math.max(0, -Math.floorDiv(kx * dilation - padLeft, stride));
    }

    /** One past the last output column (at most {@code outW}) whose tap kx reads inside a row of {@code inW}. */
    static int endOutputColumn(int kx, int stride, int dilation, int padLeft, int inW, int outW) {
        return Math.min(outW, Math.floorDiv(inW - 1 + padLeft - kx * dilation, stride) + 1);
    }

    @Override
    public void depthwiseWeightGradientRow(float[] x, int[] rowOff, int inW, int channels, int kernel, int stride,
                                           int dilation, int padLeft, float[] dy, int dyOff, int outW, float[] dw,
                                           int c0, int c1) {
        depthwiseWeightGradientChannels(x, rowOff, inW, channels, kernel, stride, dilation, padLeft, dy, dyOff,
                outW, dw, c0, c1);
    }

    /** {@link #depthwiseWeightGradientRow}, for the vector kernels' channel tails too. */
    static void depthwiseWeightGradientChannels(float[] x, int[] rowOff, int inW, int channels, int kernel,
                                                int stride, int dilation, int padLeft, float[] dy, int dyOff,
                                                int outW, float[] dw, int c0, int c1) {
        for (int ky = 0; ky < kernel; ky++) {
            if (rowOff[ky] < 0) continue;
            for (int kx = 0; kx < kernel; kx++) {
                int tap = (ky * kernel + kx) * channels;
                int end = endOutputColumn(kx, stride, dilation, padLeft, inW, outW);
                for (int ox = firstOutputColumn(kx, stride, dilation, padLeft); ox < end; ox++) {
                    int src = rowOff[ky] + (ox * stride - padLeft + kx * dilation) * channels;
                    int g = dyOff + ox * channels;
                    for (int c = c0; c < c1; c++) {
                        dw[tap + c] = Math.fma(dy[g + c], x[src + c], dw[tap + c]);
                    }
                }
            }
        }
    }

    @Override
    public void convRow(float[] in, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy, float[] w,
                        float[] bias, float lo, float hi, float[] out, int outOff) {
        for (int ox = 0; ox < g.outW(); ox++) {
            convPixelPacked(in, inOff, inH, inW, inC, g, oy, ox, w, bias, out, outOff + ox * g.outC(), 0, g.outC());
        }
        finish(out, outOff, g.outW() * g.outC(), lo, hi, null, 0);
    }

    /**
     * {@link #convRow}'s pixel ox for output channels {@code [o0, o1)}, before the clamp, into {@code out} from
     * {@code dst} (the pixel's first channel).
     */
    static void convPixelPacked(float[] in, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy, int ox,
                                float[] w, float[] bias, float[] out, int dst, int o0, int o1) {
        int kernel = g.kernel();
        int outC = g.outC();
        int taps = kernel * kernel * inC;
        // A strip's columns side by side: independent chains, each in tap order, over contiguous weights.
        for (int o = o0; o < o1; ) {
            int strip = Kernels.stripStart(o, outC);
            int width = Kernels.stripWidth(strip, outC);
            int end = Math.min(o1, strip + width);
            int column = strip * taps - strip;
            System.arraycopy(bias, o, out, dst + o, end - o);
            for (int ky = 0; ky < kernel; ky++) {
                int iy = g.firstInputRow(oy) + ky * g.dilation();
                if (iy < 0 || iy >= inH) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int ix = ox * g.stride() - g.padLeft() + kx * g.dilation();
                    if (ix < 0 || ix >= inW) continue;
                    int src = inOff + (iy * inW + ix) * inC;
                    int tap = (ky * kernel + kx) * inC;
                    for (int i = 0; i < inC; i++) {
                        float x = in[src + i];
                        int row = column + (tap + i) * width;
                        for (int q = o; q < end; q++) {
                            out[dst + q] = Math.fma(x, w[row + q], out[dst + q]);
                        }
                    }
                }
            }
            o = end;
        }
    }

    /**
     * Pixel (oy, ox) of a grouped (not depthwise) convolution, output channels {@code [o0, o1)}. The plan runs
     * such rare layers here on both paths; ungrouped ones run {@link #convRow}.
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

    /**
     * The backward of {@link #convPixel}'s convolution for pixel (oy, ox): adds {@code dy[oy][ox][o] * w} to
     * the input gradient {@code dx} of every tap the pixel read (a scatter: callers split work by image).
     */
    static void convPixelInputGradient(float[] dy, int dyOff, int inH, int inW, int inC, ConvGeometry g, float[] w,
                                       float[] dx, int dxOff, int oy, int ox) {
        int outC = g.outC();
        int inPerGroup = inC / g.groups();
        int outPerGroup = outC / g.groups();
        int src = dyOff + (oy * g.outW() + ox) * outC;
        for (int ky = 0; ky < g.kernel(); ky++) {
            int iy = oy * g.stride() - g.padTop() + ky * g.dilation();
            if (iy < 0 || iy >= inH) continue;
            for (int kx = 0; kx < g.kernel(); kx++) {
                int ix = ox * g.stride() - g.padLeft() + kx * g.dilation();
                if (ix < 0 || ix >= inW) continue;
                int pixel = dxOff + (iy * inW + ix) * inC;
                int tap = (ky * g.kernel() + kx) * inPerGroup;
                for (int o = 0; o < outC; o++) {
                    float gradient = dy[src + o];
                    int group = (o / outPerGroup) * inPerGroup;
                    for (int ci = 0; ci < inPerGroup; ci++) {
                        dx[pixel + group + ci] = Math.fma(gradient, w[(tap + ci) * outC + o], dx[pixel + group + ci]);
                    }
                }
            }
        }
    }

    /**
     * Adds pixel (oy, ox)'s share of {@link #convPixel}'s weight gradient for output channels {@code [o0, o1)}:
     * {@code dw[tap][ci][o] += dy[oy][ox][o] * x[tap's pixel][group's ci]}.
     */
    static void convPixelWeightGradient(float[] x, int xOff, int inH, int inW, int inC, ConvGeometry g, float[] dy,
                                        int dyOff, float[] dw, int oy, int ox, int o0, int o1) {
        int outC = g.outC();
        int inPerGroup = inC / g.groups();
        int outPerGroup = outC / g.groups();
        int src = dyOff + (oy * g.outW() + ox) * outC;
        for (int ky = 0; ky < g.kernel(); ky++) {
            int iy = oy * g.stride() - g.padTop() + ky * g.dilation();
            if (iy < 0 || iy >= inH) continue;
            for (int kx = 0; kx < g.kernel(); kx++) {
                int ix = ox * g.stride() - g.padLeft() + kx * g.dilation();
                if (ix < 0 || ix >= inW) continue;
                int pixel = xOff + (iy * inW + ix) * inC;
                int tap = (ky * g.kernel() + kx) * inPerGroup;
                for (int o = o0; o < o1; o++) {
                    float gradient = dy[src + o];
                    int group = (o / outPerGroup) * inPerGroup;
                    for (int ci = 0; ci < inPerGroup; ci++) {
                        int at = (tap + ci) * outC + o;
                        dw[at] = Math.fma(gradient, x[pixel + group + ci], dw[at]);
                    }
                }
            }
        }
    }

    @Override
    public void gatherPatches(float[] input, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy,
                              float[] patches) {
        int rowTaps = g.kernel() * inC;
        for (int ox = 0, p = 0; ox < g.outW(); ox++) {
            for (int ky = 0; ky < g.kernel(); ky++, p += rowTaps) {
                gatherKernelRow(input, inOff, inH, inW, inC, g, oy, ox, ky, patches, p);
            }
        }
    }

    /** Kernel row {@code ky} of output pixel (oy, ox)'s receptive field into {@code patches} from {@code p}. */
    static void gatherKernelRow(float[] input, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy, int ox,
                                int ky, float[] patches, int p) {
        int kernel = g.kernel();
        int rowTaps = kernel * inC;
        int x0 = ox * g.stride() - g.padLeft();
        int iy = g.firstInputRow(oy) + ky * g.dilation();
        if (iy < 0 || iy >= inH) {
            Arrays.fill(patches, p, p + rowTaps, 0f);
        } else if (x0 >= 0 && x0 + (kernel - 1) * g.dilation() < inW && g.dilation() == 1) {
            // The kernel row's pixels are adjacent in NHWC: one copy.
            System.arraycopy(input, inOff + (iy * inW + x0) * inC, patches, p, rowTaps);
        } else {
            for (int kx = 0; kx < kernel; kx++) {
                int ix = x0 + kx * g.dilation();
                int at = p + kx * inC;
                if (ix < 0 || ix >= inW) {
                    Arrays.fill(patches, at, at + inC, 0f);
                } else {
                    System.arraycopy(input, inOff + (iy * inW + ix) * inC, patches, at, inC);
                }
            }
        }
    }

    /**
     * The backward of {@link #gatherPatches} (col2im): adds each entry of output row {@code oy}'s patch-matrix
     * gradient to the input pixel it was gathered from; padding entries are dropped. Rows overlap, so callers
     * split work by image.
     */
    static void scatterPatches(float[] patches, int inH, int inW, int inC, ConvGeometry g, int oy,
                               float[] dx, int dxOff) {
        int kernel = g.kernel();
        int p = 0;
        for (int ox = 0; ox < g.outW(); ox++) {
            int x0 = ox * g.stride() - g.padLeft();
            for (int ky = 0; ky < kernel; ky++) {
                int iy = g.firstInputRow(oy) + ky * g.dilation();
                for (int kx = 0; kx < kernel; kx++, p += inC) {
                    int ix = x0 + kx * g.dilation();
                    if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                    int dst = dxOff + (iy * inW + ix) * inC;
                    for (int c = 0; c < inC; c++) {
                        dx[dst + c] += patches[p + c];
                    }
                }
            }
        }
    }

    @Override
    public void batchNormGradientSums(float[] x, int xOff, float[] dy, int dyOff, int pixels, int channels,
                                      float[] scale, float[] shift, float[] mean, float[] inverseStd, float lo,
                                      float hi, float[] sum, float[] product, int c0, int c1) {
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            int grad = dyOff + p * channels;
            for (int c = c0; c < c1; c++) {
                float centred = x[src + c] - mean[c];
                float g = masked(dy[grad + c], inside(Math.fma(centred, scale[c], shift[c]), lo, hi));
                sum[c] += g;
                product[c] = Math.fma(g, centred * inverseStd[c], product[c]);
            }
        }
    }

    @Override
    public void batchNormSums(float[] x, int xOff, int pixels, int channels, float[] mean, float[] sum, int c0,
                              int c1) {
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            for (int c = c0; c < c1; c++) {
                if (mean == null) {
                    sum[c] += x[src + c];
                } else {
                    float d = x[src + c] - mean[c];
                    sum[c] = Math.fma(d, d, sum[c]);
                }
            }
        }
    }

    @Override
    public void batchNormNormalize(float[] x, int xOff, int pixels, int channels, float[] mean, float[] scale,
                                   float[] shift, float lo, float hi, float[] y, int yOff) {
        batchNormNormalizeChannels(x, xOff, pixels, channels, mean, scale, shift, lo, hi, y, yOff, 0, channels);
    }

    /** {@link #batchNormNormalize} for channels {@code [c0, c1)}, for the vector kernels' tails too. */
    static void batchNormNormalizeChannels(float[] x, int xOff, int pixels, int channels, float[] mean,
                                           float[] scale, float[] shift, float lo, float hi, float[] y, int yOff,
                                           int c0, int c1) {
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            int dst = yOff + p * channels;
            for (int c = c0; c < c1; c++) {
                y[dst + c] = Math.min(Math.max(Math.fma(x[src + c] - mean[c], scale[c], shift[c]), lo), hi);
            }
        }
    }

    @Override
    public void batchNormInputGradient(float[] x, int xOff, float[] dy, int dyOff, int pixels, int channels,
                                       float[] scale, float[] shift, float[] mean, float[] slope, float[] offset,
                                       float lo, float hi, boolean accumulate, float[] dx, int dxOff) {
        batchNormInputGradientChannels(x, xOff, dy, dyOff, pixels, channels, scale, shift, mean, slope, offset, lo,
                hi, accumulate, dx, dxOff, 0, channels);
    }

    /** {@link #batchNormInputGradient} for channels {@code [c0, c1)}, for the vector kernels' tails too. */
    static void batchNormInputGradientChannels(float[] x, int xOff, float[] dy, int dyOff, int pixels, int channels,
                                               float[] scale, float[] shift, float[] mean, float[] slope,
                                               float[] offset, float lo, float hi, boolean accumulate, float[] dx,
                                               int dxOff, int c0, int c1) {
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            int grad = dyOff + p * channels;
            int dst = dxOff + p * channels;
            for (int c = c0; c < c1; c++) {
                float centred = x[src + c] - mean[c];
                float g = masked(dy[grad + c], inside(Math.fma(centred, scale[c], shift[c]), lo, hi));
                float d = Math.fma(scale[c], g, Math.fma(centred, slope[c], offset[c]));
                dx[dst + c] = accumulate ? dx[dst + c] + d : d;
            }
        }
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
     * The backward of {@link #globalAveragePool} for pixels {@code [p0, p1)}: each gets {@code dy[c]} times
     * the forward's scale {@code 1 / positions}, overwriting {@code dx} or added to it.
     */
    static void globalAveragePoolBackward(float[] dy, int dyOff, int positions, int channels, boolean accumulate,
                                          float[] dx, int dxOff, int p0, int p1) {
        float scale = 1f / positions;
        for (int p = p0; p < p1; p++) {
            int dst = dxOff + p * channels;
            for (int c = 0; c < channels; c++) {
                float share = dy[dyOff + c] * scale;
                dx[dst + c] = accumulate ? dx[dst + c] + share : share;
            }
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

    /**
     * The backward of {@link #averagePool} for input rows {@code [iy0, iy1)}: every input pixel gathers
     * {@code dy / count} from each window that holds it, windows in row-major order, so rows split over
     * threads write disjoint values. Overwrites {@code dx}, or adds to it when {@code accumulate}.
     */
    static void averagePoolBackward(float[] dy, int dyOff, int inH, int inW, int channels, int kernelH, int kernelW,
                                    int stride, int padTop, int padLeft, int outH, int outW, boolean accumulate,
                                    float[] dx, int dxOff, int iy0, int iy1) {
        for (int iy = iy0; iy < iy1; iy++) {
            // Windows oy with oy * stride - padTop <= iy < oy * stride - padTop + kernelH.
            int oyFirst = Math.max(0, -Math.floorDiv(kernelH - 1 - iy - padTop, stride));
            int oyEnd = Math.min(outH, Math.floorDiv(iy + padTop, stride) + 1);
            for (int ix = 0; ix < inW; ix++) {
                int oxFirst = Math.max(0, -Math.floorDiv(kernelW - 1 - ix - padLeft, stride));
                int oxEnd = Math.min(outW, Math.floorDiv(ix + padLeft, stride) + 1);
                int dst = dxOff + (iy * inW + ix) * channels;
                if (!accumulate) {
                    Arrays.fill(dx, dst, dst + channels, 0f);
                }
                for (int oy = oyFirst; oy < oyEnd; oy++) {
                    int rows = Math.min(inH, oy * stride - padTop + kernelH) - Math.max(0, oy * stride - padTop);
                    for (int ox = oxFirst; ox < oxEnd; ox++) {
                        int columns = Math.min(inW, ox * stride - padLeft + kernelW) - Math.max(0, ox * stride - padLeft);
                        float count = rows * columns;
                        int src = dyOff + (oy * outW + ox) * channels;
                        for (int c = 0; c < channels; c++) {
                            dx[dst + c] += dy[src + c] / count;
                        }
                    }
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
     * The backward of {@link #interleave} (and so of concat): pixels {@code [p0, p1)} of the {@code channels}
     * channels at {@code inOff} of an {@code inC}-channel gradient, copied into (or, when {@code accumulate},
     * added to) a {@code channels}-channel one.
     */
    static void deinterleave(float[] in, int inOff, int inC, boolean accumulate, float[] out, int outOff,
                             int channels, int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            int src = inOff + p * inC;
            int dst = outOff + p * channels;
            if (accumulate) {
                for (int c = 0; c < channels; c++) {
                    out[dst + c] += in[src + c];
                }
            } else {
                System.arraycopy(in, src, out, dst, channels);
            }
        }
    }

    /** {@code dst[i] += src[i]} for {@code n} values: the backward of a residual add, for the second reader. */
    static void addInto(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] += src[srcOff + i];
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

    /**
     * The backward of {@link #resizeBilinear} for input rows {@code [iy0, iy1)}: each output pixel's gradient
     * goes to its four taps with the forward's weights ({@code (1-dy)·(1-dx)} and so on). Output rows are
     * walked in order, each one's top-row taps before its bottom-row ones, and only taps in {@code [iy0, iy1)}
     * are written, so rows split over threads write disjoint values and
     * any split gives the same bits. Overwrites those rows of {@code dx}, or adds to them when
     * {@code accumulate}.
     */
    static void resizeBilinearBackward(float[] dy, int dyOff, int inW, int channels, ResizeBilinear.Taps rows,
                                       ResizeBilinear.Taps columns, boolean accumulate, float[] dx, int dxOff,
                                       int iy0, int iy1) {
        int outW = columns.lower().length;
        int rowFloats = inW * channels;
        if (!accumulate) {
            Arrays.fill(dx, dxOff + iy0 * rowFloats, dxOff + iy1 * rowFloats, 0f);
        }
        for (int oy = 0; oy < rows.lower().length; oy++) {
            float fy = rows.fraction()[oy];
            int top = rows.lower()[oy];
            int bottom = rows.upper()[oy];
            int src = dyOff + oy * outW * channels;
            if (top >= iy0 && top < iy1) {
                scatterRow(dy, src, columns, channels, 1 - fy, dx, dxOff + top * rowFloats);
            }
            if (bottom >= iy0 && bottom < iy1) {
                scatterRow(dy, src, columns, channels, fy, dx, dxOff + bottom * rowFloats);
            }
        }
    }

    /** Adds one output row's gradient, weighted by {@code rowWeight}, to the columns of one input row it read. */
    private static void scatterRow(float[] dy, int src, ResizeBilinear.Taps columns, int channels, float rowWeight,
                                   float[] dx, int dst) {
        for (int ox = 0; ox < columns.lower().length; ox++) {
            float fx = columns.fraction()[ox];
            float leftWeight = rowWeight * (1 - fx);
            float rightWeight = rowWeight * fx;
            int left = dst + columns.lower()[ox] * channels;
            int right = dst + columns.upper()[ox] * channels;
            int g = src + ox * channels;
            for (int c = 0; c < channels; c++) {
                dx[left + c] += dy[g + c] * leftWeight;
                dx[right + c] += dy[g + c] * rightWeight;
            }
        }
    }

    /**
     * The backward of a clamp to [lo, hi] (ReLU6, ReLU, identity) over {@code n} values: the gradient passes
     * where {@code lo < y < hi} and is 0 elsewhere, the boundaries included, as PyTorch's hardtanh and
     * threshold backward give. {@code y} may be the clamp's input or its output: both give the same mask.
     * {@code dx} may be {@code dy}.
     */
    static void clampGradient(float[] y, int yOff, float lo, float hi, float[] dy, int dyOff, float[] dx, int dxOff,
                              int n) {
        for (int i = 0; i < n; i++) {
            dx[dxOff + i] = masked(dy[dyOff + i], inside(y[yOff + i], lo, hi));
        }
    }

    /**
     * All ones where {@code lo < a < hi}, else 0 (a NaN passes by its sign bit): the clamp's backward as a bit
     * mask. A comparison would be a branch, and on ReLU6 data its mispredictions cost three times the rest of
     * a batch-norm backward.
     */
    static int inside(float a, float lo, float hi) {
        // For finite floats a − lo > 0 exactly when a > lo (gradual underflow keeps a tiny difference nonzero).
        return positive(a - lo) & positive(hi - a);
    }

    /** All ones where the sign bit of {@code z} is clear and {@code z} is not +0, else 0. */
    private static int positive(float z) {
        int bits = Float.floatToRawIntBits(z);
        return (-bits & ~bits) >> 31;
    }

    /** {@code value} where {@code mask} is all ones, +0 where it is 0. */
    static float masked(float value, int mask) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(value) & mask);
    }

    /**
     * A dropout mask of {@code n} values from a generator seeded with {@code seed}: each is 0 with probability
     * {@code rate}, else {@code 1 / (1 - rate)} (inverted dropout, so the forward and its backward are both
     * {@link #multiply} by the mask and inference is the identity). The same seed gives the same mask.
     */
    static void dropoutMask(long seed, double rate, float[] mask, int off, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        float keep = (float) (1 / (1 - rate));
        for (int i = 0; i < n; i++) {
            mask[off + i] = random.nextDouble() < rate ? 0f : keep;
        }
    }

    /**
     * {@code out[i] (+)= x[i] * m[i]} for {@code n} values: dropout's forward ({@code x} the input) and
     * backward ({@code x} the output gradient) with its mask {@code m}. {@code out} may be {@code x}.
     */
    static void multiply(float[] x, int xOff, float[] m, int mOff, boolean accumulate, float[] out, int outOff,
                         int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i] * m[mOff + i];
            out[outOff + i] = accumulate ? out[outOff + i] + v : v;
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
