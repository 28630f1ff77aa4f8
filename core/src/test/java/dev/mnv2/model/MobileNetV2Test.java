package dev.mnv2.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MobileNetV2Test {

    private static Network v2(double width, int resolution, int classes) {
        return MobileNetV2.create(MobileNetV2.builder().width(width).resolution(resolution).classes(classes).config());
    }

    /** Output shape of each Table 2 row, for one image. */
    private static List<Shape> stageOutputs(Network network) {
        List<Shape> shapes = new ArrayList<>();
        Shape shape = network.input();
        for (Stage stage : network.stages()) {
            for (Layer layer : stage.layers()) {
                shape = layer.outputShape(shape);
            }
            shapes.add(shape);
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

    @Test
    void stagesRepeatTheirBlocksNTimesWithStrideOnlyOnTheFirst() {
        Network net = v2(1.0, 224, 1000);
        for (Stage stage : net.stages()) {
            if (!stage.row().operator().equals("bottleneck")) continue;
            assertEquals(stage.row().n(), stage.layers().size());
            for (int i = 0; i < stage.layers().size(); i++) {
                InvertedResidual block = (InvertedResidual) stage.layers().get(i);
                assertEquals(i == 0 ? stage.row().s() : 1, block.stride());
                assertEquals(stage.row().t(), block.expansion());
                assertEquals(i > 0, block.hasBottleneckResidual(), block.name());
                assertEquals(Activation.IDENTITY, block.project().activation(), "linear bottleneck");
                assertEquals(Activation.RELU6, block.depthwise().activation());
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
    void torchvisionParameterCount() {
        assertEquals(3_504_872, v2(1.0, 224, 1000).parameters());
    }

    /** The reference implementation's published table (TF-slim mobilenet README): MACs (M) and params (M). */
    @ParameterizedTest(name = "{0}/{1}: {2}M MACs, {3}M params")
    @CsvSource({
        "1.4,224,582,6.06", "1.3,224,509,5.34",
        "1.0,224,300,3.47", "1.0,192,221,3.47", "1.0,160,154,3.47", "1.0,128,99,3.47", "1.0,96,56,3.47",
        "0.75,224,209,2.61", "0.75,192,153,2.61", "0.75,160,107,2.61", "0.75,128,69,2.61", "0.75,96,39,2.61",
        "0.5,224,97,1.95", "0.5,192,71,1.95", "0.5,160,50,1.95", "0.5,128,32,1.95", "0.5,96,18,1.95",
        "0.35,224,59,1.66", "0.35,192,43,1.66", "0.35,160,30,1.66", "0.35,128,20,1.66", "0.35,96,11,1.66"})
    void publishedMacsAndParameters(double width, int resolution, long macsMillions, double paramsMillions) {
        Network net = v2(width, resolution, 1001);
        assertEquals(macsMillions, net.macs() / 1_000_000);
        assertEquals(paramsMillions, Math.round(net.parametersWithoutBatchNorm() / 10_000.0) / 100.0, 1e-9);
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
        return ((Conv2d) v2(width, 224, 1000).stages().get(8).layers().get(0)).outChannels();
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
    void mobileNetV1MatchesItsPaper() {
        Network v1 = MobileNetV1.create(MobileNetV1.builder().classes(1000).config());
        assertEquals(569, Math.round(v1.macs() / 1e6), "Howard et al. Table 8: 569M mult-adds");
        assertEquals(4.2, Math.round(v1.parametersWithoutBatchNorm() / 100_000.0) / 10.0, 1e-9);
        assertEquals(new Shape(1, 1, 1000), v1.outputShape());
    }
}
