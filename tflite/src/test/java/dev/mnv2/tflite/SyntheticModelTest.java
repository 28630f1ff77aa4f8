package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.Activation;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.DeepLabV3Config;
import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.util.Float16;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

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

        MobileNetV2Config config = (MobileNetV2Config) model.network().config();
        assertEquals(0.35, config.width(), 1e-12);
        assertEquals(96, config.inputHeight());
        assertEquals(96, config.inputWidth());
        assertEquals(10, config.classes());
        assertEquals(labels, model.network().labels());
        assertEquals("float32", model.weightType());
        assertEquals(PixelScaling.MINUS_ONE_TO_ONE, model.input().scaling());
        assertEquals(original.parametersWithoutBatchNorm(), model.network().parametersWithoutBatchNorm());
        assertSameLogits(original, model.network(), 2);
    }

    @Test
    void widthResolutionExpansionAndBottleneckAreInferredFromTheFile() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.75).resolution(64, 96).classes(7)
                .expansion(4).bottleneck(Activation.RELU6), 5);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original));

        MobileNetV2Config config = (MobileNetV2Config) model.network().config();
        assertEquals(0.75, config.width(), 1e-12);
        assertEquals(64, config.inputHeight());
        assertEquals(96, config.inputWidth());
        assertEquals(7, config.classes());
        assertEquals(4, config.expansion());
        assertEquals(Activation.RELU6, config.bottleneckActivation());
        assertTrue(model.network().labels().isEmpty());
        assertSameLogits(original, model.network(), 1);
    }

    /** Widths whose channel rounding the last block alone does not pin down. */
    @ParameterizedTest
    @ValueSource(doubles = {1.02, 0.77, 1.33, 0.13})
    void unusualWidthsAreRecovered(double width) throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(width).resolution(32).classes(2), 3);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original));

        assertEquals(original.parametersWithoutBatchNorm(), model.network().parametersWithoutBatchNorm());
        assertSameLogits(original, model.network(), 1);
    }

    @Test
    void wideModelKeepsTheScaledLastConvolution() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(1.4).resolution(32).classes(3), 8);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original));

        assertEquals(1.4, model.network().config().width(), 1e-12);
        assertEquals(1792, model.network().classifier().inFeatures());
        assertSameLogits(original, model.network(), 1);
    }

    @Test
    void kerasLayoutWithPadMeanAndFullyConnectedImportsToIdenticalLogits() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.5).resolution(75).classes(4), 21);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original, TfliteWriter.Graph.KERAS,
                TfliteWriter.Weights.FLOAT32));

        assertEquals(75, model.network().config().inputHeight());
        assertSameLogits(original, model.network(), 1);
    }

    @Test
    void separateRelu6OperatorsAreFusedBack() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.35).resolution(32).classes(3), 13);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original, TfliteWriter.Graph.UNFUSED,
                TfliteWriter.Weights.FLOAT32));

        assertEquals(Activation.IDENTITY, ((MobileNetV2Config) model.network().config()).bottleneckActivation());
        assertSameLogits(original, model.network(), 1);
    }

    @Test
    void float16WeightsBehindDequantizeAreRoundedToHalfPrecisionOnly() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.35).resolution(48).classes(5), 4);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original, TfliteWriter.Graph.TF1,
                TfliteWriter.Weights.FLOAT16));

        assertEquals("float16", model.weightType());
        List<Conv2d> want = original.convolutions();
        List<Conv2d> got = model.network().convolutions();
        for (int c = 0; c < want.size(); c++) {
            float[] w = want.get(c).weight();
            float[] g = got.get(c).weight();
            for (int i = 0; i < w.length; i++) {
                assertEquals(Float16.toFloat(TfliteWriter.floatToHalf(w[i])), g[i], want.get(c).name());
                assertEquals(w[i], g[i], Math.abs(w[i]) / 1024 + 1e-7f, want.get(c).name());
            }
            assertArrayEquals(want.get(c).bias(), got.get(c).bias(), want.get(c).name());
        }
    }

    @Test
    void perChannelInt8WeightsAreDequantisedAlongTheirOwnAxis() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.35).resolution(40).classes(3), 9);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original, TfliteWriter.Graph.KERAS,
                TfliteWriter.Weights.INT8));

        assertEquals("int8", model.weightType());
        List<Conv2d> want = original.convolutions();
        List<Conv2d> got = model.network().convolutions();
        for (int c = 0; c < want.size(); c++) {
            Conv2d conv = want.get(c);
            float[] w = conv.weight();
            float[] g = got.get(c).weight();
            int out = conv.outChannels();
            float[] maxAbs = new float[out];
            for (int i = 0; i < w.length; i++) {
                maxAbs[i % out] = Math.max(maxAbs[i % out], Math.abs(w[i])); // HWIO: output channel is i % out
            }
            for (int i = 0; i < w.length; i++) {
                float halfStep = maxAbs[i % out] / 127 / 2;
                assertEquals(w[i], g[i], halfStep * 1.001f + 1e-9f, conv.name() + " weight " + i);
            }
        }
    }

    @Test
    void tf1QuantisedModelRecoversRelu6FromOutputRangesAndDequantisesPerTensor() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.35).resolution(32).classes(3), 17);

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original, TfliteWriter.Graph.TF1_QUANTIZED,
                TfliteWriter.Weights.UINT8));

        assertEquals("uint8", model.weightType());
        assertEquals(new PixelScaling(128, 128), model.input().scaling());
        List<Conv2d> want = original.convolutions();
        List<Conv2d> got = model.network().convolutions();
        for (int c = 0; c < want.size(); c++) {
            Conv2d conv = want.get(c);
            assertEquals(conv.activation(), got.get(c).activation(), conv.name());
            float[] w = conv.weight();
            float min = 0;
            float max = 0;
            for (float v : w) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            float halfStep = (max - min) / 255 / 2;
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], got.get(c).weight()[i], halfStep * 1.001f + 1e-9f, conv.name() + " weight " + i);
            }
            float[] b = conv.bias();
            for (int i = 0; i < b.length; i++) {
                assertEquals(b[i], got.get(c).bias()[i], Math.abs(b[i]) * 1e-5 + 1e-6, conv.name() + " bias " + i);
            }
        }
    }

    @Test
    void oversizedOrDamagedLabelArchivesCostOnlyTheLabels() throws Exception {
        Network original = randomNetwork(MobileNetV2.builder().width(0.1).resolution(32).classes(2), 1);
        byte[] model = TfliteWriter.write(original);
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(zipped)) {
            zip.putNextEntry(new ZipEntry("labels.txt"));
            byte[] line = "again\n".getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < (20 << 20) / line.length; i++) { // 20 MB inflated, a few kB stored
                zip.write(line);
            }
            zip.closeEntry();
        }
        byte[] bomb = concat(model, zipped.toByteArray());
        assertTrue(TfliteModels.load(bomb).network().labels().isEmpty());

        byte[] damaged = bomb.clone();
        damaged[model.length + 40] ^= 0x55;
        assertTrue(TfliteModels.load(damaged).network().labels().isEmpty());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aMobileNetV1IsRejectedNamingTheFirstOperatorThatDoesNotFit() {
        Network v1 = MobileNetV1.builder().width(0.25).resolution(64).classes(5).seed(1).build().foldBatchNorm();

        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> TfliteModels.load(TfliteWriter.write(v1)));

        assertTrue(e.getMessage().contains("operator #"), e.getMessage());
        assertTrue(e.getMessage().startsWith("not a MobileNetV2 classifier"), e.getMessage());
    }

    /** Mobile DeepLabv3 of any width, output stride and corner convention is read from the file alone. */
    @ParameterizedTest(name = "width {0}, {1}x{1}, output stride {2}, align corners {3}")
    @CsvSource({"0.5, 65, 16, true", "1.0, 49, 16, true", "0.5, 41, 8, false", "0.75, 33, 32, true"})
    void deepLabOfAnyWidthImportsToIdenticalLogits(double width, int resolution, int outputStride, boolean align)
            throws Exception {
        Network original = DeepLabV3.builder().width(width).resolution(resolution).outputStride(outputStride)
                .alignCorners(align).classes(6).headChannels(32).seed(resolution).build().foldBatchNorm();

        TfliteModel model = TfliteModels.load(TfliteWriter.write(original));

        DeepLabV3Config config = (DeepLabV3Config) model.network().config();
        assertEquals(width, config.width(), 1e-12);
        assertEquals(resolution, config.inputHeight());
        assertEquals(outputStride, config.backbone().outputStride());
        assertEquals(align, config.alignCorners());
        assertEquals(6, config.classes());
        assertEquals(32, config.headChannels());
        assertEquals(original.parametersWithoutBatchNorm(), model.network().parametersWithoutBatchNorm());
        assertSameLogits(original, model.network(), 1);
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
