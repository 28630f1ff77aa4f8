package dev.mnv2.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.Conv2d;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.reference.ReferenceMobileNetV2;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelSummaryTest {
    private static final Network V2 = MobileNetV2.create(MobileNetV2.builder().classes(1001).config());
    private static final Network V1 = MobileNetV1.create(MobileNetV1.builder().classes(1001).config());

    /**
     * Paper Table 7, row "MNV2*, OS 16, no ASPP, no MF": 2.11M parameters and 2.75B multiply-adds for Mobile
     * DeepLabv3 at 513×513 with the head the published model has (no 1280-channel conv).
     */
    @Test
    void mobileDeepLabHasTable7sCost() {
        Network deeplab = DeepLabV3.create(DeepLabV3.builder().config());
        ModelSummary s = ModelSummary.of(deeplab);
        System.out.printf("Mobile DeepLabv3 513x513 OS16: %,d params (%,d without batch norm), %,d MAdds"
                + " (Table 7: 2.11M, 2.75B); planned activations %,d bytes%n", s.params(), s.paramsWithoutBatchNorm(),
                s.macs(), s.peakActivationBytes());
        assertEquals(2.11e6, s.params(), 0.02 * 2.11e6);
        assertEquals(2.75e9, s.macs(), 0.02 * 2.75e9);
        assertEquals(s.macs(), s.layers().stream().mapToLong(LayerCost::macs).sum());
        assertEquals(deeplab.nodes().size(), s.layers().size());
    }

    /**
     * Every row against the reference's own count from its walk of Table 2 (shapes, parameters, MACs), and the
     * totals against the published figures: torchvision's 3,504,872 parameters for 1000 classes, TF-slim's
     * 300M MACs and 3.47M parameters for 1001.
     */
    @ParameterizedTest(name = "width {0} at {1}, {2} classes, padding {3}, t {4}")
    @CsvSource({
        "1.0, 224, 1001, -1, 0", "1.0, 224, 1000, 1, 0", "0.35, 127, 10, -1, 0", "1.4, 96, 1001, 1, 0",
        "0.75, 160, 5, -1, 4"})
    void everyRowMatchesAnIndependentCountOfTable2(double width, int resolution, int classes, int pad,
                                                   int expansion) {
        MobileNetV2Config config = MobileNetV2.builder().width(width).resolution(resolution).classes(classes)
                .padding(pad < 0 ? Padding.same() : Padding.symmetric(pad)).expansion(expansion).config();
        ModelSummary s = ModelSummary.of(MobileNetV2.create(config));
        Map<String, ReferenceMobileNetV2.LayerCount> expected = new HashMap<>();
        for (ReferenceMobileNetV2.LayerCount count : ReferenceMobileNetV2.architecture(config).counts()) {
            expected.put(count.name(), count);
        }
        int counted = 0;
        for (LayerCost row : s.layers()) {
            ReferenceMobileNetV2.LayerCount want = expected.get(row.name());
            if (want == null) {
                assertEquals(0, row.params(), row.name() + " has no parameters");
                assertEquals(0, row.macs(), row.name() + " has no multiply-accumulates");
                continue;
            }
            assertEquals(want.output(), row.output(), row.name());
            assertEquals(want.parameters(), row.params(), row.name());
            assertEquals(want.parametersWithoutBatchNorm(), row.paramsWithoutBatchNorm(), row.name());
            assertEquals(want.macs(), row.macs(), row.name());
            counted++;
        }
        assertEquals(expected.size(), counted, "every layer of the reference walk has a row");
        assertEquals(expected.values().stream().mapToLong(ReferenceMobileNetV2.LayerCount::macs).sum(), s.macs());
        assertEquals(expected.values().stream().mapToLong(ReferenceMobileNetV2.LayerCount::parameters).sum(),
                s.params());
        if (width == 1.0 && resolution == 224 && classes == 1000) {
            assertEquals(3_504_872, s.params(), "torchvision mobilenet_v2");
        }
        if (width == 1.0 && resolution == 224 && classes == 1001) {
            assertEquals(300, s.macs() / 1_000_000, "TF-slim: 300M MACs");
            assertEquals(3.47, Math.round(s.paramsWithoutBatchNorm() / 10_000.0) / 100.0, 1e-9, "TF-slim: 3.47M");
        }
    }

    /** Howard et al. (2017), Table 8: MobileNetV1 1.0/224 has 569M mult-adds and 4.2M parameters. */
    @Test
    void mobileNetV1TotalsAreItsPapers() {
        ModelSummary s = ModelSummary.of(MobileNetV1.create(MobileNetV1.builder().classes(1000).config()));
        assertEquals(569, Math.round(s.macs() / 1e6));
        assertEquals(4.2, Math.round(s.paramsWithoutBatchNorm() / 100_000.0) / 10.0, 1e-9);
    }

    /**
     * Paper §3.4: a bottleneck block of size h×w, expansion t, kernel k, d' input and d'' output channels
     * costs h·w·d'·t·(d' + k² + d'') multiply-adds. The formula is for stride 1; with stride s the
     * depthwise and projection run on (h/s)·(w/s) positions, which the stride-2 case checks.
     */
    @Test
    void everyBlockCostsWhatThePapersFormulaSays() {
        Shape shape = V2.input();
        long blocks = 0;
        for (Layer layer : V2.layers()) {
            if (layer instanceof InvertedResidual b) {
                long h = shape.height();
                long w = shape.width();
                long d1 = b.inChannels();
                long d2 = b.outChannels();
                long t = b.expansion();
                long k2 = 9;
                Shape out = b.outputShape(shape);
                long expected;
                if (b.stride() == 1) {
                    expected = t == 1 ? h * w * d1 * (k2 + d2) : h * w * d1 * t * (d1 + k2 + d2);
                } else {
                    long ho = out.height();
                    long wo = out.width();
                    expected = h * w * d1 * t * d1 + ho * wo * d1 * t * (k2 + d2);
                }
                assertEquals(expected, layer.macs(shape), b.name());
                blocks++;
            }
            shape = layer.outputShape(shape);
        }
        assertEquals(17, blocks);
    }

    /** Paper Eq. 1: a depthwise separable conv costs h·w·d·(k² + d'), checked on MobileNetV1's pairs. */
    @Test
    void depthwiseSeparableConvolutionsCostEquationOne() {
        List<Layer> layers = V1.layers();
        Shape shape = V1.input();
        int pairs = 0;
        for (int i = 0; i < layers.size() - 1; i++) {
            Shape next = layers.get(i).outputShape(shape);
            if (layers.get(i) instanceof Conv2d dw && dw.isDepthwise() && layers.get(i + 1) instanceof Conv2d pw) {
                long h = next.height(); // the formula's h×w is the output grid of the depthwise step
                long w = next.width();
                long expected = h * w * dw.inChannels() * (9 + pw.outChannels());
                if (dw.stride() == 1) {
                    assertEquals(shape.height(), next.height());
                }
                assertEquals(expected, dw.macs(shape) + pw.macs(next), dw.name());
                pairs++;
            }
            shape = next;
        }
        assertEquals(13, pairs);
    }

    @Test
    void table3MatchesThePaper() {
        ModelSummary v2 = ModelSummary.of(V2);
        ModelSummary v1 = ModelSummary.of(V1);
        // Paper Table 3: max 400K for MobileNetV2, 1600K for MobileNetV1 (16-bit activations).
        assertEquals(400, v2.table3MaxKb(), 5);
        assertEquals(1600, v1.table3MaxKb(), 10);
        assertEquals(new Table3Row("112x112", 16, 112 * 112 * 16 * 2 / 1000.0), v2.table3().get(0));
        assertEquals(new Table3Row("112x112", 64, 112 * 112 * 64 * 2 / 1000.0), v1.table3().get(0));
        assertEquals(new Table3Row("7x7", 320, 7 * 7 * 320 * 2 / 1000.0), find(v2, "7x7"));
        assertEquals(new Table3Row("7x7", 1024, 7 * 7 * 1024 * 2 / 1000.0), find(v1, "7x7"));
        assertEquals(1280, find(v2, "1x1").channels());
        assertEquals(1024, find(v1, "1x1").channels());
    }

    private static Table3Row find(ModelSummary s, String resolution) {
        return s.table3().stream().filter(r -> r.resolution().equals(resolution)).findFirst().orElseThrow();
    }

    @Test
    void peakActivationBytesCoverTheLargestTensorsAndGrowWithResolution() {
        ModelSummary s = ModelSummary.of(V2);
        // The plan runs blocks in §5.1 row tiles: the input, the stem output (112x112x32) and block 1's output
        // (112x112x16) are live at once; the expanded 112x112x96 tensor of features.2 never is.
        long bottlenecks = (224L * 224 * 3 + 112L * 112 * (32 + 16)) * 4;
        long expandedAt112 = 112L * 112 * 96 * 4;
        assertTrue(s.peakActivationBytes() >= bottlenecks, "" + s.peakActivationBytes());
        assertTrue(s.peakActivationBytes() < bottlenecks + expandedAt112, "" + s.peakActivationBytes());
        long small = ModelSummary.of(MobileNetV2.create(MobileNetV2.builder().resolution(96).config()))
                .peakActivationBytes();
        assertTrue(small < s.peakActivationBytes());
    }

    /**
     * The summary comes from the architecture alone: at width 20 the network would hold about 877 million
     * weights (3.5 GB), yet summarising it allocates next to nothing.
     */
    @Test
    void summaryOfAConfigurationAllocatesNoWeights() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        MobileNetV2Config wide = MobileNetV2.builder().width(20).config();
        ModelSummary.of(wide); // loads the classes
        long before = threads.getCurrentThreadAllocatedBytes();
        ModelSummary s = ModelSummary.of(wide);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 2_000_000, allocated + " bytes allocated");
        assertTrue(s.paramsWithoutBatchNorm() > 800_000_000L, "" + s.paramsWithoutBatchNorm());
        assertEquals(s.macs(), s.layers().stream().mapToLong(LayerCost::macs).sum());
    }

    @Test
    void summaryOfAConfigurationEqualsThatOfTheBuiltNetwork() {
        for (Network net : List.of(V2, V1,
                MobileNetV2.create(MobileNetV2.builder().width(0.35).resolution(160, 96).expansion(3).config()))) {
            assertEquals(ModelSummary.of(net), ModelSummary.of(net.config()));
        }
    }

    @Test
    void rowsCarryTheTable2Columns() {
        ModelSummary s = ModelSummary.of(V2);
        LayerCost stem = s.layers().get(0);
        assertEquals("conv2d 3x3", stem.operator());
        assertEquals(new Shape(224, 224, 3), stem.input());
        assertEquals(new Shape(112, 112, 32), stem.output());
        assertEquals("2", stem.s());
        LayerCost block = s.layers().get(2);
        assertEquals("bottleneck", block.operator());
        assertEquals("6", block.t());
        assertEquals("24", block.c());
        assertEquals("2", block.n());
        assertEquals("2", block.s());
    }
}
