package dev.mnv2.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on {@code jdk.incubator.vector}, vectorised over channels (NHWC keeps them contiguous). Every lane
 * performs the same operations in the same order as {@link ScalarKernels}; channel counts that are not a
 * multiple of the vector length finish in the scalar code. Loaded only when the module is present.
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Pixels per pass over a strip of weight columns, so the input rows stay in cache. */
    private static final int PIXEL_CHUNK = 64;

    @Override
    public void pointwise(float[] in, int inOff, int pixels, int inC, float[] w, float[] bias, int outC,
                          float lo, float hi, float[] out, int outOff, float[] res, int resOff) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        for (int p0 = 0; p0 < pixels; p0 += PIXEL_CHUNK) {
            int p1 = Math.min(pixels, p0 + PIXEL_CHUNK);
            int o = 0;
            for (; o + 3 * L <= outC; o += 3 * L) {
                columns3(in, inOff, p0, p1, inC, w, bias, outC, o, vlo, vhi, out, outOff, res, resOff);
            }
            for (; o + 2 * L <= outC; o += 2 * L) {
                columns2(in, inOff, p0, p1, inC, w, bias, outC, o, vlo, vhi, out, outOff, res, resOff);
            }
            for (; o + L <= outC; o += L) {
                columns1(in, inOff, p0, p1, inC, w, bias, outC, o, vlo, vhi, out, outOff, res, resOff);
            }
            if (o < outC) {
                ScalarKernels.pointwiseChannels(in, inOff + p0 * inC, p1 - p0, inC, w, bias, outC, lo, hi,
                        out, outOff + p0 * outC, res, resOff + p0 * outC, o, outC);
            }
        }
    }

    /** Output channels [o, o + 3L) of pixels [p0, p1): 4 pixels × 3 vectors of accumulators at a time. */
    private static void columns3(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias, int outC,
                                 int o, FloatVector vlo, FloatVector vhi, float[] out, int outOff,
                                 float[] res, int resOff) {
        FloatVector b0 = FloatVector.fromArray(S, bias, o);
        FloatVector b1 = FloatVector.fromArray(S, bias, o + L);
        FloatVector b2 = FloatVector.fromArray(S, bias, o + 2 * L);
        int p = p0;
        for (; p + 4 <= p1; p += 4) {
            FloatVector a00 = b0, a01 = b1, a02 = b2, a10 = b0, a11 = b1, a12 = b2;
            FloatVector a20 = b0, a21 = b1, a22 = b2, a30 = b0, a31 = b1, a32 = b2;
            int x0 = inOff + p * inC;
            int x1 = x0 + inC;
            int x2 = x1 + inC;
            int x3 = x2 + inC;
            for (int i = 0, wi = o; i < inC; i++, wi += outC) {
                FloatVector w0 = FloatVector.fromArray(S, w, wi);
                FloatVector w1 = FloatVector.fromArray(S, w, wi + L);
                FloatVector w2 = FloatVector.fromArray(S, w, wi + 2 * L);
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a00 = x.fma(w0, a00);
                a01 = x.fma(w1, a01);
                a02 = x.fma(w2, a02);
                x = FloatVector.broadcast(S, in[x1 + i]);
                a10 = x.fma(w0, a10);
                a11 = x.fma(w1, a11);
                a12 = x.fma(w2, a12);
                x = FloatVector.broadcast(S, in[x2 + i]);
                a20 = x.fma(w0, a20);
                a21 = x.fma(w1, a21);
                a22 = x.fma(w2, a22);
                x = FloatVector.broadcast(S, in[x3 + i]);
                a30 = x.fma(w0, a30);
                a31 = x.fma(w1, a31);
                a32 = x.fma(w2, a32);
            }
            int d = outOff + p * outC + o;
            int r = resOff + p * outC + o;
            store(a00, vlo, vhi, out, d, res, r);
            store(a01, vlo, vhi, out, d + L, res, r + L);
            store(a02, vlo, vhi, out, d + 2 * L, res, r + 2 * L);
            d += outC;
            r += outC;
            store(a10, vlo, vhi, out, d, res, r);
            store(a11, vlo, vhi, out, d + L, res, r + L);
            store(a12, vlo, vhi, out, d + 2 * L, res, r + 2 * L);
            d += outC;
            r += outC;
            store(a20, vlo, vhi, out, d, res, r);
            store(a21, vlo, vhi, out, d + L, res, r + L);
            store(a22, vlo, vhi, out, d + 2 * L, res, r + 2 * L);
            d += outC;
            r += outC;
            store(a30, vlo, vhi, out, d, res, r);
            store(a31, vlo, vhi, out, d + L, res, r + L);
            store(a32, vlo, vhi, out, d + 2 * L, res, r + 2 * L);
        }
        for (; p < p1; p++) {
            FloatVector a0 = b0, a1 = b1, a2 = b2;
            int x0 = inOff + p * inC;
            for (int i = 0, wi = o; i < inC; i++, wi += outC) {
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a0 = x.fma(FloatVector.fromArray(S, w, wi), a0);
                a1 = x.fma(FloatVector.fromArray(S, w, wi + L), a1);
                a2 = x.fma(FloatVector.fromArray(S, w, wi + 2 * L), a2);
            }
            int d = outOff + p * outC + o;
            int r = resOff + p * outC + o;
            store(a0, vlo, vhi, out, d, res, r);
            store(a1, vlo, vhi, out, d + L, res, r + L);
            store(a2, vlo, vhi, out, d + 2 * L, res, r + 2 * L);
        }
    }

    /** Output channels [o, o + 2L): 4 pixels × 2 vectors at a time. */
    private static void columns2(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias, int outC,
                                 int o, FloatVector vlo, FloatVector vhi, float[] out, int outOff,
                                 float[] res, int resOff) {
        FloatVector b0 = FloatVector.fromArray(S, bias, o);
        FloatVector b1 = FloatVector.fromArray(S, bias, o + L);
        int p = p0;
        for (; p + 4 <= p1; p += 4) {
            FloatVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
            int x0 = inOff + p * inC;
            int x1 = x0 + inC;
            int x2 = x1 + inC;
            int x3 = x2 + inC;
            for (int i = 0, wi = o; i < inC; i++, wi += outC) {
                FloatVector w0 = FloatVector.fromArray(S, w, wi);
                FloatVector w1 = FloatVector.fromArray(S, w, wi + L);
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a00 = x.fma(w0, a00);
                a01 = x.fma(w1, a01);
                x = FloatVector.broadcast(S, in[x1 + i]);
                a10 = x.fma(w0, a10);
                a11 = x.fma(w1, a11);
                x = FloatVector.broadcast(S, in[x2 + i]);
                a20 = x.fma(w0, a20);
                a21 = x.fma(w1, a21);
                x = FloatVector.broadcast(S, in[x3 + i]);
                a30 = x.fma(w0, a30);
                a31 = x.fma(w1, a31);
            }
            int d = outOff + p * outC + o;
            int r = resOff + p * outC + o;
            store(a00, vlo, vhi, out, d, res, r);
            store(a01, vlo, vhi, out, d + L, res, r + L);
            d += outC;
            r += outC;
            store(a10, vlo, vhi, out, d, res, r);
            store(a11, vlo, vhi, out, d + L, res, r + L);
            d += outC;
            r += outC;
            store(a20, vlo, vhi, out, d, res, r);
            store(a21, vlo, vhi, out, d + L, res, r + L);
            d += outC;
            r += outC;
            store(a30, vlo, vhi, out, d, res, r);
            store(a31, vlo, vhi, out, d + L, res, r + L);
        }
        for (; p < p1; p++) {
            FloatVector a0 = b0, a1 = b1;
            int x0 = inOff + p * inC;
            for (int i = 0, wi = o; i < inC; i++, wi += outC) {
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a0 = x.fma(FloatVector.fromArray(S, w, wi), a0);
                a1 = x.fma(FloatVector.fromArray(S, w, wi + L), a1);
            }
            int d = outOff + p * outC + o;
            int r = resOff + p * outC + o;
            store(a0, vlo, vhi, out, d, res, r);
            store(a1, vlo, vhi, out, d + L, res, r + L);
        }
    }

    /** Output channels [o, o + L): 4 pixels × 1 vector at a time. */
    private static void columns1(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias, int outC,
                                 int o, FloatVector vlo, FloatVector vhi, float[] out, int outOff,
                                 float[] res, int resOff) {
        FloatVector b = FloatVector.fromArray(S, bias, o);
        int p = p0;
        for (; p + 4 <= p1; p += 4) {
            FloatVector a0 = b, a1 = b, a2 = b, a3 = b;
            int x0 = inOff + p * inC;
            int x1 = x0 + inC;
            int x2 = x1 + inC;
            int x3 = x2 + inC;
            for (int i = 0, wi = o; i < inC; i++, wi += outC) {
                FloatVector wv = FloatVector.fromArray(S, w, wi);
                a0 = FloatVector.broadcast(S, in[x0 + i]).fma(wv, a0);
                a1 = FloatVector.broadcast(S, in[x1 + i]).fma(wv, a1);
                a2 = FloatVector.broadcast(S, in[x2 + i]).fma(wv, a2);
                a3 = FloatVector.broadcast(S, in[x3 + i]).fma(wv, a3);
            }
            int d = outOff + p * outC + o;
            int r = resOff + p * outC + o;
            store(a0, vlo, vhi, out, d, res, r);
            store(a1, vlo, vhi, out, d + outC, res, r + outC);
            store(a2, vlo, vhi, out, d + 2 * outC, res, r + 2 * outC);
            store(a3, vlo, vhi, out, d + 3 * outC, res, r + 3 * outC);
        }
        for (; p < p1; p++) {
            FloatVector a = b;
            int x0 = inOff + p * inC;
            for (int i = 0, wi = o; i < inC; i++, wi += outC) {
                a = FloatVector.broadcast(S, in[x0 + i]).fma(FloatVector.fromArray(S, w, wi), a);
            }
            store(a, vlo, vhi, out, outOff + p * outC + o, res, resOff + p * outC + o);
        }
    }

    @Override
    public void depthwiseRow(float[] in, int[] rowOff, int inW, int channels, int kernel, int stride, int dilation,
                             int padLeft, float[] w, float[] bias, float lo, float hi,
                             float[] out, int outOff, int outW, float[] res, int resOff) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int c = 0;
        for (; c + L <= channels; c += L) {
            if (kernel == 3) {
                depthwise3(in, rowOff, inW, channels, stride, dilation, padLeft, w, bias, vlo, vhi,
                        out, outOff, outW, res, resOff, c);
            } else {
                depthwiseAny(in, rowOff, inW, channels, kernel, stride, dilation, padLeft, w, bias, vlo, vhi,
                        out, outOff, outW, res, resOff, c);
            }
        }
        if (c < channels) {
            ScalarKernels.depthwiseChannels(in, rowOff, inW, channels, kernel, stride, dilation, padLeft, w, bias,
                    lo, hi, out, outOff, outW, res, resOff, c, channels);
        }
    }

    /** 3×3 taps of channels [c, c + L) along a row, the nine weight vectors held in registers. */
    private static void depthwise3(float[] in, int[] rowOff, int inW, int channels, int stride, int dilation,
                                   int padLeft, float[] w, float[] bias, FloatVector vlo, FloatVector vhi,
                                   float[] out, int outOff, int outW, float[] res, int resOff, int c) {
        FloatVector w00 = FloatVector.fromArray(S, w, c);
        FloatVector w01 = FloatVector.fromArray(S, w, channels + c);
        FloatVector w02 = FloatVector.fromArray(S, w, 2 * channels + c);
        FloatVector w10 = FloatVector.fromArray(S, w, 3 * channels + c);
        FloatVector w11 = FloatVector.fromArray(S, w, 4 * channels + c);
        FloatVector w12 = FloatVector.fromArray(S, w, 5 * channels + c);
        FloatVector w20 = FloatVector.fromArray(S, w, 6 * channels + c);
        FloatVector w21 = FloatVector.fromArray(S, w, 7 * channels + c);
        FloatVector w22 = FloatVector.fromArray(S, w, 8 * channels + c);
        FloatVector b = FloatVector.fromArray(S, bias, c);
        int r0 = rowOff[0] + c;
        int r1 = rowOff[1] + c;
        int r2 = rowOff[2] + c;
        for (int ox = 0; ox < outW; ox++) {
            int x0 = ox * stride - padLeft;
            FloatVector acc = b;
            if (rowOff[0] >= 0) acc = row3(acc, in, r0, x0, dilation, inW, channels, w00, w01, w02);
            if (rowOff[1] >= 0) acc = row3(acc, in, r1, x0, dilation, inW, channels, w10, w11, w12);
            if (rowOff[2] >= 0) acc = row3(acc, in, r2, x0, dilation, inW, channels, w20, w21, w22);
            store(acc, vlo, vhi, out, outOff + ox * channels + c, res, resOff + ox * channels + c);
        }
    }

    private static FloatVector row3(FloatVector acc, float[] in, int row, int x0, int dilation, int inW,
                                    int channels, FloatVector wa, FloatVector wb, FloatVector wc) {
        if (x0 >= 0 && x0 < inW) acc = FloatVector.fromArray(S, in, row + x0 * channels).fma(wa, acc);
        int x1 = x0 + dilation;
        if (x1 >= 0 && x1 < inW) acc = FloatVector.fromArray(S, in, row + x1 * channels).fma(wb, acc);
        int x2 = x1 + dilation;
        if (x2 >= 0 && x2 < inW) acc = FloatVector.fromArray(S, in, row + x2 * channels).fma(wc, acc);
        return acc;
    }

    private static void depthwiseAny(float[] in, int[] rowOff, int inW, int channels, int kernel, int stride,
                                     int dilation, int padLeft, float[] w, float[] bias, FloatVector vlo,
                                     FloatVector vhi, float[] out, int outOff, int outW, float[] res, int resOff,
                                     int c) {
        FloatVector b = FloatVector.fromArray(S, bias, c);
        for (int ox = 0; ox < outW; ox++) {
            int x0 = ox * stride - padLeft;
            FloatVector acc = b;
            for (int ky = 0; ky < kernel; ky++) {
                if (rowOff[ky] < 0) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int ix = x0 + kx * dilation;
                    if (ix < 0 || ix >= inW) continue;
                    FloatVector x = FloatVector.fromArray(S, in, rowOff[ky] + ix * channels + c);
                    acc = x.fma(FloatVector.fromArray(S, w, (ky * kernel + kx) * channels + c), acc);
                }
            }
            store(acc, vlo, vhi, out, outOff + ox * channels + c, res, resOff + ox * channels + c);
        }
    }

    @Override
    public void globalAveragePool(float[] in, int inOff, int positions, int channels, float[] out, int outOff) {
        float scale = 1f / positions;
        int c = 0;
        for (; c + L <= channels; c += L) {
            FloatVector sum = FloatVector.zero(S);
            for (int p = 0; p < positions; p++) {
                sum = sum.add(FloatVector.fromArray(S, in, inOff + p * channels + c));
            }
            sum.mul(scale).intoArray(out, outOff + c);
        }
        if (c < channels) {
            ScalarKernels.poolChannels(in, inOff, positions, channels, out, outOff, c, channels);
        }
    }

    /** Clamp to [lo, hi], add the residual if any, store. */
    private static void store(FloatVector acc, FloatVector vlo, FloatVector vhi, float[] out, int off,
                              float[] res, int resOff) {
        FloatVector v = acc.max(vlo).min(vhi);
        if (res != null) {
            v = v.add(FloatVector.fromArray(S, res, resOff));
        }
        v.intoArray(out, off);
    }
}
