package dev.mnv2.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.interop.AtomicFiles;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shortcut;
import dev.mnv2.safetensors.Safetensors.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    static float[][] logits(Network network, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor images = Tensor.zeros(2, network.input());
        for (int i = 0; i < images.data().length; i++) {
            images.data()[i] = (float) (random.nextDouble() * 2 - 1);
        }
        try (Predictor p = Predictor.create(network)) {
            return p.logits(images);
        }
    }

    @Test
    void roundTripKeepsConfigurationLabelsWeightsAndLogitsIdentical() throws IOException {
        Network network = MobileNetV2.builder().width(0.5).resolution(96, 128).classes(5).seed(11).build()
                .withLabels(List.of("cat", "dog", "bird \"quoted\"", "ünïcode", "fish"));
        Path file = dir.resolve("model.safetensors");
        Checkpoint.save(network, file);
        Network loaded = Checkpoint.load(file).network();
        assertEquals(network.config(), loaded.config());
        assertEquals(network.labels(), loaded.labels());
        List<Conv2d> a = network.convolutions();
        List<Conv2d> b = loaded.convolutions();
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).weight(), b.get(i).weight(), a.get(i).name());
            assertArrayEquals(a.get(i).batchNorm().variance(), b.get(i).batchNorm().variance(), a.get(i).name());
        }
        assertArrayEquals(network.classifier().weight(), loaded.classifier().weight());
        float[][] expected = logits(network, 5);
        float[][] actual = logits(loaded, 5);
        for (int n = 0; n < expected.length; n++) {
            assertArrayEquals(expected[n], actual[n], 0f, "logits must be bit-identical");
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void ablationsAndTensorflowPaddingSurviveTheRoundTrip() throws IOException {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(3).bottleneck("relu6")
                .shortcut(Shortcut.EXPANSION).expansion(4).padding(Padding.same()).seed(2).build();
        Network loaded = Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(Checkpoint.toBytes(network)))).network();
        assertEquals(network.config(), loaded.config());
        assertArrayEquals(logits(network, 1)[1], logits(loaded, 1)[1], 0f);
    }

    /** A folded network (as every TFLite import is) gets identity batch norms at torchvision's epsilon. */
    @Test
    void foldedNetworkIsStoredWithIdentityBatchNormsAndReloadsExactly() throws IOException {
        Network folded = MobileNetV2.builder().width(0.35).resolution(64).classes(3).seed(4).build().foldBatchNorm();
        Safetensors.Contents contents = Safetensors.parse(ByteBuffer.wrap(Checkpoint.toBytes(folded)));
        assertFalse(contents.tensors().containsKey("features.0.0.bias"));
        assertEquals("1.0E-5", contents.metadata().get("batchNormEpsilon"));
        assertArrayEquals(folded.convolutions().get(0).bias(), contents.floats("features.0.1.bias"));
        float[] ones = new float[folded.convolutions().get(0).outChannels()];
        java.util.Arrays.fill(ones, 1f);
        assertArrayEquals(ones, contents.floats("features.0.1.weight"));
        assertArrayEquals(new float[ones.length], contents.floats("features.0.1.running_mean"));
        java.util.Arrays.fill(ones, 1f - 1e-5f);
        assertArrayEquals(ones, contents.floats("features.0.1.running_var"));
        Network loaded = Checkpoint.fromContents(contents).network();
        List<Conv2d> refolded = loaded.foldBatchNorm().convolutions();
        for (int i = 0; i < refolded.size(); i++) {
            assertArrayEquals(folded.convolutions().get(i).weight(), refolded.get(i).weight());
            assertArrayEquals(folded.convolutions().get(i).bias(), refolded.get(i).bias());
        }
        assertArrayEquals(logits(folded, 3)[0], logits(loaded, 3)[0], 0f);
    }

    /** Older mnv2 versions wrote a folded network with a conv bias per convolution and no batch norms. */
    @Test
    void checkpointWithConvBiasesInsteadOfBatchNormsStillLoads() throws IOException {
        Network folded = MobileNetV2.builder().width(0.35).resolution(64).classes(3).seed(4).build().foldBatchNorm();
        List<Entry> entries = new ArrayList<>();
        for (Conv2d conv : folded.convolutions()) {
            entries.add(Entry.floats(conv.name() + ".weight", dev.mnv2.interop.TorchLayout.convWeightShape(conv.spec()),
                    dev.mnv2.load.WeightLayout.OIHW.weightOf(conv)));
            entries.add(Entry.floats(conv.name() + ".bias", new long[] {conv.outChannels()}, conv.bias()));
        }
        Checkpoint.stateDict(folded).stream().filter(e -> e.name().startsWith("classifier")).forEach(entries::add);
        Network loaded = Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(
                Safetensors.toBytes(folded.config().toMap(), entries)))).network();
        assertNull(loaded.convolutions().get(0).batchNorm());
        assertArrayEquals(logits(folded, 3)[0], logits(loaded, 3)[0], 0f);
    }

    @Test
    void torchvisionFileWithoutMetadataIsInferredAsSymmetricPaddedWithEpsilon1e5() throws IOException {
        Network source = MobileNetV2.builder().width(0.75).classes(7).seed(9).build();
        Path file = dir.resolve("torchvision.safetensors");
        Safetensors.write(file, Map.of("format", "pt"), Checkpoint.stateDict(source));
        Network loaded = Checkpoint.load(file).network();
        assertEquals(0.75, loaded.config().width());
        assertEquals(7, loaded.classes());
        assertEquals(224, loaded.input().height());
        var config = (dev.mnv2.model.MobileNetV2Config) loaded.config();
        assertEquals(Padding.symmetric(1), config.padding());
        assertEquals(1e-5f, config.batchNormEpsilon());
        assertArrayEquals(source.convolutions().get(5).weight(), loaded.convolutions().get(5).weight());
    }

    /** A checkpoint whose tensor list is edited: {@code edit} changes the torchvision entries. */
    private static byte[] edited(java.util.function.Consumer<List<Entry>> edit) {
        Network network = MobileNetV2.builder().width(0.35).resolution(32).classes(2).seed(1).build();
        List<Entry> entries = new ArrayList<>(Checkpoint.stateDict(network));
        edit.accept(entries);
        return Safetensors.toBytes(Map.of(), entries);
    }

    private static String loadError(byte[] bytes) {
        return assertThrows(SafetensorsFormatException.class,
                () -> Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes)))).getMessage();
    }

    @Test
    void tensorsThatDoNotFitTheModelAreRejectedByName() {
        assertTrue(loadError(edited(e -> e.add(Entry.floats("features.99.weight", new long[] {1}, new float[1]))))
                .contains("unknown tensor 'features.99.weight'"));
        assertTrue(loadError(edited(e -> e.removeIf(x -> x.name().equals("features.3.conv.1.1.running_var"))))
                .contains("features.3.conv.1.1.running_var"));
        assertTrue(loadError(edited(e -> e.replaceAll(x -> x.name().equals("features.4.conv.3.bias")
                ? Entry.floats(x.name(), new long[] {1, x.shape()[0]}, new float[(int) x.shape()[0]]) : x)))
                .contains("features.4.conv.3.bias' has shape"));
        assertTrue(loadError(edited(e -> e.replaceAll(x -> x.name().equals("classifier.1.bias")
                ? new Entry(x.name(), DType.I32, x.shape(), x.data()) : x)))
                .contains("dtype I32"));
        assertTrue(loadError(edited(e -> e.removeIf(x -> x.name().startsWith("features.0.0")))).contains("features.0.0.weight"));
    }

    @Test
    void badMetadataIsRejected() {
        Network network = MobileNetV2.builder().width(0.35).resolution(32).classes(2).seed(1).build();
        var entries = Checkpoint.stateDict(network);
        var config = new java.util.HashMap<>(network.config().toMap());
        config.put("width", "wide");
        assertTrue(loadError(Safetensors.toBytes(config, entries)).contains("width"));
        config.put("width", "1000");
        assertTrue(loadError(Safetensors.toBytes(config, entries)).contains("does not match the tensors"));
        config.put("width", "0.35");
        config.put("expansion", "100000");
        assertTrue(loadError(Safetensors.toBytes(config, entries)).contains("does not match the tensors"));
        config.put("expansion", "0");
        config.put("labels", "[\"only one\"]");
        assertTrue(loadError(Safetensors.toBytes(config, entries)).contains("labels"));
        config.put("labels", "not json");
        assertTrue(loadError(Safetensors.toBytes(config, entries)).contains("labels"));
        config.put("architecture", "resnet50");
        assertTrue(loadError(Safetensors.toBytes(config, entries)).contains("resnet50"));
    }

    @Test
    void failedWriteLeavesTheOldFileIntact() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        Files.writeString(file, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(file, channel -> {
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(new byte[100_000]));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }
}
