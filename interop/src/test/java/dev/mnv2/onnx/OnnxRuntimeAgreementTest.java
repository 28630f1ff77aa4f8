package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.mnv2.exec.Predictor;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import dev.mnv2.model.Shortcut;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ONNX Runtime, an independent implementation, runs the exported graph and must give mnv2's logits to a
 * max absolute difference of 1e-4, unscaled (the random models' logits reach about 10 in magnitude).
 */
class OnnxRuntimeAgreementTest {
    static final double TOLERANCE = 1e-4;
    @ParameterizedTest(name = "alpha {0} at {1}px")
    @CsvSource({"0.35, 96", "0.35, 160", "0.35, 224", "1.0, 96", "1.0, 160", "1.0, 224",
            "1.4, 96", "1.4, 160", "1.4, 224"})
    void exportedRandomModelMatchesMnv2AtBatchOneAndFour(double width, int resolution) throws OrtException {
        Network network = MobileNetV2.builder().width(width).resolution(resolution).classes(1000)
                .seed(Math.round(width * 1000) + resolution).build();
        Tensor images = randomImages(4, network.input(), 42);
        float[][] expected;
        try (Predictor predictor = Predictor.create(network)) {
            expected = predictor.logits(images);
        }
        byte[] onnx = OnnxExporter.builder().build().toBytes(network);
        float[][] batch4 = runOrt(onnx, images);
        float[][] batch1 = runOrt(onnx, new Tensor(1, images.shape(), images.image(0)));
        double diff4 = maxAbsDiff(expected, batch4, 4);
        double diff1 = maxAbsDiff(expected, batch1, 1);
        System.out.printf("ORT vs mnv2 alpha %.2f %dpx: max |logit| %.3f, max abs diff batch1 %.3g batch4 %.3g%n",
                width, resolution, maxAbs(expected), diff1, diff4);
        assertTrue(diff4 <= TOLERANCE, "batch 4 max abs diff " + diff4 + " > " + TOLERANCE);
        assertTrue(diff1 <= TOLERANCE, "batch 1 max abs diff " + diff1 + " > " + TOLERANCE);
    }

    @Test
    void unfoldedBatchNormsAblationsSoftmaxAndNonSquareInputAgreeToo() throws OrtException {
        Network network = MobileNetV2.builder().width(0.75).resolution(128, 96).classes(20).seed(12)
                .bottleneck("relu6").shortcut(Shortcut.EXPANSION).expansion(4).build();
        Tensor images = randomImages(2, network.input(), 9);
        float[][] expected;
        try (Predictor predictor = Predictor.create(network)) {
            expected = predictor.logits(images);
        }
        for (float[] row : expected) {
            ImageClassifier.softmax(row);
        }
        byte[] onnx = OnnxExporter.builder().foldBatchNorm(false).softmax(true).build().toBytes(network);
        double diff = maxAbsDiff(expected, runOrt(onnx, images), 2);
        System.out.printf("ORT vs mnv2 unfolded BN + ablations + softmax 128x96: max abs diff of probabilities %.3g%n", diff);
        assertTrue(diff <= TOLERANCE, "max abs diff " + diff);
    }

    @Test
    void identityBatchNormsOfAFoldedNetworkAgree() throws OrtException {
        Network folded = MobileNetV2.builder().width(0.5).resolution(96).classes(10).seed(4).build().foldBatchNorm();
        Tensor images = randomImages(1, folded.input(), 8);
        float[][] expected;
        try (Predictor predictor = Predictor.create(folded)) {
            expected = predictor.logits(images);
        }
        double diff = maxAbsDiff(expected, runOrt(OnnxExporter.builder().foldBatchNorm(false).build().toBytes(folded),
                images), 1);
        System.out.printf("ORT vs mnv2 folded network with identity BatchNormalization nodes: max abs diff %.3g%n", diff);
        assertTrue(diff <= TOLERANCE, "max abs diff " + diff);
    }

    @Test
    void mobileNetV1ExportAgrees() throws OrtException {
        Network network = MobileNetV1.builder().width(0.5).resolution(128).classes(10).seed(3).build();
        Tensor images = randomImages(1, network.input(), 10);
        float[][] expected;
        try (Predictor predictor = Predictor.create(network)) {
            expected = predictor.logits(images);
        }
        double diff = maxAbsDiff(expected, runOrt(OnnxExporter.builder().build().toBytes(network), images), 1);
        System.out.printf("ORT vs mnv2 MobileNetV1 0.5/128: max abs diff %.3g%n", diff);
        assertTrue(diff <= TOLERANCE, "max abs diff " + diff);
    }

    static float[][] runOrt(byte[] model, Tensor images) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(model, options);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(toNchw(images)),
                         new long[] {images.batch(), 3, images.shape().height(), images.shape().width()});
                 OrtSession.Result result = session.run(Map.of(OnnxExporter.INPUT, input))) {
                float[][] out = (float[][]) result.get(0).getValue();
                assertEquals(images.batch(), out.length);
                return out;
            }
        }
    }

    static Tensor randomImages(int batch, Shape shape, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[Math.toIntExact(batch * shape.elements())];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return new Tensor(batch, shape, data);
    }

    /** NHWC (mnv2) to NCHW (ONNX). */
    static float[] toNchw(Tensor t) {
        int h = t.shape().height();
        int w = t.shape().width();
        int c = t.shape().channels();
        float[] out = new float[t.data().length];
        for (int n = 0; n < t.batch(); n++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < c; ch++) {
                        out[((n * c + ch) * h + y) * w + x] = t.get(n, y, x, ch);
                    }
                }
            }
        }
        return out;
    }

    static double maxAbsDiff(float[][] expected, float[][] actual, int rows) {
        double max = 0;
        for (int n = 0; n < rows; n++) {
            assertEquals(expected[n].length, actual[n].length);
            for (int i = 0; i < expected[n].length; i++) {
                max = Math.max(max, Math.abs(expected[n][i] - actual[n][i]));
            }
        }
        return max;
    }

    static double maxAbs(float[][] values) {
        double max = 0;
        for (float[] row : values) {
            for (float v : row) {
                max = Math.max(max, Math.abs(v));
            }
        }
        return max;
    }
}
