package dev.mnv2.reference;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Activation;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.model.Shortcut;
import java.util.ArrayList;
import java.util.List;

/**
 * MobileNetV2 written from the paper (Sandler et al., 2018) and the reference implementation's conventions
 * alone, to test the network the code builds and runs: its own copy of Table 2, its own channel rounding,
 * stride and shortcut rules, torchvision's module names, and the HWIO weight layout read directly. Of the
 * network under test it uses only the configuration's knobs and the parameter arrays, by name.
 */
public final class ReferenceMobileNetV2 {
    private ReferenceMobileNetV2() {}

    /** Table 2's bottleneck rows {t, c, n, s}, between the 3×3 stem (32 channels, stride 2) and the last 1×1 conv. */
    static final int[][] BOTTLENECKS = {
        {1, 16, 1, 1},
        {6, 24, 2, 2},
        {6, 32, 3, 2},
        {6, 64, 4, 2},
        {6, 96, 3, 1},
        {6, 160, 3, 2},
        {6, 320, 1, 1}};
    static final int STEM_CHANNELS = 32;
    static final int STEM_STRIDE = 2;
    static final int LAST_CHANNELS = 1280;

    /** One convolution followed by batch norm and {@code activation}, named as torchvision names it. */
    public record Conv(String name, int in, int out, int kernel, int stride, int groups, Activation activation) {
        public long weights() {
            return (long) kernel * kernel * (in / groups) * out;
        }

        /** Weights plus batch norm's gamma and beta. */
        public long parameters() {
            return weights() + 2L * out;
        }

        public Shape output(Shape input, Padding padding) {
            Padding p = kernel == 1 ? Padding.valid() : padding;
            return new Shape(Reference.outSize(input.height(), kernel, stride, 1, p),
                    Reference.outSize(input.width(), kernel, stride, 1, p), out);
        }

        public long macs(Shape input, Padding padding) {
            Shape o = output(input, padding);
            return (long) o.height() * o.width() * kernel * kernel * (in / groups) * out;
        }
    }

    /** An inverted residual block and the shortcut the paper (or the ablation) gives it. */
    public record Block(String name, int expansion, int in, int out, int stride, boolean bottleneckResidual,
                        boolean expansionResidual, Activation projection) {
        public int hidden() {
            return in * expansion;
        }

        /** The 1×1 expansion, or null when t = 1 (torchvision then has no such module). */
        public Conv expand() {
            return expansion == 1 ? null : new Conv(name + ".conv.0.0", in, hidden(), 1, 1, 1, Activation.RELU6);
        }

        public Conv depthwise() {
            String part = expansion == 1 ? ".conv.0.0" : ".conv.1.0";
            return new Conv(name + part, hidden(), hidden(), 3, stride, hidden(), Activation.RELU6);
        }

        public Conv project() {
            return new Conv(name + (expansion == 1 ? ".conv.1" : ".conv.2"), hidden(), out, 1, 1, 1, projection);
        }

        public List<Conv> convs() {
            List<Conv> convs = new ArrayList<>();
            if (expand() != null) convs.add(expand());
            convs.add(depthwise());
            convs.add(project());
            return convs;
        }
    }

    /** The layers of one configuration, in order; the classifier is {@code classifier.1}, [last][classes]. */
    public record Architecture(Conv stem, List<Block> blocks, Conv last, int classes, Padding padding,
                               Shape input) {
        /**
         * Shapes, parameters (with batch norm's gamma and beta, and without) and multiply-accumulates of every
         * layer that has parameters, counted from this walk.
         */
        public List<LayerCount> counts() {
            List<LayerCount> counts = new ArrayList<>();
            Shape shape = input;
            shape = count(stem.name(), List.of(stem), shape, counts);
            for (Block b : blocks) {
                shape = count(b.name(), b.convs(), shape, counts);
            }
            shape = count(last.name(), List.of(last), shape, counts);
            long fc = (long) shape.channels() * classes;
            counts.add(new LayerCount("classifier.1", new Shape(1, 1, classes), fc + classes, fc + classes, fc));
            return counts;
        }

        private Shape count(String name, List<Conv> convs, Shape shape, List<LayerCount> counts) {
            long params = 0;
            long weights = 0;
            long macs = 0;
            for (Conv c : convs) {
                params += c.parameters();
                weights += c.weights();
                macs += c.macs(shape, padding);
                shape = c.output(shape, padding);
            }
            counts.add(new LayerCount(name, shape, params, weights, macs));
            return shape;
        }
    }

    /** One layer's output shape (one image), parameters with and without batch norm, and MACs. */
    public record LayerCount(String name, Shape output, long parameters, long parametersWithoutBatchNorm,
                             long macs) {}

    /** make_divisible of the reference implementation: nearest multiple of 8, at least 8, never below 90 %. */
    static int roundChannels(double channels) {
        int rounded = Math.max(8, (int) Math.floor(channels / 8 + 0.5) * 8);
        return rounded < 0.9 * channels ? rounded + 8 : rounded;
    }

    public static Architecture architecture(MobileNetV2Config config) {
        double alpha = config.width();
        int in = roundChannels(STEM_CHANNELS * alpha);
        Conv stem = new Conv("features.0.0", 3, in, 3, STEM_STRIDE, 1, Activation.RELU6);
        List<Block> blocks = new ArrayList<>();
        int index = 1;
        for (int[] row : BOTTLENECKS) {
            int t = row[0] != 1 && config.expansion() > 0 ? config.expansion() : row[0];
            int out = roundChannels(row[1] * alpha);
            for (int i = 0; i < row[2]; i++) {
                int stride = i == 0 ? row[3] : 1;
                boolean bottleneck = config.shortcut() == Shortcut.BOTTLENECK && stride == 1 && in == out;
                boolean expansion = config.shortcut() == Shortcut.EXPANSION && stride == 1;
                blocks.add(new Block("features." + index++, t, in, out, stride, bottleneck, expansion,
                        config.bottleneckActivation()));
                in = out;
            }
        }
        // The last conv does not shrink below 1280 for alpha < 1.
        int lastChannels = alpha > 1 ? roundChannels(LAST_CHANNELS * alpha) : LAST_CHANNELS;
        Conv last = new Conv("features." + index + ".0", in, lastChannels, 1, 1, 1, Activation.RELU6);
        return new Architecture(stem, List.copyOf(blocks), last, config.classes(), config.padding(),
                new Shape(config.inputHeight(), config.inputWidth(), 3));
    }

    /** Logits (batch × 1 × 1 × classes) of {@code network}'s parameters run through the reference walk. */
    public static Tensor forward(Network network, Tensor x) {
        if (!(network.config() instanceof MobileNetV2Config config)) {
            throw new IllegalArgumentException("not a MobileNetV2: " + network.config());
        }
        Architecture a = architecture(config);
        NamedParameters parameters = new NamedParameters(network);
        double eps = config.batchNormEpsilon();
        Tensor y = conv(a.stem(), parameters, x, a.padding(), eps);
        for (Block b : a.blocks()) {
            Tensor expanded = b.expand() == null ? y : conv(b.expand(), parameters, y, a.padding(), eps);
            Tensor depth = conv(b.depthwise(), parameters, expanded, a.padding(), eps);
            if (b.expansionResidual()) {
                depth = Reference.add(depth, expanded);
            }
            Tensor out = conv(b.project(), parameters, depth, a.padding(), eps);
            y = b.bottleneckResidual() ? Reference.add(out, y) : out;
        }
        y = conv(a.last(), parameters, y, a.padding(), eps);
        y = Reference.globalAveragePool(y);
        Dense fc = parameters.dense("classifier.1");
        return Reference.dense(y, fc.weight(), fc.bias(), a.classes());
    }

    /** One conv with its batch norm (or, as imported files have them, its bias) and activation. */
    static Tensor conv(Conv spec, NamedParameters parameters, Tensor x, Padding padding, double eps) {
        Conv2d layer = parameters.conv(spec.name(), spec.weights());
        Tensor y = Reference.convolve(x, layer.weight(), spec.kernel(), spec.stride(), 1, spec.groups(), spec.out(),
                spec.kernel() == 1 ? Padding.valid() : padding);
        if (layer.bias() != null) {
            y = Reference.addBias(y, layer.bias());
        }
        if (layer.batchNorm() != null) {
            y = Reference.batchNorm(y, layer.batchNorm(), eps);
        }
        return Reference.activate(y, spec.activation());
    }
}
