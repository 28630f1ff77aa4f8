package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelFormatException;
import dev.mnv2.load.Models;
import dev.mnv2.load.Task;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TFLite files through the one loading facade, which finds this module's reader by its service entry. */
class TfliteFormatTest {
    @TempDir
    Path dir;

    @Test
    void theModuleRegistersItsReader() {
        assertTrue(Models.formats().stream().anyMatch(f -> f instanceof TfliteFormat && f.extensions().equals(List.of(".tflite"))),
                Models.formats().toString());
    }

    @Test
    void aSyntheticClassifierLoadsWithItsInputSpecAndTask() throws Exception {
        Network original = SyntheticModelTest.randomNetwork(MobileNetV2.builder().width(0.35).resolution(96).classes(4), 3);
        List<String> labels = IntStream.range(0, 4).mapToObj(i -> "label " + i).toList();
        Path file = Files.write(dir.resolve("small.TFLITE"), TfliteWriter.write(original.withLabels(labels)));

        LoadedModel model = Models.load(file);

        assertEquals(Task.CLASSIFICATION, model.task());
        assertEquals(96, model.input().height());
        assertEquals(96, model.input().width());
        assertEquals(PixelScaling.MINUS_ONE_TO_ONE, model.input().scaling());
        assertEquals(labels, model.input().labels());
        assertEquals(labels, model.network().labels());
    }

    @Test
    void aSyntheticDeepLabLoadsAsSegmentation() throws Exception {
        Network deeplab = DeepLabV3.builder().width(0.35).resolution(65).classes(3).seed(4).build().foldBatchNorm();
        Path file = Files.write(dir.resolve("deeplab.tflite"), TfliteWriter.write(deeplab));

        LoadedModel model = Models.load(file.toString());

        assertEquals(Task.SEGMENTATION, model.task());
        assertEquals(65, model.input().height());
    }

    @Test
    void thePublishedModelsLoadByName() throws Exception {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        SharedData.model("deeplabv3_mnv2_pascal_quant.tflite");

        LoadedModel classifier = Models.load("mobilenet_v2_1.0_224_quant");
        LoadedModel segmenter = Models.load("deeplabv3_mnv2_pascal_quant");

        assertEquals(Task.CLASSIFICATION, classifier.task());
        assertEquals(new PixelScaling(128f, 128f), classifier.input().scaling());
        assertEquals(1001, classifier.input().labels().size());
        assertEquals("background", classifier.input().labels().get(0));
        assertEquals(Task.SEGMENTATION, segmenter.task());
        assertEquals(513, segmenter.input().width());
        assertEquals(new PixelScaling(128f, 128f), segmenter.input().scaling());
    }

    @Test
    void aCorruptFileIsOneFormatExceptionNamingIt() throws Exception {
        Network original = SyntheticModelTest.randomNetwork(MobileNetV2.builder().width(0.35).resolution(32).classes(2), 5);
        byte[] bytes = TfliteWriter.write(original);
        Path truncated = Files.write(dir.resolve("truncated.tflite"), Arrays.copyOf(bytes, bytes.length / 2));

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Models.load(truncated));

        assertInstanceOf(TfliteFormatException.class, e);
        assertTrue(e.getMessage().startsWith(truncated.toString()), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void onnxFilesNeedTheInteropModule() throws Exception {
        Path onnx = Files.write(dir.resolve("m.onnx"), new byte[] {8, 8});
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Models.load(onnx));
        assertTrue(e.getMessage().contains("dev.mnv2:mnv2-interop"), e.getMessage());
        assertFalse(e instanceof TfliteFormatException);
    }
}
