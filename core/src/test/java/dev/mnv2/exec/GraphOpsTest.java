package dev.mnv2.exec;

import static dev.mnv2.testing.RandomData.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.ArgMax;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.Padding;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import dev.mnv2.reference.GraphReference;
import dev.mnv2.testing.RandomData;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The graph operators (k×k average pool, bilinear resize in TFLite's three coordinate conventions, argmax,
 * concat inside the DeepLab head) and whole branching networks on every execution path, against the naive
 * references; taps on inner tensors; buffers reused by liveness.
 */
class GraphOpsTest {

    @ParameterizedTest(name = "{0}x{1}x{2} pool {3}x{4}/{5} pad {6}")
    @CsvSource({
        // h, w, c, kernel h, kernel w, stride, padding (-1 = SAME)
        "9, 9, 8, 3, 3, 2, -1",
        "8, 7, 19, 3, 3, 1, -1",
        "6, 7, 5, 2, 3, 1, 0",
        "5, 5, 17, 5, 5, 1, 0"})   // the whole map: the global pooling kernel
    void averagePoolMatchesReference(int h, int w, int c, int kh, int kw, int stride, int pad) {
        AveragePool pool = new AveragePool("pool", kh, kw, stride, pad < 0 ? Padding.same() : Padding.valid());
        Tensor x = RandomData.tensor(2, new Shape(h, w, c), h * 31L + kw);
        KernelsTest.assertEveryPathMatches(pool, x, GraphReference.averagePool(pool, x), 1e-5);
    }

    @ParameterizedTest(name = "{0}x{1}x{2} -> {3}x{4} align {5} half {6}")
    @CsvSource({
        "33, 33, 21, 513, 513, true, false",  // the published head's final upsampling
        "1, 1, 16, 9, 7, true, false",        // image pooling back to the map
        "5, 7, 3, 11, 4, false, true",        // torchvision's align_corners=False, up and down
        "5, 7, 3, 11, 4, false, false",       // TFLite's legacy default
        "8, 8, 9, 8, 8, true, false"})        // same size: a copy
    void resizeIsExactlyTheReference(int h, int w, int c, int outH, int outW, boolean align, boolean half) {
        ResizeBilinear resize = new ResizeBilinear("resize", outH, outW, align, half);
        Tensor x = RandomData.tensor(1, new Shape(h, w, c), outH * 7L + c);
        Tensor expected = GraphReference.resizeBilinear(resize, x);
        KernelsTest.assertEveryPathMatches(resize, x, expected, Double.MIN_VALUE);
        if (h == outH && w == outW) {
            assertArrayEquals(x.data(), expected.data(), "aligned same-size resize is the identity");
        }
    }

    @Test
    void alignedCornersLandOnInputPixels() {
        ResizeBilinear resize = new ResizeBilinear("resize", 5, 5, true, false);
        Tensor x = new Tensor(1, new Shape(3, 3, 1), new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8});
        Tensor y = GraphReference.resizeBilinear(resize, x);
        assertEquals(0f, y.get(0, 0, 0, 0));
        assertEquals(2f, y.get(0, 0, 4, 0));
        assertEquals(8f, y.get(0, 4, 4, 0));
        assertEquals(4f, y.get(0, 2, 2, 0));
        assertEquals(0.5f, y.get(0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ResizeBilinear("r", 2, 2, true, true));
    }

    @Test
    void argMaxIsTheFirstLargestChannel() {
        Tensor x = RandomData.tensor(2, new Shape(5, 6, 21), 3);
        x.data()[x.index(0, 0, 0, 4)] = 100;
        x.data()[x.index(0, 0, 0, 9)] = 100;
        Tensor expected = GraphReference.argMax(x);
        assertEquals(4f, expected.get(0, 0, 0, 0), "ties go to the lower index");
        KernelsTest.assertEveryPathMatches(new ArgMax("argmax"), x, expected, Double.MIN_VALUE);
    }

    @ParameterizedTest(name = "width {0}, {1}x{1}, output stride {2}, align corners {3}")
    @CsvSource({"0.35, 65, 16, true", "0.35, 48, 8, false", "0.5, 33, 32, true"})
    void deepLabMatchesReferenceOnEveryPath(double width, int resolution, int outputStride, boolean align) {
        Network network = DeepLabV3.builder().width(width).resolution(resolution).outputStride(outputStride)
                .alignCorners(align).classes(5).headChannels(24).seed(resolution).build();
        Tensor x = RandomData.tensor(1, network.input(), 11);
        Tensor expected = GraphReference.forward(network, x).get(DeepLabV3.OUTPUT);
        double scale = maxAbs(expected.data());
        float[] first = null;
        for (Predictor p : Networks.allPredictors(network)) {
            try (p) {
                Tensor actual = p.forward(x);
                double diff = maxAbsDifference(expected.data(), actual.data());
                assertTrue(diff < 1e-4 * Math.max(1, scale), Networks.describe(p) + ": max abs difference " + diff
                        + " on logits up to " + scale);
                if (first == null) {
                    first = actual.data();
                } else {
                    assertArrayEquals(first, actual.data(), "bit-identical across paths: " + Networks.describe(p));
                }
            }
        }
    }

    @Test
    void anyInnerTensorCanBeTappedIncludingABlocksExpansion() {
        Network network = MobileNetV2.builder().width(0.5).resolution(64).classes(7).seed(8).build();
        String expansion = ((InvertedResidual) network.nodes().get(15).layer()).expand().name();
        assertEquals("features.15.conv.0.0", expansion, "SSDLite's first head reads this tensor");
        Tensor x = RandomData.tensor(2, network.input(), 4);
        Map<String, Tensor> expected = GraphReference.forward(network, x);
        for (ExecutionMode mode : ExecutionMode.values()) {
            for (int threads : new int[] {1, 2}) {
                try (Predictor p = Predictor.builder(network).mode(mode).threads(threads)
                        .outputs("classifier.1", expansion, "features.15", "features.3").build()) {
                    assertEquals(List.of("classifier.1", expansion, "features.15", "features.3"), p.outputs());
                    assertEquals(network.shape(expansion), p.outputShape(expansion));
                    Map<String, Tensor> got = p.forwardAll(x);
                    for (Map.Entry<String, Tensor> e : got.entrySet()) {
                        double diff = maxAbsDifference(expected.get(e.getKey()).data(), e.getValue().data());
                        assertTrue(diff < 1e-3, mode + " " + e.getKey() + ": " + diff);
                    }
                    try (Predictor plain = Predictor.builder(network).mode(mode).threads(threads).build()) {
                        assertArrayEquals(plain.forward(x).data(), got.get("classifier.1").data(),
                                "taps do not change the main output");
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Predictor.builder(network).outputs("features.99"));
    }

    @Test
    void buffersAreReusedByLiveness() {
        // A chain of fused blocks ping-pongs between two buffers besides the caller's input; the late blocks,
        // run layer by layer, add one for their third live tensor (14x14x384, features.8-11's expansions).
        BufferLayout chain = new BufferLayout(MobileNetV2.builder().width(1.0).resolution(224).classes(1000).config()
                .spec(), ExecutionMode.MEMORY_EFFICIENT, List.of("classifier.1"));
        assertEquals(4, chain.sharedFloats.length);
        assertEquals(112 * 112 * 32, chain.sharedFloats[1], "the stem's output and every other block's");
        assertEquals(112 * 112 * 16, chain.sharedFloats[2], "block 1's output and every other block's");
        assertEquals(14 * 14 * 384, chain.sharedFloats[3]);
        // The DeepLab head branches: the feature map stays live across both branches, the rest is reused.
        NetworkSpec deeplab = DeepLabV3.builder().width(0.35).resolution(65).classes(5).config().spec();
        BufferLayout layout = new BufferLayout(deeplab, ExecutionMode.MEMORY_EFFICIENT, deeplab.outputs());
        long everyTensor = deeplab.tensorShapes().values().stream().mapToLong(Shape::elements).sum();
        long planned = java.util.Arrays.stream(layout.sharedFloats).sum();
        assertTrue(planned < everyTensor / 2, planned + " floats planned for tensors of " + everyTensor);
        assertTrue(layout.sharedFloats.length <= 5, layout.sharedFloats.length + " buffers");
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
