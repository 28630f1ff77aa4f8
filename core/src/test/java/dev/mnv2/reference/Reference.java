package dev.mnv2.reference;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Activation;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;

/**
 * Naive reference operators, written for obviousness rather than speed: every index computed from the
 * definitions, batch norm applied as its own step (never folded), doubles for accumulation. Every fast
 * path in the project is tested against these.
 */
public final class Reference {
    private Reference() {}

    /** Padding before the first row for TF SAME, from its definition, or the explicit amount. */
    static int padBefore(Conv2d conv, int in) {
        if (!conv.padding().tensorflowSame()) {
            return conv.padding().explicit();
        }
        int out = (int) Math.ceil(in / (double) conv.stride());
        int needed = (out - 1) * conv.stride() + (conv.kernel() - 1) * conv.dilation() + 1;
        return Math.max(needed - in, 0) / 2;
    }

    static int outSize(Conv2d conv, int in) {
        if (conv.padding().tensorflowSame()) {
            return (int) Math.ceil(in / (double) conv.stride());
        }
        int p = conv.padding().explicit();
        return (in + 2 * p - (conv.kernel() - 1) * conv.dilation() - 1) / conv.stride() + 1;
    }

    /** Convolution only (no bias, batch norm or activation). */
    public static Tensor convolve(Conv2d conv, Tensor x) {
        Shape s = x.shape();
        int outH = outSize(conv, s.height());
        int outW = outSize(conv, s.width());
        int padTop = padBefore(conv, s.height());
        int padLeft = padBefore(conv, s.width());
        int outC = conv.outChannels();
        int inPerGroup = conv.inChannels() / conv.groups();
        int outPerGroup = outC / conv.groups();
        Tensor y = Tensor.zeros(x.batch(), new Shape(outH, outW, outC));
        for (int n = 0; n < x.batch(); n++) {
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    for (int o = 0; o < outC; o++) {
                        int g = o / outPerGroup;
                        double sum = 0;
                        for (int ky = 0; ky < conv.kernel(); ky++) {
                            for (int kx = 0; kx < conv.kernel(); kx++) {
                                int iy = oy * conv.stride() + ky * conv.dilation() - padTop;
                                int ix = ox * conv.stride() + kx * conv.dilation() - padLeft;
                                if (iy < 0 || ix < 0 || iy >= s.height() || ix >= s.width()) {
                                    continue;
                                }
                                for (int ci = 0; ci < inPerGroup; ci++) {
                                    double w = conv.weight()[conv.weightIndex(ky, kx, ci, o)];
                                    sum += w * x.get(n, iy, ix, g * inPerGroup + ci);
                                }
                            }
                        }
                        y.data()[y.index(n, oy, ox, o)] = (float) sum;
                    }
                }
            }
        }
        return y;
    }

    public static Tensor addBias(Tensor x, float[] bias) {
        Tensor y = copy(x);
        int c = x.shape().channels();
        for (int i = 0; i < y.data().length; i++) {
            y.data()[i] += bias[i % c];
        }
        return y;
    }

    public static Tensor batchNorm(Tensor x, BatchNorm bn) {
        Tensor y = copy(x);
        int c = x.shape().channels();
        for (int i = 0; i < y.data().length; i++) {
            int ch = i % c;
            double normalised = (x.data()[i] - bn.mean()[ch]) / Math.sqrt(bn.variance()[ch] + (double) bn.epsilon());
            y.data()[i] = (float) (bn.gamma()[ch] * normalised + bn.beta()[ch]);
        }
        return y;
    }

    public static Tensor activate(Tensor x, Activation activation) {
        Tensor y = copy(x);
        for (int i = 0; i < y.data().length; i++) {
            float v = y.data()[i];
            y.data()[i] = switch (activation) {
                case IDENTITY -> v;
                case RELU -> v > 0 ? v : 0;
                case RELU6 -> v < 0 ? 0 : (v > 6 ? 6 : v);
            };
        }
        return y;
    }

    public static Tensor add(Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape()) || a.batch() != b.batch()) {
            throw new IllegalArgumentException("cannot add " + a.shape() + " and " + b.shape());
        }
        Tensor y = copy(a);
        for (int i = 0; i < y.data().length; i++) {
            y.data()[i] += b.data()[i];
        }
        return y;
    }

    /** Convolution, bias, batch norm, activation: the layer as defined, nothing folded. */
    public static Tensor conv2d(Conv2d conv, Tensor x) {
        Tensor y = convolve(conv, x);
        if (conv.bias() != null) {
            y = addBias(y, conv.bias());
        }
        if (conv.batchNorm() != null) {
            y = batchNorm(y, conv.batchNorm());
        }
        return activate(y, conv.activation());
    }

    public static Tensor invertedResidual(InvertedResidual block, Tensor x) {
        Tensor expanded = block.expand() == null ? x : conv2d(block.expand(), x);
        Tensor depth = conv2d(block.depthwise(), expanded);
        if (block.hasExpansionResidual()) {
            depth = add(depth, expanded);
        }
        Tensor out = conv2d(block.project(), depth);
        return block.hasBottleneckResidual() ? add(out, x) : out;
    }

    public static Tensor globalAveragePool(Tensor x) {
        Shape s = x.shape();
        Tensor y = Tensor.zeros(x.batch(), new Shape(1, 1, s.channels()));
        for (int n = 0; n < x.batch(); n++) {
            for (int c = 0; c < s.channels(); c++) {
                double sum = 0;
                for (int yy = 0; yy < s.height(); yy++) {
                    for (int xx = 0; xx < s.width(); xx++) {
                        sum += x.get(n, yy, xx, c);
                    }
                }
                y.data()[y.index(n, 0, 0, c)] = (float) (sum / (s.height() * s.width()));
            }
        }
        return y;
    }

    public static Tensor dense(Dense dense, Tensor x) {
        Tensor y = Tensor.zeros(x.batch(), new Shape(1, 1, dense.outFeatures()));
        for (int n = 0; n < x.batch(); n++) {
            for (int o = 0; o < dense.outFeatures(); o++) {
                double sum = dense.bias()[o];
                for (int i = 0; i < dense.inFeatures(); i++) {
                    sum += (double) dense.weight()[i * dense.outFeatures() + o] * x.data()[n * dense.inFeatures() + i];
                }
                y.data()[n * dense.outFeatures() + o] = (float) sum;
            }
        }
        return y;
    }

    public static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    public static Tensor layer(Layer layer, Tensor x) {
        if (layer instanceof Conv2d conv) return conv2d(conv, x);
        if (layer instanceof InvertedResidual block) return invertedResidual(block, x);
        if (layer instanceof GlobalAveragePool) return globalAveragePool(x);
        if (layer instanceof Dropout) return x;
        if (layer instanceof Dense dense) return dense(dense, x);
        throw new IllegalArgumentException("no reference for " + layer);
    }

    /** The whole network, layer by layer: logits of shape batch × 1 × 1 × classes. */
    public static Tensor forward(Network network, Tensor x) {
        Tensor y = x;
        for (Layer layer : network.layers()) {
            y = layer(layer, y);
        }
        return y;
    }

    private static Tensor copy(Tensor x) {
        return new Tensor(x.batch(), x.shape(), x.data().clone());
    }
}
