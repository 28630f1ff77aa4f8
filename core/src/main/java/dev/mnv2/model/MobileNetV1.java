package dev.mnv2.model;

import java.util.ArrayList;
import java.util.List;

/**
 * MobileNetV1 (Table 1 of Howard et al., 2017) from one table: a 3×3 conv, then depthwise separable
 * convolutions (3×3 depthwise + 1×1 pointwise, each with batch norm and ReLU6), pooling and a classifier.
 * The paper lists the last depthwise conv as stride 2 on 7×7; like the reference implementation, it is stride 1 here.
 */
public final class MobileNetV1 {
    private MobileNetV1() {}

    /** Rows: operator, -, output channels c, repeats n, first stride s. */
    public static final List<ArchitectureRow> TABLE_1 = List.of(
            new ArchitectureRow("conv2d", 0, 32, 1, 2),
            new ArchitectureRow("depthwise separable", 0, 64, 1, 1),
            new ArchitectureRow("depthwise separable", 0, 128, 2, 2),
            new ArchitectureRow("depthwise separable", 0, 256, 2, 2),
            new ArchitectureRow("depthwise separable", 0, 512, 6, 2),
            new ArchitectureRow("depthwise separable", 0, 1024, 2, 2),
            new ArchitectureRow("avgpool", 0, 0, 1, 0),
            new ArchitectureRow("fc", 0, 0, 0, 0));

    public static Builder builder() {
        return new Builder();
    }

    /** Reference width rounding for V1: truncate, but never below 8 channels. */
    static int channels(int base, double alpha) {
        return Math.max((int) (base * alpha), 8);
    }

    /** The network of {@code config} with zero weights and identity batch norms, ready for a loader. */
    public static Network create(MobileNetV1Config config) {
        return spec(config).create();
    }

    /** The architecture of {@code config} without its parameters: Table 1 expanded into layer specs. */
    public static NetworkSpec spec(MobileNetV1Config config) {
        Padding pad = config.padding();
        List<NodeSpec> nodes = new ArrayList<>();
        int in = 3;
        int index = 0;
        for (ArchitectureRow row : TABLE_1) {
            List<LayerSpec> layers = new ArrayList<>();
            switch (row.operator()) {
                case "conv2d" -> {
                    int out = channels(row.c(), config.width());
                    layers.add(MobileNetV2.bnConv("features." + index++ + ".0", in, out, 3, row.s(), 1, pad,
                            Activation.RELU6));
                    in = out;
                }
                case "depthwise separable" -> {
                    int out = channels(row.c(), config.width());
                    for (int i = 0; i < row.n(); i++) {
                        int stride = i == 0 ? row.s() : 1;
                        String name = "features." + index++;
                        layers.add(MobileNetV2.bnConv(name + ".depthwise", in, in, 3, stride, in, pad,
                                Activation.RELU6));
                        layers.add(MobileNetV2.bnConv(name + ".pointwise", in, out, 1, 1, 1, pad,
                                Activation.RELU6));
                        in = out;
                    }
                }
                case "avgpool" -> layers.add(new GlobalAveragePool("pool"));
                case "fc" -> {
                    layers.add(new Dropout("classifier.0", config.dropout()));
                    layers.add(new DenseSpec("classifier.1", in, config.classes()));
                }
                default -> throw new IllegalStateException("unknown Table 1 operator " + row.operator());
            }
            ArchitectureRow shown = row.operator().equals("fc")
                    ? new ArchitectureRow(row.operator(), 0, config.classes(), 0, 0) : row;
            for (LayerSpec layer : layers) {
                nodes.add(new NodeSpec(layer,
                        List.of(nodes.isEmpty() ? Network.INPUT : nodes.get(nodes.size() - 1).name()), shown));
            }
        }
        return NetworkSpec.sequential(config, new Shape(config.inputHeight(), config.inputWidth(), 3), nodes);
    }

    /** Builder of MobileNetV1 configurations and seeded random networks. */
    public static final class Builder extends NetworkBuilder<Builder> {
        private Builder() {
            super(0.001);
        }

        @Override
        public MobileNetV1Config config() {
            return new MobileNetV1Config(width, inputHeight, inputWidth, classes, padding, dropout, batchNormEpsilon);
        }
    }
}
