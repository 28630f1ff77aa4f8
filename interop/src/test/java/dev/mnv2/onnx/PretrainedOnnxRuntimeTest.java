package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.Images;
import dev.mnv2.model.Network;
import dev.mnv2.safetensors.Checkpoint;
import dev.mnv2.safetensors.Safetensors;
import dev.mnv2.testing.SharedData;
import dev.mnv2.tflite.TfliteModel;
import dev.mnv2.tflite.TfliteModels;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The published MobileNetV2 weights (dequantised from TFLite to float32) exported to ONNX: ONNX Runtime must
 * see the same Egyptian cat in cat.bmp with the same logits, and the ONNX and safetensors round trips must
 * give back bit-identical logits.
 */
class PretrainedOnnxRuntimeTest {
    private static final int EGYPTIAN_CAT = 286;

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2_1.0_224_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite"})
    void onnxRuntimeAgreesWithMnv2OnTheCat(String modelFile) throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model(modelFile));
        Network network = model.network();
        ImagePreprocessor preprocessor = ImagePreprocessor.builder(network.input().height(), network.input().width())
                .scaling(model.input().scaling()).build();
        Tensor cat = preprocessor.toTensor(Images.read(SharedData.data("images/cat.bmp")));
        float[] expected;
        try (Predictor predictor = Predictor.create(network)) {
            expected = predictor.logits(cat)[0];
        }
        assertEquals(EGYPTIAN_CAT, argmax(expected));

        byte[] onnx = OnnxExporter.builder().build().toBytes(network);
        float[] ort = OnnxRuntimeAgreementTest.runOrt(onnx, cat)[0];
        double diff = OnnxRuntimeAgreementTest.maxAbsDiff(new float[][] {expected}, new float[][] {ort}, 1);
        System.out.printf("ORT vs mnv2 %s on cat.bmp: max |logit| %.3f, max abs diff %.3g%n", modelFile,
                OnnxRuntimeAgreementTest.maxAbs(new float[][] {expected}), diff);
        assertEquals(EGYPTIAN_CAT, argmax(ort));
        assertTrue(diff <= OnnxRuntimeAgreementTest.TOLERANCE, "max abs diff " + diff);

        assertArrayEquals(expected, logitsOf(OnnxImporter.fromBytes(onnx).network(), cat), 0f, "ONNX round trip");
        Network reloaded = Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(Checkpoint.toBytes(network)))).network();
        assertEquals(network.labels(), reloaded.labels());
        assertArrayEquals(expected, logitsOf(reloaded, cat), 0f, "safetensors round trip");
    }

    private static float[] logitsOf(Network network, Tensor input) {
        try (Predictor predictor = Predictor.create(network)) {
            return predictor.logits(input)[0];
        }
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
