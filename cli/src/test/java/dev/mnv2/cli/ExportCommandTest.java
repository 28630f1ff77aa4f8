package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.OnnxImporter;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import dev.mnv2.safetensors.Checkpoint;
import dev.mnv2.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
    @TempDir
    Path dir;

    private Path checkpoint(Network network) throws Exception {
        Path file = dir.resolve("model.safetensors");
        Checkpoint.save(network, file);
        return file;
    }

    private static void assertOneLineError(CliRun run, int code, String fragment) {
        assertEquals(code, run.exitCode(), run.err());
        assertTrue(run.err().contains(fragment), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
    }

    @Test
    void exportsACheckpointToOnnxAndBack() throws Exception {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(4).seed(3).build();
        Path onnx = dir.resolve("out.onnx");
        CliRun run = CliRun.of("export", "--model", checkpoint(network).toString(), "--out", onnx.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("wrote " + onnx + " (onnx, mobilenet_v2 0.35/64, 4 classes"), run.out());
        Network imported = OnnxImporter.read(onnx).network();
        assertArrayEquals(network.foldBatchNorm().convolutions().get(7).weight(), imported.convolutions().get(7).weight());

        Path back = dir.resolve("back.bin");
        run = CliRun.of("export", "--model", onnx.toString(), "--format", "safetensors", "--out", back.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertArrayEquals(imported.classifier().weight(), Checkpoint.load(back).network().classifier().weight());
    }

    /** BatchNormalization nodes of an exported ONNX file. */
    private static long batchNormNodes(Path onnx) throws Exception {
        return ModelProto.parseFrom(Files.readAllBytes(onnx)).getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("BatchNormalization")).count();
    }

    @Test
    void keepBatchNormOfAFoldedSourceWritesIdentityBatchNormsAndSaysSo() throws Exception {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(4).seed(3).build();
        Path folded = dir.resolve("folded.onnx");
        assertEquals(0, CliRun.of("export", "--model", checkpoint(network).toString(), "--out", folded.toString())
                .exitCode());
        assertEquals(0, batchNormNodes(folded));

        Path kept = dir.resolve("kept.onnx");
        CliRun run = CliRun.of("export", "--model", folded.toString(), "--out", kept.toString(), "--keep-batch-norm");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("folded") && run.err().contains("identity BatchNormalization"), run.err());
        assertEquals(network.convolutions().size(), batchNormNodes(kept));

        run = CliRun.of("export", "--model", checkpoint(network).toString(), "--out", kept.toString(), "--keep-batch-norm");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err(), "a source with its batch norms has nothing to say");
        assertEquals(network.convolutions().size(), batchNormNodes(kept));
    }

    @Test
    void exportsThePublishedModelByName() throws Exception {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Path out = dir.resolve("mnv2.safetensors");
        CliRun run = CliRun.of("export", "--model", "mobilenet_v2_1.0_224_quant", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        Network loaded = Checkpoint.load(out).network();
        assertEquals(1001, loaded.classes());
        assertEquals("background", loaded.labels().get(0));
        assertEquals(new PixelScaling(128f, 128f), Checkpoint.load(out).input().scaling(),
                "the TFLite input quantisation's (p - 128) / 128 travels in the metadata");

        Path onnx = dir.resolve("mnv2.onnx");
        run = CliRun.of("export", "--model", "mobilenet_v2_1.0_224_quant", "--out", onnx.toString(), "--keep-batch-norm");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("identity BatchNormalization"), run.err());
        assertEquals(52, batchNormNodes(onnx), "one per convolution, as torchvision's mobilenet_v2 has");
    }

    @Test
    void errorsAreOneLineWithTheRightExitCode() throws Exception {
        Path out = dir.resolve("x.onnx");
        assertOneLineError(CliRun.of("export", "--model", dir.resolve("missing.onnx").toString(), "--out", out.toString()),
                1, "missing.onnx");
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertOneLineError(CliRun.of("export", "--model", junk.toString(), "--out", out.toString()), 1, "junk.safetensors");
        assertOneLineError(CliRun.of("export", "--model", junk.toString(), "--format", "pt", "--out", out.toString()),
                2, "--format");
        assertOneLineError(CliRun.of("export", "--model", junk.toString(), "--out", dir.resolve("x.bin").toString()),
                2, "--format");
        assertOneLineError(CliRun.of("export", "--model", junk.toString()), 2, "--out");
        assertOneLineError(CliRun.of("export", "--model", junk.toString(), "--out", out.toString(), "--format",
                "safetensors", "--softmax"), 2, "--softmax");
        assertFalse(Files.exists(out), "nothing is written on failure");
    }
}
