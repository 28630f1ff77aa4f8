package dev.mnv2.reference;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Activation;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.model.Shortcut;

/**
 * Naive reference operators, written for obviousness rather than speed: every index computed from the
 * definitions, batch norm applied as its own step (never folded), doubles for accumulation. Every fast
 * path in the project is tested against these; whole networks against {@link ReferenceMobileNetV2} and
 * {@link ReferenceMobileNetV1}, which build on them.
 *
 * <p>The operators take their geometry as arguments and read weights by the documented layouts
 * (convolutions HWIO {@code [kernel][kernel][in / groups][out]}, dense {@code [in][out]}), never through
 * the model classes' helpers. The {@link Conv2d} / {@link InvertedResidual} overloads run one layer as a test
 * built it, for the kernel and block tests.
 */
public final class Reference {
    private Reference() {}

    /** Output length along one axis: ceil(in / stride) for TF SAME, the usual formula for explicit padding. */
    public static int outSize(int in, int kernel, int stride, int dilation, Padding padding) {
        if (padding.tensorflowSame()) {
            return (int) Math.ceil(in / (double) stride);
        }
        int p = padding.explicit();
        return (in + 2 * p - (kernel - 1) * dilation - 1) / stride + 1;
    }

    /** Padding before the first row (column) for TF SAME, from its definition, or the explicit amount. */
    static int padBefore(int in, int kernel, int stride, int dilation, Padding padding) {
        if (!padding.tensorflowSame()) {
            return padding.explicit();
        }
        int out = outSize(in, kernel, stride, dilation, padding);
        int needed = (out - 1) * stride + (kernel - 1) * dilation + 1;
        return Math.max(needed - in, 0) / 2;
    }

    /**
     * Convolution only (no bias, batch norm or activation) of {@code x} with HWIO weights {@code w}:
     * tap (ky, kx), group-local input channel ci and output channel o at
     * {@code ((ky * kernel + kx) * (inC / groups) + ci) * outC + o}; output channel o belongs to group
     * {@code o / (outC / groups)}.
     */
    public static Tensor convolve(Tensor x, float[] w, int kernel, int stride, int dilation, int groups, int outC,
                                  Padding padding) {
        Shape s = x.shape();
        int inPerGroup = s.channels() / groups;
        int outPerGroup = outC / groups;
        if (w.length != kernel * kernel * inPerGroup * outC) {
            throw new AssertionError(w.length + " weights for a " + kernel + "x" + kernel + "x" + inPerGroup + "x"
                    + outC + " convolution");
        }
        int outH = outSize(s.height(), kernel, stride, dilation, padding);
        int outW = outSize(s.width(), kernel, stride, dilation, padding);
        int padTop = padBefore(s.height(), kernel, stride, dilation, padding);
        int padLeft = padBefore(s.width(), kernel, stride, dilation, padding);
        Tensor y = Tensor.zeros(x.batch(), new Shape(outH, outW, outC));
        for (int n = 0; n < x.batch(); n++) {
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    for (int o = 0; o < outC; o++) {
                        int g = o / outPerGroup;
                        double sum = 0;
                        for (int ky = 0; ky < kernel; ky++) {
                            for (int kx = 0; kx < kernel; kx++) {
                                int iy = oy * stride + ky * dilation - padTop;
                                int ix = ox * stride + kx * dilation - padLeft;
                                if (iy < 0 || ix < 0 || iy >= s.height() || ix >= s.width()) {
                                    continue;
                                }
                                for (int ci = 0; ci < inPerGroup; ci++) {
                                    double weight = w[((ky * kernel + kx) * inPerGroup + ci) * outC + o];
                                    sum += weight * x.get(n, iy, ix, g * inPerGroup + ci);
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

    /** gamma · (x − mean) / sqrt(variance + epsilon) + beta per channel. */
    public static Tensor batchNorm(Tensor x, float[] gamma, float[] beta, float[] mean, float[] variance,
                                   double epsilon) {
        Tensor y = copy(x);
        int c = x.shape().channels();
        for (int i = 0; i < y.data().length; i++) {
            int ch = i % c;
            double normalised = (x.data()[i] - mean[ch]) / Math.sqrt(variance[ch] + epsilon);
            y.data()[i] = (float) (gamma[ch] * normalised + beta[ch]);
        }
        return y;
    }

    public static Tensor batchNorm(Tensor x, BatchNorm bn, double epsilon) {
        return batchNorm(x, bn.gamma(), bn.beta(), bn.mean(), bn.variance(), epsilon);
    }

    /** The activation by its definition: ReLU6 is min(max(x, 0), 6) (paper §3). */
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

    /** Convolution, bias, batch norm, activation of one layer as a test built it, nothing folded. */
    public static Tensor conv2d(Conv2d conv, Tensor x) {
        Tensor y = convolve(x, conv.weight(), conv.kernel(), conv.stride(), conv.dilation(), conv.groups(),
                conv.outChannels(), conv.padding());
        if (conv.bias() != null) {
            y = addBias(y, conv.bias());
        }
        if (conv.batchNorm() != null) {
            y = batchNorm(y, conv.batchNorm(), conv.batchNorm().epsilon());
        }
        return activate(y, conv.activation());
    }

    /**
     * One block as a test built it, with the paper's shortcut rule applied here: the bottleneck residual
     * when the depthwise has stride 1 and input and output channels match, the expansion residual (Fig. 6b)
     * at every stride-1 block.
     */
    public static Tensor invertedResidual(InvertedResidual block, Tensor x) {
        Tensor expanded = block.expand() == null ? x : conv2d(block.expand(), x);
        Tensor depth = conv2d(block.depthwise(), expanded);
        boolean strideOne = block.depthwise().stride() == 1;
        if (block.shortcut() == Shortcut.EXPANSION && strideOne) {
            depth = add(depth, expanded);
        }
        Tensor out = conv2d(block.project(), depth);
        boolean sameChannels = x.shape().channels() == out.shape().channels();
        return block.shortcut() == Shortcut.BOTTLENECK && strideOne && sameChannels ? add(out, x) : out;
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

    /** Fully connected layer with weights {@code [in][out]} on a 1×1×in (or any in-element) activation. */
    public static Tensor dense(Tensor x, float[] weight, float[] bias, int out) {
        int in = x.imageSize();
        if (weight.length != in * out || bias.length != out) {
            throw new AssertionError(weight.length + " weights and " + bias.length + " biases for " + in + " -> "
                    + out + " features");
        }
        Tensor y = Tensor.zeros(x.batch(), new Shape(1, 1, out));
        for (int n = 0; n < x.batch(); n++) {
            for (int o = 0; o < out; o++) {
                double sum = bias[o];
                for (int i = 0; i < in; i++) {
                    sum += (double) weight[i * out + o] * x.data()[n * in + i];
                }
                y.data()[n * out + o] = (float) sum;
            }
        }
        return y;
    }

    public static Tensor dense(Dense dense, Tensor x) {
        return dense(x, dense.weight(), dense.bias(), dense.outFeatures());
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

    private static Tensor copy(Tensor x) {
        return new Tensor(x.batch(), x.shape(), x.data().clone());
    }
}
