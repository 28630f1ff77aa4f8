package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.Images;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.model.ArgMax;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.testing.SharedData;
import dev.mnv2.tflite.TfliteModel;
import dev.mnv2.tflite.TfliteModels;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ONNX Runtime runs the exported Mobile DeepLabv3 graphs (dilated depthwise convs, image pooling, Concat,
 * Resize with align_corners or half_pixel) and must give mnv2's per-pixel logits to 1e-4 of the largest
 * |logit| (the logits are scaled by their largest magnitude, so the bound means the same for random and
 * trained weights) and the same argmax class on at least 99.9 % of the pixels.
 */
class OnnxSegmentationRuntimeTest {
    static final double RELATIVE_TOLERANCE = 1e-4;
    static final double ARGMAX_AGREEMENT = 0.999;

    /** What ORT and mnv2 made of the same images. */
    record Agreement(double maxAbsDiff, double maxAbsLogit, long pixelsAgreeing, long pixels) {
        double relative() {
            return maxAbsDiff / maxAbsLogit;
        }

        double argmaxFraction() {
            return pixelsAgreeing / (double) pixels;
        }

        void check(String what) {
            System.out.printf(Locale.ROOT, "ORT vs mnv2 %s: max |logit| %.3f, max |logit diff| %.3g absolute, %.3g "
                            + "relative to max |logit|; argmax equal on %d of %d pixels (%.4f %%)%n", what, maxAbsLogit,
                    maxAbsDiff, relative(), pixelsAgreeing, pixels, 100 * argmaxFraction());
            assertTrue(relative() <= RELATIVE_TOLERANCE, what + ": max |logit diff| / max |logit| " + relative());
            assertTrue(argmaxFraction() >= ARGMAX_AGREEMENT, what + ": argmax agrees on " + argmaxFraction());
        }
    }

    @ParameterizedTest(name = "alpha {0} at {1}px, output stride {2}, align corners {3}, {4} padding")
    @CsvSource({"0.5, 129, 16, true, same", "0.35, 96, 8, false, same", "0.5, 65, 32, true, symmetric",
            "0.35, 80, 16, false, symmetric"})
    void randomDeepLabAgreesAtBatchTwo(double width, int resolution, int outputStride, boolean alignCorners,
                                       String padding) throws OrtException {
        Network network = DeepLabV3.builder().width(width).resolution(resolution).outputStride(outputStride)
                .alignCorners(alignCorners).padding(padding.equals("same") ? Padding.same() : Padding.symmetric(1))
                .classes(21).headChannels(64).seed(resolution + outputStride).build();
        Tensor images = OnnxRuntimeAgreementTest.randomImages(2, network.input(), 5);
        Tensor expected = mnv2Logits(network, images);
        byte[] onnx = OnnxExporter.builder().build().toBytes(network);
        compare(expected, ortLogits(onnx, images)).check(String.format(Locale.ROOT,
                "random DeepLabv3 %.2f/%d OS %d %s %s", width, resolution, outputStride,
                alignCorners ? "align_corners" : "half_pixel", padding));
    }

    @Test
    void unfoldedBatchNormsAndSoftmaxAgree() throws OrtException {
        Network network = DeepLabV3.builder().width(0.35).resolution(97).classes(5).headChannels(32).seed(3).build();
        Tensor images = OnnxRuntimeAgreementTest.randomImages(1, network.input(), 6);
        Tensor expected = mnv2Logits(network, images);
        softmaxOverChannels(expected);
        byte[] onnx = OnnxExporter.builder().foldBatchNorm(false).softmax(true).build().toBytes(network);
        Agreement a = compare(expected, ortLogits(onnx, images));
        a.check("DeepLabv3 0.35/97 with BatchNormalization nodes and Softmax (probabilities)");
    }

    @Test
    void publishedDeepLabOnTheBirdAgrees() throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model("deeplabv3_mnv2_pascal_quant.tflite"));
        Network network = model.network();
        Shape in = network.input();
        ImagePreprocessor preprocessor = ImagePreprocessor.builder(in.height(), in.width()).centralCrop(1.0)
                .scaling(model.input().scaling()).build();
        Tensor bird = preprocessor.toTensor(Images.read(SharedData.data("images/bird_segmentation.bmp")));
        Tensor expected = mnv2Logits(network, bird);
        byte[] onnx = OnnxExporter.builder().build().toBytes(network);
        compare(expected, ortLogits(onnx, bird))
                .check("deeplabv3_mnv2_pascal_quant.tflite (513x513, OS 16) on bird_segmentation.bmp");
        LoadedModel reloaded = OnnxImporter.fromBytes(OnnxExporter.builder().build().toBytes(model.loaded()));
        assertEquals(model.input(), reloaded.input(), "pixel scaling and labels");
        assertArrayEquals(expected.data(), mnv2Logits(reloaded.network(), bird).data(), 0f, "ONNX round trip");
    }

    /** A network ending in the segmentation task's ArgMax: ORT's int64 classes are mnv2's, pixel for pixel. */
    @Test
    void argMaxEndedExportGivesMnv2sClasses() throws OrtException {
        Network network = DeepLabV3.builder().width(0.35).resolution(81).classes(6).headChannels(16).seed(4).build()
                .then(new ArgMax("argmax"));
        Tensor images = OnnxRuntimeAgreementTest.randomImages(2, network.input(), 12);
        float[] expected = mnv2Logits(network, images).data();
        long[] classes;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(OnnxExporter.builder().build().toBytes(network));
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(OnnxRuntimeAgreementTest.toNchw(images)),
                     new long[] {2, 3, 81, 81});
             OrtSession.Result result = session.run(Map.of(OnnxExporter.INPUT, input))) {
            LongBuffer buffer = ((OnnxTensor) result.get(OnnxExporter.CLASSES).orElseThrow()).getLongBuffer();
            classes = new long[buffer.remaining()];
            buffer.get(classes);
        }
        assertEquals(expected.length, classes.length);
        long equal = 0;
        for (int i = 0; i < classes.length; i++) {
            equal += classes[i] == (long) expected[i] ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "ORT vs mnv2 ArgMax-ended DeepLabv3 0.35/81: %d of %d classes equal%n", equal,
                classes.length);
        assertTrue(equal >= ARGMAX_AGREEMENT * classes.length, equal + " of " + classes.length);
    }

    static Tensor mnv2Logits(Network network, Tensor images) {
        try (Predictor predictor = Predictor.create(network)) {
            return predictor.forward(images);
        }
    }

    /** ORT's main output of {@code onnx} on {@code images}, NCHW, as one flat array. */
    static float[] ortLogits(byte[] onnx, Tensor images) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx, options);
                 OnnxTensor input = OnnxTensor.createTensor(env,
                         FloatBuffer.wrap(OnnxRuntimeAgreementTest.toNchw(images)),
                         new long[] {images.batch(), 3, images.shape().height(), images.shape().width()});
                 OrtSession.Result result = session.run(Map.of(OnnxExporter.INPUT, input))) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                FloatBuffer buffer = out.getFloatBuffer();
                float[] values = new float[buffer.remaining()];
                buffer.get(values);
                return values;
            }
        }
    }

    /** mnv2's NHWC logits against ORT's NCHW ones: largest difference and per-pixel argmax (first on ties). */
    static Agreement compare(Tensor expected, float[] nchw) {
        Shape s = expected.shape();
        int h = s.height();
        int w = s.width();
        int c = s.channels();
        assertEquals(expected.data().length, nchw.length, "ORT output size");
        double maxDiff = 0;
        double maxAbs = 0;
        long agreeing = 0;
        for (int n = 0; n < expected.batch(); n++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int best = 0;
                    int ortBest = 0;
                    for (int ch = 0; ch < c; ch++) {
                        float mine = expected.get(n, y, x, ch);
                        float theirs = nchw[((n * c + ch) * h + y) * w + x];
                        maxDiff = Math.max(maxDiff, Math.abs(mine - theirs));
                        maxAbs = Math.max(maxAbs, Math.abs(mine));
                        if (mine > expected.get(n, y, x, best)) {
                            best = ch;
                        }
                        if (theirs > nchw[((n * c + ortBest) * h + y) * w + x]) {
                            ortBest = ch;
                        }
                    }
                    agreeing += best == ortBest ? 1 : 0;
                }
            }
        }
        return new Agreement(maxDiff, maxAbs, agreeing, (long) expected.batch() * h * w);
    }

    /** Softmax over the channels of every pixel, in place, as ONNX's Softmax over axis 1 of NCHW. */
    static void softmaxOverChannels(Tensor t) {
        int c = t.shape().channels();
        float[] pixel = new float[c];
        for (int p = 0; p < t.data().length; p += c) {
            System.arraycopy(t.data(), p, pixel, 0, c);
            ImageClassifier.softmax(pixel);
            System.arraycopy(pixel, 0, t.data(), p, c);
        }
    }
}
