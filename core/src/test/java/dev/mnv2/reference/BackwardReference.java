package dev.mnv2.reference;

import dev.mnv2.model.Padding;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Naive float64 references of the training operators, forward and backward, written from the definitions
 * like {@link Reference}: every backward is the adjoint of its forward's loops (each forward term
 * {@code y += a·b} gives {@code da += dy·b}), indices computed from the geometry, never through the model
 * classes' helpers. Batch norm's backward multiplies by its Jacobian written out element by element, so it
 * shares no algebra with the fast kernel's closed form. The fast backward kernels are tested against these,
 * and these against finite differences of their own forwards.
 *
 * <p>Layouts: NHWC activations; convolution weights HWIO {@code [kernel][kernel][in / groups][out]}, output
 * channel o in group {@code o / (out / groups)}; dense weights {@code [in][out]}.
 */
public final class BackwardReference {
    private BackwardReference() {}

    /** Input and weight gradients of a convolution. */
    public record ConvGradients(DoubleTensor input, double[] weight) {}

    /** Input, γ and β gradients of a batch norm. */
    public record BatchNormGradients(DoubleTensor input, double[] gamma, double[] beta) {}

    /** Input, weight and bias gradients of a dense layer. */
    public record DenseGradients(DoubleTensor input, double[] weight, double[] bias) {}

    /** The geometry of a convolution on one input size: output size and padding before, per axis. */
    private record Geometry(int outH, int outW, int padTop, int padLeft) {
        static Geometry of(Shape in, int kernel, int stride, int dilation, Padding padding) {
            return new Geometry(Reference.outSize(in.height(), kernel, stride, dilation, padding),
                    Reference.outSize(in.width(), kernel, stride, dilation, padding),
                    Reference.padBefore(in.height(), kernel, stride, dilation, padding),
                    Reference.padBefore(in.width(), kernel, stride, dilation, padding));
        }
    }

    public static DoubleTensor convolve(DoubleTensor x, double[] w, int kernel, int stride, int dilation, int groups,
                                        int outC, Padding padding) {
        Geometry g = Geometry.of(x.shape(), kernel, stride, dilation, padding);
        DoubleTensor y = DoubleTensor.zeros(x.batch(), new Shape(g.outH, g.outW, outC));
        walkConvolution(x.shape(), x.batch(), kernel, stride, dilation, groups, outC, g,
                (n, oy, ox, o, iy, ix, ci, wi) -> y.add(n, oy, ox, o, w[wi] * x.get(n, iy, ix, ci)));
        return y;
    }

    /** The adjoint of {@link #convolve}: every product {@code y += w·x} sends {@code dy·w} to x and {@code dy·x} to w. */
    public static ConvGradients convolveBackward(DoubleTensor x, double[] w, DoubleTensor dy, int kernel, int stride,
                                                 int dilation, int groups, int outC, Padding padding) {
        Geometry g = Geometry.of(x.shape(), kernel, stride, dilation, padding);
        DoubleTensor dx = DoubleTensor.zeros(x.batch(), x.shape());
        double[] dw = new double[w.length];
        walkConvolution(x.shape(), x.batch(), kernel, stride, dilation, groups, outC, g,
                (n, oy, ox, o, iy, ix, ci, wi) -> {
                    double gradient = dy.get(n, oy, ox, o);
                    dx.add(n, iy, ix, ci, gradient * w[wi]);
                    dw[wi] += gradient * x.get(n, iy, ix, ci);
                });
        return new ConvGradients(dx, dw);
    }

    /** One term of a convolution: output (n, oy, ox, o) gets input (n, iy, ix, ci) times weight wi. */
    private interface Term {
        void apply(int n, int oy, int ox, int o, int iy, int ix, int ci, int wi);
    }

    private static void walkConvolution(Shape in, int batch, int kernel, int stride, int dilation, int groups,
                                        int outC, Geometry g, Term term) {
        int inPerGroup = in.channels() / groups;
        int outPerGroup = outC / groups;
        for (int n = 0; n < batch; n++) {
            for (int oy = 0; oy < g.outH; oy++) {
                for (int ox = 0; ox < g.outW; ox++) {
                    for (int o = 0; o < outC; o++) {
                        int group = o / outPerGroup;
                        for (int ky = 0; ky < kernel; ky++) {
                            for (int kx = 0; kx < kernel; kx++) {
                                int iy = oy * stride + ky * dilation - g.padTop;
                                int ix = ox * stride + kx * dilation - g.padLeft;
                                if (iy < 0 || ix < 0 || iy >= in.height() || ix >= in.width()) {
                                    continue;
                                }
                                for (int ci = 0; ci < inPerGroup; ci++) {
                                    term.apply(n, oy, ox, o, iy, ix, group * inPerGroup + ci,
                                            ((ky * kernel + kx) * inPerGroup + ci) * outC + o);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** The gradient of a per-channel bias: {@code dy} summed over images and pixels. */
    public static double[] biasGradient(DoubleTensor dy) {
        double[] db = new double[dy.channels()];
        for (int i = 0; i < dy.data().length; i++) {
            db[i % dy.channels()] += dy.data()[i];
        }
        return db;
    }

    public static DoubleTensor addBias(DoubleTensor x, double[] bias) {
        double[] y = x.data().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] += bias[i % x.channels()];
        }
        return new DoubleTensor(x.batch(), x.shape(), y);
    }

    /** Mean of each channel over all images and pixels. */
    public static double[] batchMean(DoubleTensor x) {
        int m = x.data().length / x.channels();
        double[] mean = new double[x.channels()];
        for (int i = 0; i < x.data().length; i++) {
            mean[i % x.channels()] += x.data()[i] / m;
        }
        return mean;
    }

    /** Biased variance of each channel over all images and pixels (what training-mode batch norm divides by). */
    public static double[] batchVariance(DoubleTensor x) {
        int m = x.data().length / x.channels();
        double[] mean = batchMean(x);
        double[] variance = new double[x.channels()];
        for (int i = 0; i < x.data().length; i++) {
            double d = x.data()[i] - mean[i % x.channels()];
            variance[i % x.channels()] += d * d / m;
        }
        return variance;
    }

    /** Training-mode batch norm: {@code γ·(x − mean)/√(var + ε) + β} with the batch's mean and biased variance. */
    public static DoubleTensor batchNormTraining(DoubleTensor x, double[] gamma, double[] beta, double epsilon) {
        double[] mean = batchMean(x);
        double[] variance = batchVariance(x);
        double[] y = new double[x.data().length];
        for (int i = 0; i < y.length; i++) {
            int c = i % x.channels();
            y[i] = gamma[c] * (x.data()[i] - mean[c]) / Math.sqrt(variance[c] + epsilon) + beta[c];
        }
        return new DoubleTensor(x.batch(), x.shape(), y);
    }

    /**
     * The backward of {@link #batchNormTraining} by its Jacobian: within a channel of m values,
     * {@code ∂y_j/∂x_i = γ/σ·([i = j] − 1/m − x̂_i·x̂_j/m)}, so {@code dx_i = Σ_j dy_j·∂y_j/∂x_i};
     * {@code dγ = Σ dy·x̂}, {@code dβ = Σ dy}.
     */
    public static BatchNormGradients batchNormTrainingBackward(DoubleTensor x, double[] gamma, double epsilon,
                                                               DoubleTensor dy) {
        int channels = x.channels();
        int m = x.data().length / channels;
        double[] mean = batchMean(x);
        double[] variance = batchVariance(x);
        double[] dx = new double[x.data().length];
        double[] dGamma = new double[channels];
        double[] dBeta = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sigma = Math.sqrt(variance[c] + epsilon);
            double[] normalised = new double[m];
            for (int i = 0; i < m; i++) {
                normalised[i] = (x.data()[i * channels + c] - mean[c]) / sigma;
            }
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int j = 0; j < m; j++) {
                    double jacobian = gamma[c] / sigma * ((i == j ? 1 : 0) - 1.0 / m - normalised[i] * normalised[j] / m);
                    sum += dy.data()[j * channels + c] * jacobian;
                }
                dx[i * channels + c] = sum;
                dGamma[c] += dy.data()[i * channels + c] * normalised[i];
                dBeta[c] += dy.data()[i * channels + c];
            }
        }
        return new BatchNormGradients(new DoubleTensor(x.batch(), x.shape(), dx), dGamma, dBeta);
    }

    /** {@code min(max(x, lo), hi)} element-wise (ReLU6: lo 0, hi 6). */
    public static DoubleTensor clamp(DoubleTensor x, double lo, double hi) {
        double[] y = x.data().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.min(Math.max(y[i], lo), hi);
        }
        return new DoubleTensor(x.batch(), x.shape(), y);
    }

    /** The clamp's derivative is 1 strictly inside (lo, hi), 0 outside and at the bounds (PyTorch's hardtanh). */
    public static DoubleTensor clampBackward(DoubleTensor x, double lo, double hi, DoubleTensor dy) {
        double[] dx = new double[dy.data().length];
        for (int i = 0; i < dx.length; i++) {
            dx[i] = x.data()[i] > lo && x.data()[i] < hi ? dy.data()[i] : 0;
        }
        return new DoubleTensor(x.batch(), x.shape(), dx);
    }

    public static DoubleTensor add(DoubleTensor a, DoubleTensor b) {
        double[] y = a.data().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] += b.data()[i];
        }
        return new DoubleTensor(a.batch(), a.shape(), y);
    }

    public static DoubleTensor concat(List<DoubleTensor> inputs) {
        DoubleTensor first = inputs.get(0);
        int channels = inputs.stream().mapToInt(DoubleTensor::channels).sum();
        DoubleTensor y = DoubleTensor.zeros(first.batch(), new Shape(first.height(), first.width(), channels));
        for (int n = 0; n < first.batch(); n++) {
            for (int yy = 0; yy < first.height(); yy++) {
                for (int xx = 0; xx < first.width(); xx++) {
                    int c = 0;
                    for (DoubleTensor t : inputs) {
                        for (int i = 0; i < t.channels(); i++, c++) {
                            y.add(n, yy, xx, c, t.get(n, yy, xx, i));
                        }
                    }
                }
            }
        }
        return y;
    }

    /** The backward of {@link #concat}: each input gets its own channels of {@code dy}. */
    public static List<DoubleTensor> concatBackward(DoubleTensor dy, int[] channels) {
        List<DoubleTensor> out = new ArrayList<>();
        int at = 0;
        for (int count : channels) {
            DoubleTensor d = DoubleTensor.zeros(dy.batch(), new Shape(dy.height(), dy.width(), count));
            for (int n = 0; n < dy.batch(); n++) {
                for (int yy = 0; yy < dy.height(); yy++) {
                    for (int xx = 0; xx < dy.width(); xx++) {
                        for (int i = 0; i < count; i++) {
                            d.add(n, yy, xx, i, dy.get(n, yy, xx, at + i));
                        }
                    }
                }
            }
            out.add(d);
            at += count;
        }
        return out;
    }

    /** TensorFlow's average pool: each window's mean over the taps inside the input. */
    public static DoubleTensor averagePool(DoubleTensor x, int kernelH, int kernelW, int stride, Padding padding) {
        Geometry rows = Geometry.of(new Shape(x.height(), 1, 1), kernelH, stride, 1, padding);
        Geometry cols = Geometry.of(new Shape(x.width(), 1, 1), kernelW, stride, 1, padding);
        DoubleTensor y = DoubleTensor.zeros(x.batch(), new Shape(rows.outH, cols.outH, x.channels()));
        walkPool(x.shape(), x.batch(), kernelH, kernelW, stride, rows.padTop, cols.padTop, rows.outH, cols.outH,
                (n, oy, ox, iy, ix, count) -> {
                    for (int c = 0; c < x.channels(); c++) {
                        y.add(n, oy, ox, c, x.get(n, iy, ix, c) / count);
                    }
                });
        return y;
    }

    /** The adjoint of {@link #averagePool}: each tap inside a window gets the window's gradient over its count. */
    public static DoubleTensor averagePoolBackward(DoubleTensor x, int kernelH, int kernelW, int stride, Padding padding,
                                                   DoubleTensor dy) {
        Geometry rows = Geometry.of(new Shape(x.height(), 1, 1), kernelH, stride, 1, padding);
        Geometry cols = Geometry.of(new Shape(x.width(), 1, 1), kernelW, stride, 1, padding);
        DoubleTensor dx = DoubleTensor.zeros(x.batch(), x.shape());
        walkPool(x.shape(), x.batch(), kernelH, kernelW, stride, rows.padTop, cols.padTop, rows.outH, cols.outH,
                (n, oy, ox, iy, ix, count) -> {
                    for (int c = 0; c < x.channels(); c++) {
                        dx.add(n, iy, ix, c, dy.get(n, oy, ox, c) / count);
                    }
                });
        return dx;
    }

    private interface PoolTerm {
        void apply(int n, int oy, int ox, int iy, int ix, int count);
    }

    private static void walkPool(Shape in, int batch, int kernelH, int kernelW, int stride, int padTop, int padLeft,
                                 int outH, int outW, PoolTerm term) {
        for (int n = 0; n < batch; n++) {
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int count = 0;
                    for (int pass = 0; pass < 2; pass++) {
                        for (int ky = 0; ky < kernelH; ky++) {
                            for (int kx = 0; kx < kernelW; kx++) {
                                int iy = oy * stride + ky - padTop;
                                int ix = ox * stride + kx - padLeft;
                                if (iy < 0 || ix < 0 || iy >= in.height() || ix >= in.width()) continue;
                                if (pass == 0) {
                                    count++;
                                } else {
                                    term.apply(n, oy, ox, iy, ix, count);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** A global average pool is the average pool whose one window is the whole input. */
    public static DoubleTensor globalAveragePool(DoubleTensor x) {
        return averagePool(x, x.height(), x.width(), 1, Padding.valid());
    }

    public static DoubleTensor globalAveragePoolBackward(DoubleTensor x, DoubleTensor dy) {
        return averagePoolBackward(x, x.height(), x.width(), 1, Padding.valid(), dy);
    }

    /**
     * Bilinear resize with TFLite's conventions ({@link GraphReference#resizeBilinear}); the source coordinates
     * are computed in float as TFLite does, the interpolation in double.
     */
    public static DoubleTensor resizeBilinear(DoubleTensor x, ResizeBilinear resize) {
        DoubleTensor y = DoubleTensor.zeros(x.batch(), new Shape(resize.height(), resize.width(), x.channels()));
        walkResize(x, resize, (n, oy, ox, iy, ix, weight) -> {
            for (int c = 0; c < x.channels(); c++) {
                y.add(n, oy, ox, c, weight * x.get(n, iy, ix, c));
            }
        });
        return y;
    }

    /** The adjoint of {@link #resizeBilinear}: each output's gradient goes to its four taps with their weights. */
    public static DoubleTensor resizeBilinearBackward(DoubleTensor x, ResizeBilinear resize, DoubleTensor dy) {
        DoubleTensor dx = DoubleTensor.zeros(x.batch(), x.shape());
        walkResize(x, resize, (n, oy, ox, iy, ix, weight) -> {
            for (int c = 0; c < x.channels(); c++) {
                dx.add(n, iy, ix, c, weight * dy.get(n, oy, ox, c));
            }
        });
        return dx;
    }

    private interface ResizeTerm {
        void apply(int n, int oy, int ox, int iy, int ix, double weight);
    }

    private static void walkResize(DoubleTensor x, ResizeBilinear resize, ResizeTerm term) {
        int inH = x.height();
        int inW = x.width();
        int outH = resize.height();
        int outW = resize.width();
        float scaleY = resize.alignCorners() && outH > 1 ? (inH - 1) / (float) (outH - 1) : inH / (float) outH;
        float scaleX = resize.alignCorners() && outW > 1 ? (inW - 1) / (float) (outW - 1) : inW / (float) outW;
        for (int n = 0; n < x.batch(); n++) {
            for (int oy = 0; oy < outH; oy++) {
                float inY = resize.halfPixelCenters() ? (oy + 0.5f) * scaleY - 0.5f : oy * scaleY;
                int y0 = Math.max((int) Math.floor(inY), 0);
                int y1 = Math.min((int) Math.ceil(inY), inH - 1);
                double fy = inY - y0;
                for (int ox = 0; ox < outW; ox++) {
                    float inX = resize.halfPixelCenters() ? (ox + 0.5f) * scaleX - 0.5f : ox * scaleX;
                    int x0 = Math.max((int) Math.floor(inX), 0);
                    int x1 = Math.min((int) Math.ceil(inX), inW - 1);
                    double fx = inX - x0;
                    term.apply(n, oy, ox, y0, x0, (1 - fy) * (1 - fx));
                    term.apply(n, oy, ox, y1, x0, fy * (1 - fx));
                    term.apply(n, oy, ox, y0, x1, (1 - fy) * fx);
                    term.apply(n, oy, ox, y1, x1, fy * fx);
                }
            }
        }
    }

    /** Dense layer {@code y = x·W + b} with {@code W} {@code [in][out]}, each image's values its features. */
    public static DoubleTensor dense(DoubleTensor x, double[] w, double[] b, int out) {
        int in = (int) x.shape().elements();
        DoubleTensor y = DoubleTensor.zeros(x.batch(), new Shape(1, 1, out));
        for (int n = 0; n < x.batch(); n++) {
            for (int o = 0; o < out; o++) {
                double sum = b[o];
                for (int i = 0; i < in; i++) {
                    sum += x.data()[n * in + i] * w[i * out + o];
                }
                y.data()[n * out + o] = sum;
            }
        }
        return y;
    }

    public static DenseGradients denseBackward(DoubleTensor x, double[] w, DoubleTensor dy) {
        int in = (int) x.shape().elements();
        int out = dy.channels();
        double[] dx = new double[x.data().length];
        double[] dw = new double[w.length];
        double[] db = new double[out];
        for (int n = 0; n < x.batch(); n++) {
            for (int o = 0; o < out; o++) {
                double gradient = dy.data()[n * out + o];
                db[o] += gradient;
                for (int i = 0; i < in; i++) {
                    dx[n * in + i] += gradient * w[i * out + o];
                    dw[i * out + o] += gradient * x.data()[n * in + i];
                }
            }
        }
        return new DenseGradients(new DoubleTensor(x.batch(), x.shape(), dx), dw, db);
    }

    /** Inverted dropout with a given mask of 0 and {@code 1/(1 − rate)}: {@code y = x·mask}. */
    public static DoubleTensor dropout(DoubleTensor x, double[] mask) {
        double[] y = x.data().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] *= mask[i];
        }
        return new DoubleTensor(x.batch(), x.shape(), y);
    }

    /** The backward of {@link #dropout}: the same mask on the gradient. */
    public static DoubleTensor dropoutBackward(DoubleTensor dy, double[] mask) {
        return dropout(dy, mask);
    }
}
