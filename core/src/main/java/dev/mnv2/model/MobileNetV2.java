package dev.mnv2.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
        double alpha = config.width();
        Padding pad = config.padding();
        List<StageSpec> stages = new ArrayList<>();
        int in = 3;
        int index = 0;
        for (ArchitectureRow row : TABLE_2) {
            List<LayerSpec> layers = new ArrayList<>();
            switch (row.operator()) {
                case "conv2d" -> {
                    int out = Channels.makeDivisible(row.c() * alpha, CHANNEL_DIVISOR);
                    layers.add(bnConv("features." + index++ + ".0", in, out, 3, row.s(), 1, pad, Activation.RELU6));
                    in = out;
                }
                case "bottleneck" -> {
                    int out = Channels.makeDivisible(row.c() * alpha, CHANNEL_DIVISOR);
                    int t = row.t() > 1 && config.expansion() > 0 ? config.expansion() : row.t();
                    for (int i = 0; i < row.n(); i++) {
                        layers.add(block("features." + index++, in, out, t, i == 0 ? row.s() : 1, config));
                        in = out;
                    }
                }
                case "conv2d 1x1" -> {
                    if (row.c() > 0) {
                        int out = Channels.makeDivisible(row.c() * Math.max(1.0, alpha), CHANNEL_DIVISOR);
                        layers.add(bnConv("features." + index++ + ".0", in, out, 1, 1, 1, pad, Activation.RELU6));
                        in = out;
                    } else {
                        layers.add(new Dropout("classifier.0", config.dropout()));
                        layers.add(new DenseSpec("classifier.1", in, config.classes()));
                    }
                }
                case "avgpool" -> layers.add(new GlobalAveragePool("pool"));
                default -> throw new IllegalStateException("unknown Table 2 operator " + row.operator());
            }
            ArchitectureRow shown = row.c() == 0 && row.operator().startsWith("conv")
                    ? new ArchitectureRow(row.operator(), 0, config.classes(), 0, 0) : row;
            stages.add(new StageSpec(shown, layers));
        }
        return new NetworkSpec(config, new Shape(config.inputHeight(), config.inputWidth(), 3), stages);
    }

    private static BlockSpec block(String name, int in, int out, int t, int stride, MobileNetV2Config config) {
        Padding pad = config.padding();
        int hidden = Math.multiplyExact(in, t);
        ConvSpec expand = null;
        String prefix = name + ".conv.";
        int part = 0;
        if (t != 1) {
            expand = bnConv(prefix + part++ + ".0", in, hidden, 1, 1, 1, pad, Activation.RELU6);
        }
        ConvSpec depthwise = bnConv(prefix + part++ + ".0", hidden, hidden, 3, stride, hidden, pad, Activation.RELU6);
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
                    padding, dropout, batchNormEpsilon);
        }
    }
}
