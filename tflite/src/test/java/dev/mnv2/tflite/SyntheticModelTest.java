package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.Activation;
import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Models written by {@link TfliteWriter} from seeded random networks import back to the same network. */
class SyntheticModelTest {
    static Network randomNetwork(MobileNetV2.Builder builder, long seed) {
        return builder.seed(seed).build().foldBatchNorm();
    }

    @Test
    void smallFloatModelImportsToIdenticalLogits() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.35).resolution(96).classes(10), 11);
        List<String> labels = IntStream.range(0, 10).mapToObj(i -> "label " + i).toList();
        byte[] file = TfliteWriter.write(original.withLabels(labels));

        TfliteModel model = TfliteModels.load(file);

        MobileNetV2Config config = model.config();
        assertEquals(0.35, config.width(), 1e-12);
        assertEquals(96, config.inputHeight());
        assertEquals(96, config.inputWidth());
        assertEquals(10, config.classes());
        assertEquals(labels, model.network().labels());
        assertEquals("float32", model.weightType());
        assertEquals(PixelScaling.MINUS_ONE_TO_ONE, model.inputScaling());
        assertEquals(original.parametersWithoutBatchNorm(), model.network().parametersWithoutBatchNorm());
        assertSameLogits(original, model.network(), 2);
    }

    @Test
    void widthResolutionExpansionAndBottleneckAreInferredFromTheFile() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.75).resolution(64, 96).classes(7)
                .expansion(4).bottleneck(Activation.RELU6), 5);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original));

        MobileNetV2Config config = model.config();
        assertEquals(0.75, config.width(), 1e-12);
        assertEquals(64, config.inputHeight());
        assertEquals(96, config.inputWidth());
        assertEquals(7, config.classes());
        assertEquals(4, config.expansion());
        assertEquals(Activation.RELU6, config.bottleneckActivation());
        assertTrue(model.network().labels().isEmpty());
        assertSameLogits(original, model.network(), 1);
    }

    @Test
    void wideModelKeepsTheScaledLastConvolution() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(1.4).resolution(32).classes(3), 8);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original));

        assertEquals(1.4, model.config().width(), 1e-12);
        assertEquals(1792, model.network().classifier().inFeatures());
        assertSameLogits(original, model.network(), 1);
    }

    @Test
    void aMobileNetV1IsRejectedNamingTheFirstOperatorThatDoesNotFit() {
        Network v1 = MobileNetV1.builder().width(0.25).resolution(64).classes(5).seed(1).build().foldBatchNorm();

        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> TfliteModels.load(TfliteWriter.write(v1)));

        assertTrue(e.getMessage().contains("operator #"), e.getMessage());
        assertTrue(e.getMessage().startsWith("not a MobileNetV2 classifier"), e.getMessage());
    }

    static void assertSameLogits(Network expected, Network actual, int batch) {
        Tensor input = Tensor.zeros(batch, expected.input());
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < input.data().length; i++) {
            input.data()[i] = (float) (2 * random.nextDouble() - 1);
        }
        try (Predictor a = Predictor.create(expected); Predictor b = Predictor.create(actual)) {
            float[][] want = a.logits(input);
            float[][] got = b.logits(input);
            for (int n = 0; n < batch; n++) {
                assertArrayEquals(want[n], got[n], "image " + n);
            }
        }
    }
}
