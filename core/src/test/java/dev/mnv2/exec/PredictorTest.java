package dev.mnv2.exec;

import static dev.mnv2.testing.RandomData.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.reference.Reference;
import dev.mnv2.reference.ReferenceMobileNetV1;
import dev.mnv2.reference.ReferenceMobileNetV2;
import dev.mnv2.testing.RandomData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole networks on seeded random weights against the independent reference walks of the papers' tables
 * ({@link ReferenceMobileNetV2}, {@link ReferenceMobileNetV1}): widths, resolutions, both paddings, every
 * ablation.
 */
class PredictorTest {

    private static void assertMatchesReference(Network network, Tensor expected, Tensor x) {
        try (Predictor predictor = Predictor.create(network)) {
            Tensor actual = predictor.forward(x);
            assertEquals(new Shape(1, 1, network.classes()), actual.shape());
            double scale = 1;
            for (float v : expected.data()) scale = Math.max(scale, Math.abs(v));
            double diff = maxAbsDifference(expected.data(), actual.data());
            assertTrue(diff <= 1e-4 * scale, "max abs difference " + diff + " for logits up to " + scale);
        }
    }

    private static void assertMatchesReference(Network network, int batch) {
        Tensor x = RandomData.tensor(batch, network.input(), 42);
        assertMatchesReference(network, ReferenceMobileNetV2.forward(network, x), x);
    }

    @ParameterizedTest(name = "{0}/{1}x{2} {3}, bottleneck {4}, shortcut {5}, t {6}")
    @CsvSource({
        // width, height, width in pixels, padding (-1 = TF SAME), bottleneck, shortcut, expansion (0 = Table 2)
        "0.35, 96, 96, -1, linear, bottleneck, 0",
        "0.35, 96, 96, -1, relu6, bottleneck, 0",
        "0.35, 96, 96, -1, linear, expansion, 0",
        "0.35, 96, 96, -1, linear, none, 0",
        "0.35, 96, 96, 1, relu6, expansion, 0",
        "0.5, 64, 80, -1, linear, bottleneck, 4",
        "0.5, 97, 64, 1, linear, bottleneck, 0",
        "0.75, 128, 128, 1, linear, bottleneck, 0",
        "1.3, 96, 96, 1, linear, none, 3",
        "1.4, 160, 160, -1, linear, bottleneck, 0"})
    void mobileNetV2MatchesTheReferenceWalkOfTable2(double width, int height, int widthPixels, int pad,
                                                    String bottleneck, String shortcut, int expansion) {
        Network network = MobileNetV2.builder().width(width).resolution(height, widthPixels).classes(17)
                .padding(pad < 0 ? Padding.same() : Padding.symmetric(pad)).bottleneck(bottleneck).shortcut(shortcut)
                .expansion(expansion).seed(height * 31L + pad + expansion).build();
        assertMatchesReference(network, 2);
    }

    @Test
    void fullSizeMobileNetV2MatchesReference() {
        assertMatchesReference(MobileNetV2.builder().width(1.0).resolution(224).classes(1000).seed(1).build(), 1);
    }

    @Test
    void fullSizeTorchvisionPaddedMobileNetV2MatchesReference() {
        assertMatchesReference(MobileNetV2.builder().width(1.0).resolution(224).classes(1000)
                .padding(Padding.symmetric(1)).batchNormEpsilon(1e-5f).seed(5).build(), 1);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1})
    void mobileNetV1MatchesReference(int pad) {
        Network network = MobileNetV1.builder().width(0.25).resolution(64).classes(5)
                .padding(pad < 0 ? Padding.same() : Padding.symmetric(pad)).seed(2).build();
        Tensor x = RandomData.tensor(1, network.input(), 42);
        assertMatchesReference(network, ReferenceMobileNetV1.forward(network, x), x);
    }

    /**
     * A batch runs its classifier once over every image's features (one row each); the logits must be
     * those of the images one by one, to the bit: with one image per thread, layers split over threads, and
     * both, class counts that reach the scalar tail (10) and every strip width (1000).
     */
    @ParameterizedTest(name = "batch {0}, {1} threads, {2} classes")
    @CsvSource({"3, 2, 10", "2, 1, 1000", "5, 1, 10", "5, 2, 1000", "9, 3, 1000", "2, 3, 1000"})
    void batchGivesTheSameLogitsAsSingleImages(int images, int threads, int classes) {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(classes).seed(9).build();
        Tensor batch = RandomData.tensor(images, network.input(), 8);
        try (Predictor predictor = Predictor.builder(network).threads(threads).build()) {
            float[][] together = predictor.logits(batch);
            for (int n = 0; n < images; n++) {
                Tensor single = new Tensor(1, batch.shape(), batch.image(n));
                assertArrayEquals(predictor.logits(single)[0], together[n], "image " + n);
            }
        }
    }

    @Test
    void predictorDoesNotChangeTheNetworksParameters() {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(10).seed(4).build();
        float[] before = network.convolutions().get(0).weight().clone();
        try (Predictor predictor = Predictor.create(network)) {
            predictor.forward(RandomData.tensor(1, network.input(), 1));
        }
        assertArrayEquals(before, network.convolutions().get(0).weight());
        assertTrue(network.convolutions().get(0).batchNorm() != null, "folding works on copies");
    }

    @Test
    void wrongInputShapeIsRejectedWithBothShapes() {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(10).build();
        try (Predictor predictor = Predictor.create(network)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> predictor.forward(Tensor.zeros(1, new Shape(32, 32, 3))));
            assertTrue(e.getMessage().contains("64x64x3") && e.getMessage().contains("32x32x3"), e.getMessage());
        }
    }
}
