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
import dev.mnv2.testing.RandomData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Whole networks on seeded random weights against the layer-by-layer naive reference. */
class PredictorTest {

    private static void assertMatchesReference(Network network, int batch) {
        Tensor x = RandomData.tensor(batch, network.input(), 42);
        Tensor expected = Reference.forward(network, x);
        try (Predictor predictor = Predictor.create(network)) {
            Tensor actual = predictor.forward(x);
            assertEquals(new Shape(1, 1, network.classes()), actual.shape());
            double scale = 1;
            for (float v : expected.data()) scale = Math.max(scale, Math.abs(v));
            double diff = maxAbsDifference(expected.data(), actual.data());
            assertTrue(diff <= 1e-4 * scale, "max abs difference " + diff + " for logits up to " + scale);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear/bottleneck", "relu6/bottleneck", "linear/expansion", "linear/none"})
    void smallMobileNetV2MatchesReferenceForEveryAblation(String variant) {
        String[] parts = variant.split("/");
        Network network = MobileNetV2.builder().width(0.35).resolution(96).classes(10)
                .bottleneck(parts[0]).shortcut(parts[1]).seed(variant.hashCode()).build();
        assertMatchesReference(network, 2);
    }

    @Test
    void oddNonSquareInputWithTorchvisionPadding() {
        Network network = MobileNetV2.builder().width(0.5).resolution(97, 64).classes(7)
                .padding(Padding.symmetric(1)).seed(3).build();
        assertMatchesReference(network, 1);
    }

    @Test
    void fullSizeMobileNetV2MatchesReference() {
        assertMatchesReference(MobileNetV2.builder().width(1.0).resolution(224).classes(1000).seed(1).build(), 1);
    }

    @Test
    void mobileNetV1MatchesReference() {
        assertMatchesReference(MobileNetV1.builder().width(0.25).resolution(64).classes(5).seed(2).build(), 1);
    }

    @Test
    void batchGivesTheSameLogitsAsSingleImages() {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(10).seed(9).build();
        Tensor batch = RandomData.tensor(3, network.input(), 8);
        try (Predictor predictor = Predictor.create(network)) {
            float[][] together = predictor.logits(batch);
            for (int n = 0; n < 3; n++) {
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
