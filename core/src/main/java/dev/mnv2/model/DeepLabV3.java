package dev.mnv2.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Mobile DeepLabv3 (paper §6.3) as the published TensorFlow model builds it: the MobileNetV2 backbone at
 * output stride 16 without its 1280-channel conv, then the head without ASPP's atrous branches:
 * <ol>
 *   <li>{@code classifier.0.convs.0}: 1×1 conv → 256, batch norm, ReLU on the feature map;</li>
 *   <li>{@code classifier.0.convs.1}: image pooling: average over the whole map, 1×1 conv → 256, batch
 *       norm, ReLU, bilinear back to the map's size;</li>
 *   <li>{@code classifier.0.concat} of the two (image pooling first, as the published file has it);</li>
 *   <li>{@code classifier.0.project.0}: 1×1 conv → 256, batch norm, ReLU;</li>
 *   <li>{@code classifier.1}: 1×1 conv → classes with bias: the logits at the map's resolution;</li>
 *   <li>{@code out}: bilinear upsampling of the logits to the input size.</li>
 * </ol>
 * Names follow torchvision's {@code DeepLabHead} / {@code ASPP} modules where the two agree. The output
 * {@code out} holds per-pixel logits; the segmentation task ({@link dev.mnv2.image.ImageSegmenter}) maps them
 * back to the photo and takes their argmax.
 */
public final class DeepLabV3 {
    private DeepLabV3() {}

    /** Name of the logits upsampled to the input size: the network's output. */
    public static final String OUTPUT = "out";

    public static Builder builder() {
        return new Builder();
    }

    public static Network create(DeepLabV3Config config) {
        return spec(config).create();
    }

    /** The architecture of {@code config} without its parameters. */
    public static NetworkSpec spec(DeepLabV3Config config) {
        MobileNetV2Config b = config.backbone();
        Shape input = new Shape(b.inputHeight(), b.inputWidth(), 3);
        List<NodeSpec> nodes = new ArrayList<>(MobileNetV2.backbone(b));
        String features = nodes.get(nodes.size() - 1).name();
        Shape map = NetworkSpec.sequential(b, input, nodes).outputShape();
        int h = config.headChannels();
        boolean align = config.alignCorners();
        nodes.add(node(conv("classifier.0.convs.0.0", map.channels(), h), features));
        nodes.add(node(new AveragePool("classifier.0.convs.1.0", map.height(), map.width(), 1, Padding.valid()),
                features));
        nodes.add(node(conv("classifier.0.convs.1.1", map.channels(), h), "classifier.0.convs.1.0"));
        nodes.add(node(new ResizeBilinear("classifier.0.convs.1.upsample", map.height(), map.width(), align, !align),
                "classifier.0.convs.1.1"));
        nodes.add(new NodeSpec(new Concat("classifier.0.concat"),
                List.of("classifier.0.convs.1.upsample", "classifier.0.convs.0.0"), null));
        nodes.add(node(conv("classifier.0.project.0", 2 * h, h), "classifier.0.concat"));
        nodes.add(node(new ConvSpec("classifier.1", h, config.classes(), 1, 1, 1, 1, Padding.valid(),
                Activation.IDENTITY, true, false), "classifier.0.project.0"));
        nodes.add(node(new ResizeBilinear(OUTPUT, input.height(), input.width(), align, !align), "classifier.1"));
        return new NetworkSpec(config, input, nodes, List.of(OUTPUT));
    }

    private static ConvSpec conv(String name, int in, int out) {
        return MobileNetV2.bnConv(name, in, out, 1, 1, 1, Padding.valid(), Activation.RELU);
    }

    private static NodeSpec node(LayerSpec layer, String input) {
        return new NodeSpec(layer, List.of(input), null);
    }

    /** Builder of Mobile DeepLabv3 configurations: 513×513 input, output stride 16, 21 classes by default. */
    public static final class Builder extends NetworkBuilder<Builder> {
        private int outputStride = 16;
        private int headChannels = 256;
        private boolean alignCorners = true;

        private Builder() {
            super(0);
            resolution(513);
            classes(21);
        }

        public Builder outputStride(int stride) {
            this.outputStride = stride;
            return this;
        }

        public Builder headChannels(int channels) {
            this.headChannels = channels;
            return this;
        }

        public Builder alignCorners(boolean align) {
            this.alignCorners = align;
            return this;
        }

        @Override
        public DeepLabV3Config config() {
            // The backbone's classifier is not built, so it has no dropout: the configuration map says 0 and
            // reads back to this.
            MobileNetV2Config backbone = MobileNetV2.builder().width(width).resolution(inputHeight, inputWidth)
                    .classes(classes).padding(padding).batchNormEpsilon(batchNormEpsilon).outputStride(outputStride)
                    .dropout(0).config();
            return new DeepLabV3Config(backbone, classes, headChannels, alignCorners);
        }
    }
}
