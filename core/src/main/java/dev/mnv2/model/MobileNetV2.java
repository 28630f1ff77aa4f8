package dev.mnv2.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * MobileNetV2 as the paper's Table 2: every layer is expanded from one row of {@link #TABLE_2}.
 *
 * <pre>{@code
 * Network net = MobileNetV2.builder().width(1.0).resolution(224).classes(1000).seed(7).build();
 * }</pre>
 */
public final class MobileNetV2 {
    private MobileNetV2() {}

    /** Table 2 of the paper: operator, expansion t, output channels c, repeats n, first stride s. */
    public static final List<ArchitectureRow> TABLE_2 = List.of(
            new ArchitectureRow("conv2d", 0, 32, 1, 2),
            new ArchitectureRow("bottleneck", 1, 16, 1, 1),
            new ArchitectureRow("bottleneck", 6, 24, 2, 2),
            new ArchitectureRow("bottleneck", 6, 32, 3, 2),
            new ArchitectureRow("bottleneck", 6, 64, 4, 2),
            new ArchitectureRow("bottleneck", 6, 96, 3, 1),
            new ArchitectureRow("bottleneck", 6, 160, 3, 2),
            new ArchitectureRow("bottleneck", 6, 320, 1, 1),
            new ArchitectureRow("conv2d 1x1", 0, 1280, 1, 1),
            new ArchitectureRow("avgpool", 0, 0, 1, 0),
            new ArchitectureRow("conv2d 1x1", 0, 0, 0, 0));

    /** Channel counts are rounded to multiples of this, as the reference implementation does. */
    public static final int CHANNEL_DIVISOR = 8;

    public static Builder builder() {
        return new Builder();
    }

    /** The network of {@code config} with zero weights and identity batch norms, ready for a loader. */
    public static Network create(MobileNetV2Config config) {
        return spec(config).create();
    }

    /** The architecture of {@code config} without its parameters: Table 2 expanded into layer specs. */
    public static NetworkSpec spec(MobileNetV2Config config) {
        Expansion walk = new Expansion(config);
        for (ArchitectureRow row : TABLE_2) {
            walk.add(row);
        }
        return NetworkSpec.sequential(config, new Shape(config.inputHeight(), config.inputWidth(), 3), walk.nodes);
    }

    /**
     * The feature extractor: Table 2's rows up to the last bottleneck ({@code features.0} … {@code
     * features.17}, without the 1280-channel conv), at {@code config}'s width and output stride. The last
     * node's output is the feature map the heads read.
     */
    public static List<NodeSpec> backbone(MobileNetV2Config config) {
        Expansion walk = new Expansion(config);
        for (ArchitectureRow row : TABLE_2) {
            if (!row.operator().equals("conv2d") && !row.operator().equals("bottleneck")) {
                break;
            }
            walk.add(row);
        }
        return walk.nodes;
    }

    /**
     * Expands Table 2 row by row into a chain of nodes. Strides follow the DeepLab convention for an output
     * stride below 32: once the input has been downsampled by the output stride, later strides become 1
     * and multiply the dilation of the depthwise convolutions after them instead.
     */
    private static final class Expansion {
        final MobileNetV2Config config;
        final List<NodeSpec> nodes = new ArrayList<>();
        int in = 3;
        int index = 0;
        int stride = 1;
        int rate = 1;
        String last = Network.INPUT;

        Expansion(MobileNetV2Config config) {
            this.config = config;
        }

        void add(ArchitectureRow row) {
            double alpha = config.width();
            Padding pad = config.padding();
            ArchitectureRow shown = row.c() == 0 && row.operator().startsWith("conv")
                    ? new ArchitectureRow(row.operator(), 0, config.classes(), 0, 0) : row;
            switch (row.operator()) {
                case "conv2d" -> {
                    int out = Channels.makeDivisible(row.c() * alpha, CHANNEL_DIVISOR);
                    int s = layerStride(variantStride(row));
                    append(bnConv("features." + index++ + ".0", in, out, 3, s, 1, pad, Activation.RELU6), shown);
                    in = out;
                }
                case "bottleneck" -> {
                    int out = Channels.makeDivisible(row.c() * alpha, CHANNEL_DIVISOR);
                    int t = row.t() > 1 && config.expansion() > 0 ? config.expansion() : row.t();
                    for (int i = 0; i < row.n(); i++) {
                        int dilation = rate;
                        int s = layerStride(i == 0 ? variantStride(row) : 1);
                        append(block("features." + index++, in, out, t, s, dilation, config), shown);
                        in = out;
                    }
                }
                case "conv2d 1x1" -> {
                    if (row.c() > 0) {
                        int out = Channels.makeDivisible(row.c() * Math.max(1.0, alpha), CHANNEL_DIVISOR);
                        append(bnConv("features." + index++ + ".0", in, out, 1, 1, 1, pad, Activation.RELU6), shown);
                        in = out;
                    } else {
                        append(new Dropout("classifier.0", config.dropout()), shown);
                        append(new DenseSpec("classifier.1", in, config.classes()), shown);
                    }
                }
                case "avgpool" -> append(new GlobalAveragePool("pool"), shown);
                default -> throw new IllegalStateException("unknown Table 2 operator " + row.operator());
            }
        }

        /** Table 2's first stride of {@code row}, or 1 where the CIFAR variant keeps the resolution. */
        private int variantStride(ArchitectureRow row) {
            boolean keptByCifar = row.operator().equals("conv2d") || row.c() == 24;
            return config.variant() == MobileNetV2Config.Variant.CIFAR && keptByCifar ? 1 : row.s();
        }

        /**
         * The stride a layer of table stride {@code s} gets: {@code s} until the output stride is reached,
         * then 1, the skipped downsampling turning into dilation for the layers after it.
         */
        private int layerStride(int s) {
            if (stride >= config.outputStride()) {
                rate *= s;
                return 1;
            }
            stride *= s;
            return s;
        }

        private void append(LayerSpec layer, ArchitectureRow row) {
            nodes.add(new NodeSpec(layer, List.of(last), row));
            last = layer.name();
        }
    }

    private static BlockSpec block(String name, int in, int out, int t, int stride, int dilation,
                                   MobileNetV2Config config) {
        Padding pad = config.padding();
        int hidden = Math.multiplyExact(in, t);
        ConvSpec expand = null;
        String prefix = name + ".conv.";
        int part = 0;
        if (t != 1) {
            expand = bnConv(prefix + part++ + ".0", in, hidden, 1, 1, 1, pad, Activation.RELU6);
        }
        // Symmetric padding grows with the dilation so that stride-1 blocks keep their size, as torchvision's.
        Padding dwPad = pad.tensorflowSame() ? pad : Padding.symmetric(pad.explicit() * dilation);
        ConvSpec depthwise = new ConvSpec(prefix + part++ + ".0", hidden, hidden, 3, stride, dilation, hidden, dwPad,
                Activation.RELU6, false, true);
        ConvSpec project = bnConv(prefix + part, hidden, out, 1, 1, 1, pad, config.bottleneckActivation());
        return new BlockSpec(name, t, expand, depthwise, project, config.shortcut());
    }

    /** A convolution followed by batch norm (no conv bias), as torchvision and TF-slim build them. */
    static ConvSpec bnConv(String name, int in, int out, int kernel, int stride, int groups, Padding pad,
                           Activation activation) {
        return new ConvSpec(name, in, out, kernel, stride, 1, groups, kernel == 1 ? Padding.valid() : pad, activation,
                false, true);
    }

    /** Builder of MobileNetV2 configurations and seeded random networks. */
    public static final class Builder extends NetworkBuilder<Builder> {
        private int expansion = 0;
        private Activation bottleneck = Activation.IDENTITY;
        private Shortcut shortcut = Shortcut.BOTTLENECK;
        private int outputStride = MobileNetV2Config.DEFAULT_OUTPUT_STRIDE;
        private MobileNetV2Config.Variant variant = MobileNetV2Config.Variant.IMAGENET;

        private Builder() {
            super(0.2);
        }

        /** Expansion factor for every block whose Table 2 t is 6; 0 restores Table 2. */
        public Builder expansion(int t) {
            this.expansion = t;
            return this;
        }

        public Builder bottleneck(Activation activation) {
            this.bottleneck = activation;
            return this;
        }

        /** {@code linear} or {@code relu6}. */
        public Builder bottleneck(String name) {
            return bottleneck(switch (name.toLowerCase(Locale.ROOT)) {
                case "linear" -> Activation.IDENTITY;
                case "relu6" -> Activation.RELU6;
                default -> throw new IllegalArgumentException("bottleneck must be linear or relu6, got " + name);
            });
        }

        /** Ratio of input to feature-map size: 32 (Table 2), 16 or 8 (dilated last stages, for DeepLab). */
        public Builder outputStride(int stride) {
            this.outputStride = stride;
            return this;
        }

        /** Table 2's strides (IMAGENET) or the 32×32 adaptation (CIFAR: stem and 24-channel stage at stride 1). */
        public Builder variant(MobileNetV2Config.Variant v) {
            this.variant = Objects.requireNonNull(v, "variant");
            return this;
        }

        public Builder shortcut(Shortcut placement) {
            this.shortcut = placement;
            return this;
        }

        /** {@code bottleneck}, {@code expansion} or {@code none}. */
        public Builder shortcut(String name) {
            try {
                return shortcut(Shortcut.valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("shortcut must be bottleneck, expansion or none, got " + name);
            }
        }

        @Override
        public MobileNetV2Config config() {
            return new MobileNetV2Config(width, inputHeight, inputWidth, classes, expansion, bottleneck, shortcut,
                    padding, dropout, batchNormEpsilon, outputStride, variant);
        }
    }
}
