package dev.mnv2.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.image.Images;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.load.InputSpec;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelFormatException;
import dev.mnv2.load.Models;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.onnx.OnnxExporter;
import dev.mnv2.onnx.OnnxFormatException;
import dev.mnv2.onnx.OnnxImporter;
import dev.mnv2.safetensors.Checkpoint;
import dev.mnv2.safetensors.Safetensors;
import dev.mnv2.safetensors.SafetensorsFormatException;
import dev.mnv2.testing.SharedData;
import dev.mnv2.tflite.TfliteModels;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports carry the input spec, so that loading an export gives the model, and the scores, of its source. */
class ExportRoundTripTest {
    @TempDir
    Path dir;

    private static final Network NETWORK = MobileNetV2.builder().width(0.35).resolution(64, 48).classes(3).seed(9).build();
    /** A scaling neither convention has, which a reader could only get from the metadata. */
    private static final PixelScaling OWN = new PixelScaling(120.5f, 110.25f, 100.125f, 60f, 0.229f * 255, 1f / 3);
    private static final LoadedModel MODEL = new LoadedModel(NETWORK, new InputSpec(64, 48, OWN, List.of("a", "b", "c")));

    private static float[] logits(Network network) {
        Tensor image = Tensor.zeros(1, network.input());
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < image.data().length; i++) {
            image.data()[i] = (float) random.nextGaussian();
        }
        try (Predictor predictor = Predictor.create(network)) {
            return predictor.logits(image)[0];
        }
    }

    @Test
    void bothFormatsGiveBackTheInputSpecAndTheLogits() throws Exception {
        LoadedModel onnx = OnnxImporter.fromBytes(OnnxExporter.builder().build().toBytes(MODEL));
        LoadedModel safetensors = Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(Checkpoint.toBytes(MODEL))));

        for (LoadedModel read : List.of(onnx, safetensors)) {
            assertEquals(MODEL.input(), read.input());
            assertEquals(MODEL.task(), read.task());
            assertArrayEquals(logits(NETWORK), logits(read.network()), 1e-5f);
        }
    }

    @Test
    void filesWithoutMnv2MetadataGetTheConventionOfTheirLayout() throws Exception {
        var exported = OnnxExporter.builder().build().toModel(MODEL).toBuilder().clearMetadataProps().build();
        assertEquals(PixelScaling.MINUS_ONE_TO_ONE, OnnxImporter.fromModel(exported).input().scaling(),
                "TensorFlow SAME pads");
        assertTrue(OnnxImporter.fromModel(exported).input().labels().isEmpty());

        Network torchvision = MobileNetV2.builder().width(0.35).resolution(224).classes(3).padding(Padding.symmetric(1))
                .batchNormEpsilon(1e-5f).seed(2).build();
        byte[] stateDict = Safetensors.toBytes(Map.of(), Checkpoint.stateDict(torchvision));
        assertEquals(PixelScaling.IMAGENET, Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(stateDict)))
                .input().scaling(), "a torchvision state_dict");
    }

    /** The measurement: the TFLite file gave 0.762 on cat.bmp, its export 0.760; now the same scores. */
    @Test
    void thePublishedModelsExportsClassifyAsItDoes() throws Exception {
        LoadedModel source = TfliteModels.load(SharedData.model("mobilenet_v2_1.0_224_quant.tflite")).loaded();
        BufferedImage cat = Images.read(SharedData.data("images/cat.bmp"));
        Path onnx = dir.resolve("mnv2.onnx");
        Path safetensors = dir.resolve("mnv2.safetensors");
        OnnxExporter.builder().build().write(source, onnx);
        Checkpoint.save(source, safetensors);

        float[] expected;
        try (ImageClassifier classifier = ImageClassifier.create(source)) {
            expected = classifier.probabilities(cat);
        }
        for (Path file : List.of(onnx, safetensors)) {
            LoadedModel read = Models.load(file);
            assertEquals(source.input(), read.input(), file.toString());
            float[] actual;
            try (ImageClassifier classifier = ImageClassifier.create(read)) {
                actual = classifier.probabilities(cat);
            }
            System.out.printf("%s: 286 Egyptian cat %.6f (TFLite source %.6f)%n", file.getFileName(), actual[286],
                    expected[286]);
            assertArrayEquals(expected, actual, 0f, file.toString());
        }
    }

    @Test
    void corruptExportsAreOneFormatExceptionNamingTheFile() throws Exception {
        byte[] onnxBytes = OnnxExporter.builder().build().toBytes(MODEL);
        byte[] checkpointBytes = Checkpoint.toBytes(MODEL);
        Path onnx = Files.write(dir.resolve("cut.onnx"), Arrays.copyOf(onnxBytes, onnxBytes.length / 3));
        Path safetensors = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(checkpointBytes, 100));

        ModelFormatException a = assertThrows(ModelFormatException.class, () -> Models.load(onnx));
        ModelFormatException b = assertThrows(ModelFormatException.class, () -> Models.load(safetensors));

        assertInstanceOf(OnnxFormatException.class, a);
        assertInstanceOf(SafetensorsFormatException.class, b);
        for (ModelFormatException e : List.of(a, b)) {
            assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }
}
