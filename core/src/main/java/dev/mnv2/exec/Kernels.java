package dev.mnv2.exec;

import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;

/**
 * The execution kernels, one place each. Activations are one image, NHWC, at an offset in a float array.
 * Convolutions run batch-norm-folded layers: bias and activation are fused, and an optional residual is
 * added after the activation (x + F(x), as the inverted residual block does).
 */
final class Kernels {
    private Kernels() {}

    /** Direct convolution of any kernel, stride, dilation, padding and group count. */
    static void conv2d(Conv2d conv, float[] in, int inOff, Shape inShape, float[] out, int outOff,
                       float[] residual, int residualOff) {
        int inH = inShape.height();
        int inW = inShape.width();
        int inC = inShape.channels();
        int outC = conv.outChannels();
        int k = conv.kernel();
        int stride = conv.stride();
        int dilation = conv.dilation();
        Padding.Axis rows = conv.resolve(inH);
        Padding.Axis cols = conv.resolve(inW);
        int outH = rows.output();
        int outW = cols.output();
        int inPerGroup = conv.inPerGroup();
        int outPerGroup = outC / conv.groups();
        float[] w = conv.weight();
        float[] bias = conv.bias();
        float lo = conv.activation().min();
        float hi = conv.activation().max();
        boolean depthwise = conv.isDepthwise();
        float[] acc = new float[outC];
        for (int oy = 0; oy < outH; oy++) {
            for (int ox = 0; ox < outW; ox++) {
                if (bias != null) {
                    System.arraycopy(bias, 0, acc, 0, outC);
                } else {
                    java.util.Arrays.fill(acc, 0f);
                }
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * stride - rows.before() + ky * dilation;
                    if (iy < 0 || iy >= inH) continue;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ox * stride - cols.before() + kx * dilation;
                        if (ix < 0 || ix >= inW) continue;
                        int src = inOff + (iy * inW + ix) * inC;
                        int tap = (ky * k + kx) * inPerGroup * outC;
                        if (depthwise) {
                            for (int c = 0; c < outC; c++) {
                                acc[c] += in[src + c] * w[tap + c];
                            }
                        } else {
                            for (int o = 0; o < outC; o++) {
                                int group = o / outPerGroup;
                                int base = src + group * inPerGroup;
                                float sum = 0f;
                                for (int ci = 0; ci < inPerGroup; ci++) {
                                    sum += in[base + ci] * w[tap + ci * outC + o];
                                }
                                acc[o] += sum;
                            }
                        }
                    }
                }
                int dst = outOff + (oy * outW + ox) * outC;
                for (int o = 0; o < outC; o++) {
                    float v = Math.min(Math.max(acc[o], lo), hi);
                    out[dst + o] = residual == null ? v : v + residual[residualOff + (oy * outW + ox) * outC + o];
                }
            }
        }
    }

    /** Mean over the spatial positions of an H×W×C activation. */
    static void globalAveragePool(float[] in, int inOff, Shape inShape, float[] out, int outOff) {
        int c = inShape.channels();
        int positions = inShape.height() * inShape.width();
        for (int ch = 0; ch < c; ch++) {
            out[outOff + ch] = 0f;
        }
        for (int p = 0; p < positions; p++) {
            int src = inOff + p * c;
            for (int ch = 0; ch < c; ch++) {
                out[outOff + ch] += in[src + ch];
            }
        }
        float scale = 1f / positions;
        for (int ch = 0; ch < c; ch++) {
            out[outOff + ch] *= scale;
        }
    }

    /** out = in · W + b with W stored {@code [in][out]}. */
    static void dense(float[] weight, float[] bias, int inFeatures, float[] in, int inOff, float[] out, int outOff) {
        int outFeatures = bias.length;
        System.arraycopy(bias, 0, out, outOff, outFeatures);
        for (int i = 0; i < inFeatures; i++) {
            float x = in[inOff + i];
            int row = i * outFeatures;
            for (int o = 0; o < outFeatures; o++) {
                out[outOff + o] += x * weight[row + o];
            }
        }
    }

    /** Numerically stable softmax of {@code length} values, in place. */
    static void softmax(float[] values, int off, int length) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, values[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < length; i++) {
            float e = (float) Math.exp(values[off + i] - max);
            values[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < length; i++) {
            values[off + i] *= inv;
        }
    }
}
