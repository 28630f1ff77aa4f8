package dev.mnv2.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.experiment.PublishedVariants;
import dev.mnv2.reference.ReferenceMobileNetV2;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MobileNetV2Test {

    private static Network v2(double width, int resolution, int classes) {
        return MobileNetV2.create(MobileNetV2.builder().width(width).resolution(resolution).classes(classes).config());
    }

    /** The nodes each Table 2 row expanded into, in order. */
    static List<List<Node>> stages(Network network) {
        List<List<Node>> stages = new ArrayList<>();
        ArchitectureRow current = null;
        for (Node node : network.nodes()) {
            if (node.row() != current) {
                stages.add(new ArrayList<>());
                current = node.row();
            }
            stages.get(stages.size() - 1).add(node);
        }
        return stages;
    }

    /** Output shape of each Table 2 row, for one image. */
    private static List<Shape> stageOutputs(Network network) {
        List<Shape> shapes = new ArrayList<>();
        for (List<Node> stage : stages(network)) {
            shapes.add(network.shape(stage.get(stage.size() - 1).name()));
        }
        return shapes;
    }

    @ParameterizedTest
    @ValueSource(ints = {224, 192, 160, 128, 96})
    void everyStageOfTable2HasThePapersShape(int r) {
        // Table 2 at 224: 112²×32, 112²×16, 56²×24, 28²×32, 14²×64, 14²×96, 7²×160, 7²×320, 7²×1280, 1×1×1280, k.
        int[] size = {r / 2, r / 2, r / 4, r / 8, r / 16, r / 16, r / 32, r / 32, r / 32, 1, 1};
        int[] channels = {32, 16, 24, 32, 64, 96, 160, 320, 1280, 1280, 1000};
        List<Shape> shapes = stageOutputs(v2(1.0, r, 1000));
        assertEquals(MobileNetV2.TABLE_2.size(), shapes.size());
        for (int i = 0; i < shapes.size(); i++) {
            assertEquals(new Shape(size[i], size[i], channels[i]), shapes.get(i), "stage " + i + " at " + r);
        }
    }

    /**
     * Every block, the stem and the last conv against the reference's own walk of Table 2 (its transcription,
     * channel rounding, stride and shortcut rules), for widths whose rounding differs and every ablation.
     */
    @ParameterizedTest(name = "width {0}, t {1}, bottleneck {2}, shortcut {3}")
    @CsvSource({
        "1.0, 0, linear, bottleneck", "0.35, 0, linear, bottleneck", "0.75, 0, relu6, bottleneck",
        "1.4, 0, linear, expansion", "0.5, 4, linear, none", "1.3, 2, relu6, expansion"})
    void layersAreTheReferenceWalkOfTable2(double width, int expansion, String bottleneck, String shortcut) {
        MobileNetV2Config config = MobileNetV2.builder().width(width).expansion(expansion).bottleneck(bottleneck)
                .shortcut(shortcut).config();
        ReferenceMobileNetV2.Architecture expected = ReferenceMobileNetV2.architecture(config);
        Network net = MobileNetV2.create(config);
        List<InvertedResidual> blocks = net.layers().stream().filter(l -> l instanceof InvertedResidual)
                .map(l -> (InvertedResidual) l).toList();
        assertEquals(expected.blocks().size(), blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            ReferenceMobileNetV2.Block want = expected.blocks().get(i);
            InvertedResidual block = blocks.get(i);
            String what = want.name() + " at width " + width;
            assertEquals(want.name(), block.name(), what);
            assertEquals(want.expansion(), block.expansion(), what);
            assertEquals(want.in(), block.inChannels(), what);
            assertEquals(want.hidden(), block.hiddenChannels(), what);
            assertEquals(want.out(), block.outChannels(), what);
            assertEquals(want.stride(), block.stride(), what);
            assertEquals(want.bottleneckResidual(), block.hasBottleneckResidual(), what + " bottleneck residual");
            assertEquals(want.expansionResidual(), block.hasExpansionResidual(), what + " expansion residual");
            assertEquals(want.expand() == null, block.expand() == null, what);
            assertEquals(want.projection(), block.project().activation(), what);
            assertEquals(Activation.RELU6, block.depthwise().activation(), what);
        }
        Conv2d stem = (Conv2d) net.layers().get(0);
        assertEquals(expected.stem().out(), stem.outChannels());
        assertEquals(expected.stem().stride(), stem.stride());
        assertEquals(expected.last().out(), ((Conv2d) stages(net).get(8).get(0).layer()).outChannels());
        for (List<Node> stage : stages(net)) {
            if (stage.get(0).row().operator().equals("bottleneck")) {
                assertEquals(stage.get(0).row().n(), stage.size(), "a stage holds its row's n blocks");
            }
        }
    }

    @Test
    void nonSquareInputsAreSupported() {
        Network net = MobileNetV2.create(MobileNetV2.builder().resolution(160, 96).config());
        List<Shape> shapes = stageOutputs(net);
        assertEquals(new Shape(5, 3, 320), shapes.get(7));
        assertEquals(new Shape(1, 1, 1000), net.outputShape());
    }

    @Test
    void oddResolutionsUseCeilingDivisionWithSamePadding() {
        assertEquals(new Shape(4, 4, 320), stageOutputs(v2(1.0, 127, 10)).get(7));
        Network torch = MobileNetV2.create(MobileNetV2.builder().resolution(127).padding(Padding.symmetric(1)).config());
        assertEquals(new Shape(4, 4, 320), stageOutputs(torch).get(7));
    }

    @Test
    void cifarVariantKeepsTheStemAndThe24ChannelStageAtStrideOne() {
        MobileNetV2Config config = MobileNetV2.builder().width(0.5).resolution(32).classes(10)
                .variant(MobileNetV2Config.Variant.CIFAR).config();
        Network net = MobileNetV2.create(config);
        List<Shape> shapes = stageOutputs(net);
        assertEquals(new Shape(32, 32, 16), shapes.get(0), "stem at stride 1");
        assertEquals(new Shape(32, 32, 8), shapes.get(1));
        assertEquals(new Shape(32, 32, 16), shapes.get(2), "24-channel stage (×0.5) at stride 1");
        assertEquals(new Shape(16, 16, 16), shapes.get(3), "the 32-channel stage still halves");
        assertEquals(new Shape(4, 4, 160), shapes.get(7), "32 / 8 at the last bottleneck");
        assertEquals(MobileNetV2.create(MobileNetV2.builder().width(0.5).resolution(32).classes(10).config())
                .parameters(), net.parameters(), "strides change no parameter");
        assertEquals(config, MobileNetV2Config.fromMap(config.toMap()));
        assertEquals("cifar", config.toMap().get("variant"));
        assertThrows(IllegalArgumentException.class, () -> MobileNetV2Config.Variant.parse("mnist"));
    }

    @Test
    void aNetworkMovesToAnotherResolutionAndClassifierKeepingItsWeights() {
        Network net = MobileNetV2.builder().width(0.35).resolution(224).classes(1000).seed(3).build();
        Network small = net.withResolution(96, 128);
        assertEquals(new Shape(96, 128, 3), small.input());
        assertEquals(96, small.config().inputHeight());
        assertEquals(net.parameters(), small.parameters());
        assertTrue(net.convolutions().get(5).weight() == small.convolutions().get(5).weight(), "shared, not copied");
        Network cifar = small.withClassifier(List.of("a", "b", "c"), 1);
        assertEquals(3, cifar.classes());
        assertEquals(List.of("a", "b", "c"), cifar.labels());
        assertEquals(3, cifar.config().classes());
        assertEquals(small.convolutions().get(0).weight(), cifar.convolutions().get(0).weight());
        float[] w = cifar.classifier().weight();
        double sq = 0;
        for (float v : w) {
            sq += v * v;
        }
        assertEquals(0.01, Math.sqrt(sq / w.length), 0.002, "N(0, 0.01)");
        assertThrows(IllegalArgumentException.class, () -> net.withResolution(16, 16));
        Network seg = DeepLabV3.builder().width(0.35).resolution(65).classes(3).seed(1).build();
        assertEquals(new Shape(97, 97, 3), seg.withResolution(97, 97).outputShape());
    }

    @Test
    void torchvisionInitialisationIsTheIdentityNormAndHeFanOut() {
        Network net = Initializer.torchvision(MobileNetV2.builder().width(1.0).resolution(64).classes(10).build(), 4);
        Conv2d stem = net.convolutions().get(0);
        double sq = 0;
        for (float v : stem.weight()) {
            sq += v * v;
        }
        assertEquals(Math.sqrt(2.0 / (32 * 9)), Math.sqrt(sq / stem.weight().length), 0.01);
        assertEquals(1f, stem.batchNorm().gamma()[3]);
        assertEquals(0f, stem.batchNorm().mean()[3]);
        assertEquals(1f, stem.batchNorm().variance()[3]);
    }

    @Test
    void torchvisionParameterCount() {
        assertEquals(3_504_872, v2(1.0, 224, 1000).parameters());
    }

    /** The reference implementation's published table (TF-slim mobilenet README): MACs (M) and params (M). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("publishedVariants")
    void publishedMacsAndParameters(PublishedVariants.Variant v) {
        Network net = v2(v.width(), v.resolution(), 1001);
        assertEquals(v.macsMillions(), net.macs() / 1_000_000);
        assertEquals(v.parametersMillions(), Math.round(net.parametersWithoutBatchNorm() / 10_000.0) / 100.0, 1e-9);
    }

    static java.util.stream.Stream<PublishedVariants.Variant> publishedVariants() {
        assertEquals(22, PublishedVariants.ALL.size());
        return PublishedVariants.ALL.stream();
    }

    @Test
    void channelsAreRoundedToMultiplesOfEightAndLastConvKeeps1280BelowWidthOne() {
        assertEquals(8, Channels.makeDivisible(0.35 * 16, 8));
        assertEquals(16, Channels.makeDivisible(0.35 * 32, 8), "never below 90 % of 11.2");
        assertEquals(24, Channels.makeDivisible(0.75 * 32, 8));
        assertEquals(1280, lastConvChannels(0.35));
        assertEquals(1280, lastConvChannels(1.0));
        assertEquals(1664, lastConvChannels(1.3));
        assertEquals(1792, lastConvChannels(1.4));
        for (double width : new double[] {0.1, 0.35, 0.6, 1.1, 2.0}) {
            for (Conv2d conv : v2(width, 96, 10).convolutions()) {
                assertEquals(0, conv.outChannels() % 8, conv.name() + " at " + width);
            }
        }
    }

    private static int lastConvChannels(double width) {
        return ((Conv2d) stages(v2(width, 224, 1000)).get(8).get(0).layer()).outChannels();
    }

    @Test
    void expansionOverrideReplacesTable2sSixButNotTheFirstBlocksOne() {
        Network net = MobileNetV2.create(MobileNetV2.builder().expansion(4).config());
        List<Layer> layers = net.layers();
        InvertedResidual first = (InvertedResidual) layers.get(1);
        InvertedResidual second = (InvertedResidual) layers.get(2);
        assertEquals(1, first.expansion());
        assertNull(first.expand());
        assertEquals(4, second.expansion());
        assertEquals(16 * 4, second.hiddenChannels());
    }

    @Test
    void ablationSwitches() {
        Network relu6 = MobileNetV2.create(MobileNetV2.builder().bottleneck("relu6").config());
        assertTrue(relu6.layers().stream().filter(l -> l instanceof InvertedResidual)
                .allMatch(l -> ((InvertedResidual) l).project().activation() == Activation.RELU6));
        Network none = MobileNetV2.create(MobileNetV2.builder().shortcut("none").config());
        assertFalse(none.layers().stream().anyMatch(l -> l instanceof InvertedResidual b
                && (b.hasBottleneckResidual() || b.hasExpansionResidual())));
        Network expansion = MobileNetV2.create(MobileNetV2.builder().shortcut(Shortcut.EXPANSION).config());
        long expansionResiduals = expansion.layers().stream()
                .filter(l -> l instanceof InvertedResidual b && b.hasExpansionResidual()).count();
        assertEquals(17 - 4, expansionResiduals, "every stride-1 block, the first included");
    }

    @Test
    void invalidKnobsAreRejectedWithTheirName() {
        assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().width(-1).config());
        assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().width(Double.NaN).config());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MobileNetV2.builder().resolution(31).config());
        assertTrue(e.getMessage().contains("resolution"));
        assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().classes(0).config());
        assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().bottleneck("relu"));
        assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().shortcut("wide"));
        for (float eps : new float[] {-1f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}) {
            e = assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().batchNormEpsilon(eps).config());
            assertTrue(e.getMessage().contains("epsilon"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> MobileNetV1.builder().batchNormEpsilon(eps).config());
        }
        var map = new java.util.HashMap<>(MobileNetV2.builder().config().toMap());
        map.put("padding", "reflect");
        e = assertThrows(IllegalArgumentException.class, () -> MobileNetV2Config.fromMap(map));
        assertTrue(e.getMessage().contains("padding"), e.getMessage());
    }

    @Test
    void configRoundTripsThroughItsMap() {
        MobileNetV2Config config = MobileNetV2.builder().width(0.75).resolution(160, 128).classes(10).expansion(5)
                .bottleneck("relu6").shortcut("expansion").padding(Padding.symmetric(1)).dropout(0.1)
                .batchNormEpsilon(1e-5f).config();
        assertEquals(config, MobileNetV2Config.fromMap(config.toMap()));
    }

    @Test
    void deepLabConfigRoundTripsThroughItsMap() {
        DeepLabV3Config config = DeepLabV3.builder().width(0.5).resolution(321).outputStride(8).classes(5)
                .headChannels(64).alignCorners(false).padding(Padding.symmetric(1)).config();
        assertEquals(config, DeepLabV3Config.fromMap(config.toMap()));
        var map = new java.util.HashMap<>(config.toMap());
        map.put("alignCorners", "yes");
        var e = assertThrows(IllegalArgumentException.class, () -> DeepLabV3Config.fromMap(map));
        assertTrue(e.getMessage().contains("alignCorners"), e.getMessage());
    }

    @Test
    void mobileNetV1MatchesItsPaper() {
        Network v1 = MobileNetV1.create(MobileNetV1.builder().classes(1000).config());
        assertEquals(569, Math.round(v1.macs() / 1e6), "Howard et al. Table 8: 569M mult-adds");
        assertEquals(4.2, Math.round(v1.parametersWithoutBatchNorm() / 100_000.0) / 10.0, 1e-9);
        assertEquals(new Shape(1, 1, 1000), v1.outputShape());
    }

    /**
     * DeepLab's output stride: once the input is downsampled by it, later strides become 1 and the
     * depthwise convolutions after them dilate by the skipped factor (the stride-2 block itself keeps rate 1).
     */
    @ParameterizedTest(name = "output stride {0}")
    @CsvSource({"32, 7, '1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1'",
                "16, 14, '1,1,1,1,1,1,1,1,1,1,1,1,1,1,2,2,2'",
                "8, 28, '1,1,1,1,1,1,1,2,2,2,2,2,2,2,4,4,4'"})
    void outputStrideTurnsLaterStridesIntoDilation(int outputStride, int map, String dilations) {
        Network net = MobileNetV2.create(MobileNetV2.builder().outputStride(outputStride).config());
        assertEquals(new Shape(map, map, 320), net.shape("features.17"));
        StringBuilder got = new StringBuilder();
        for (int i = 1; i <= 17; i++) {
            InvertedResidual block = (InvertedResidual) net.nodes().get(i).layer();
            got.append(i > 1 ? "," : "").append(block.depthwise().dilation());
        }
        assertEquals(dilations, got.toString());
        assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().outputStride(4).config());
    }

    @Test
    void deepLabHeadSitsOnTheBackboneWithoutThe1280Conv() {
        Network net = DeepLabV3.create(DeepLabV3.builder().config());
        assertEquals(new Shape(513, 513, 3), net.input());
        assertEquals(new Shape(33, 33, 320), net.shape("features.17"));
        assertFalse(net.tensorShapes().containsKey("features.18.0"), "no 1280-channel conv");
        assertEquals(new Shape(33, 33, 512), net.shape("classifier.0.concat"));
        assertEquals(new Shape(33, 33, 21), net.shape("classifier.1"));
        assertEquals(new Shape(513, 513, 21), net.outputShape());
        assertEquals(List.of(DeepLabV3.OUTPUT), net.outputs());
    }
}
