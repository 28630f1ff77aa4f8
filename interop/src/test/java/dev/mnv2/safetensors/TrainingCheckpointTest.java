package dev.mnv2.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.interop.AtomicFiles;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config.Variant;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.OnnxExporter;
import dev.mnv2.onnx.OnnxImporter;
import dev.mnv2.safetensors.Safetensors.Contents;
import dev.mnv2.safetensors.Safetensors.Entry;
import dev.mnv2.safetensors.Safetensors.TensorInfo;
import dev.mnv2.train.AdamW;
import dev.mnv2.train.ExponentialMovingAverage;
import dev.mnv2.train.Optimizer;
import dev.mnv2.train.Parameter;
import dev.mnv2.train.ParameterKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainingCheckpointTest {
    @TempDir
    Path dir;

    /** A small CIFAR-variant network with labels and running statistics that are not the initial ones. */
    static Network network(long seed) {
        Network network = MobileNetV2.builder().width(0.25).resolution(32).classes(4).variant(Variant.CIFAR)
                .seed(seed).build().withLabels(List.of("cat", "dog", "ünïcode", "bird \"quoted\""));
        SplittableRandom random = new SplittableRandom(seed);
        for (Conv2d conv : network.convolutions()) {
            BatchNorm bn = conv.batchNorm();
            for (int c = 0; c < bn.channels(); c++) {
                bn.mean()[c] = (float) random.nextGaussian();
                bn.variance()[c] = (float) (0.5 + random.nextDouble());
            }
        }
        return network;
    }

    /** The network's tensors as parameters over copies, named and sized as the trainer's registry names them. */
    static List<Parameter> parameters(Network network) {
        List<Parameter> parameters = new ArrayList<>();
        for (Entry e : Checkpoint.stateDict(network)) {
            if (e.dtype() != DType.F32) {
                continue;
            }
            float[] values = new float[e.data().length / 4];
            ByteBuffer.wrap(e.data()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            ParameterKind kind = e.name().endsWith("running_mean") || e.name().endsWith("running_var")
                    ? ParameterKind.NORM_STATISTIC : ParameterKind.CONV_WEIGHT;
            parameters.add(new Parameter(e.name(), kind, new int[] {values.length}, values));
        }
        return parameters;
    }

    /** Random gradients, then one optimizer step and one average update. */
    static void step(List<Parameter> parameters, Optimizer optimizer, ExponentialMovingAverage ema, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Parameter p : parameters) {
            for (int i = 0; i < p.size(); i++) {
                p.grad()[i] = (float) random.nextGaussian();
            }
        }
        optimizer.step(parameters, 1e-3);
        ema.update();
    }

    /** A checkpoint after three AdamW steps (AdamW has a scalar slot beside the per-value ones). */
    static TrainingCheckpoint checkpoint(Network network) {
        List<Parameter> parameters = parameters(network);
        Optimizer optimizer = AdamW.create();
        ExponentialMovingAverage ema = ExponentialMovingAverage.builder(parameters).decay(0.9).build();
        for (int s = 0; s < 3; s++) {
            step(parameters, optimizer, ema, s);
        }
        Map<String, String> options = new LinkedHashMap<>();
        options.put("recipe", "cifar");
        options.put("lr", "0.1");
        options.put("data", "../shared/datasets/cifar10/train");
        options.put("odd \"key\"\n", "ünï\tcode");
        return TrainingCheckpoint.builder(LoadedModel.of(network))
                .progress(3, 1, 2)
                .optimizer("adamw", Map.of("betas", "0.9,0.999", "epsilon", "1e-8"), optimizer.state())
                .movingAverage(ema.averages(), ema.updates())
                .randomState(Long.MIN_VALUE, -1, 0, 0x9e3779b97f4a7c15L, Long.MAX_VALUE)
                .options(options)
                .build();
    }

    private static final TrainingCheckpoint CHECKPOINT = checkpoint(network(3));

    @Test
    void roundTripIsBitExact() throws IOException {
        Path file = dir.resolve("run.safetensors");
        CHECKPOINT.save(file);
        TrainingCheckpoint loaded = TrainingCheckpoint.load(file);

        assertEquals(CHECKPOINT.model().network().config(), loaded.model().network().config());
        assertEquals(CHECKPOINT.model().input(), loaded.model().input());
        List<Entry> expected = Checkpoint.stateDict(CHECKPOINT.model().network());
        List<Entry> actual = Checkpoint.stateDict(loaded.model().network());
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).data(), actual.get(i).data(), expected.get(i).name());
        }
        assertEquals(CHECKPOINT.progress(), loaded.progress());
        assertEquals(CHECKPOINT.optimizer().name(), loaded.optimizer().name());
        assertEquals(CHECKPOINT.optimizer().settings(), loaded.optimizer().settings());
        assertBitEqual(CHECKPOINT.optimizer().state(), loaded.optimizer().state());
        assertBitEqual(CHECKPOINT.movingAverage().orElseThrow().averages(), loaded.movingAverage().orElseThrow().averages());
        assertEquals(3, loaded.movingAverage().orElseThrow().updates());
        assertArrayEquals(CHECKPOINT.randomState(), loaded.randomState());
        assertEquals(CHECKPOINT.options(), loaded.options());
        assertEquals(List.copyOf(CHECKPOINT.options().keySet()), List.copyOf(loaded.options().keySet()));
        assertArrayEquals(Files.readAllBytes(file), loaded.toBytes(), "writing what was read gives the same file");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    /** What --resume relies on: state restored from the file continues exactly as the uninterrupted run. */
    @Test
    void restoredOptimizerAndAverageContinueAsTheUninterruptedRun() throws IOException {
        Network network = network(5);
        List<Parameter> parameters = parameters(network);
        Optimizer optimizer = AdamW.create();
        ExponentialMovingAverage ema = ExponentialMovingAverage.builder(parameters).numUpdatesWarmUp(true).build();
        for (int s = 0; s < 2; s++) {
            step(parameters, optimizer, ema, s);
        }
        // The parameters are copies: write their values into the network, as the trainer's shared arrays would be.
        Network trained = withValues(network, parameters);
        Path file = dir.resolve("resume.safetensors");
        TrainingCheckpoint.builder(LoadedModel.of(trained)).progress(2, 0, 2)
                .optimizer("adamw", Map.of(), optimizer.state()).movingAverage(ema.averages(), ema.updates())
                .build().save(file);

        TrainingCheckpoint loaded = TrainingCheckpoint.load(file);
        List<Parameter> resumed = parameters(loaded.model().network());
        Optimizer resumedOptimizer = AdamW.create();
        resumedOptimizer.loadState(resumed, loaded.optimizer().state());
        ExponentialMovingAverage resumedEma = ExponentialMovingAverage.builder(resumed).numUpdatesWarmUp(true).build();
        resumedEma.load(loaded.movingAverage().orElseThrow().averages(), loaded.movingAverage().orElseThrow().updates());
        for (int s = 2; s < 4; s++) {
            step(parameters, optimizer, ema, s);
            step(resumed, resumedOptimizer, resumedEma, s);
        }
        for (int i = 0; i < parameters.size(); i++) {
            assertArrayEquals(parameters.get(i).value(), resumed.get(i).value(), parameters.get(i).name());
        }
        assertBitEqual(optimizer.state(), resumedOptimizer.state());
        assertBitEqual(ema.averages(), resumedEma.averages());
    }

    /** The network with each parameter's values put back into its state-dict tensor. */
    private static Network withValues(Network network, List<Parameter> parameters) {
        Map<String, float[]> values = new LinkedHashMap<>();
        parameters.forEach(p -> values.put(p.name(), p.value()));
        List<Entry> entries = new ArrayList<>();
        for (Entry e : Checkpoint.stateDict(network)) {
            float[] v = values.get(e.name());
            entries.add(v == null ? e : Entry.floats(e.name(), e.shape(), v));
        }
        byte[] bytes = Safetensors.toBytes(Checkpoint.metadata(LoadedModel.of(network)), entries);
        try {
            return Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes))).network();
        } catch (SafetensorsFormatException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void plainReadersLoadTheModelOfATrainingCheckpoint() throws IOException {
        Path file = dir.resolve("trained.safetensors");
        CHECKPOINT.save(file);
        Path plain = dir.resolve("plain.safetensors");
        Checkpoint.save(CHECKPOINT.model(), plain);
        for (LoadedModel model : List.of(Checkpoint.load(file), Models.load(file))) {
            assertEquals(CHECKPOINT.model().input(), model.input());
            assertArrayEquals(Checkpoint.toBytes(CHECKPOINT.model()), Checkpoint.toBytes(model),
                    "the same model as its plain checkpoint");
        }
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> TrainingCheckpoint.load(plain));
        assertTrue(e.getMessage().startsWith(plain + ": ") && e.getMessage().contains("holds no training state")
                && !e.getMessage().contains("\n"), e.getMessage());
    }

    /** classify, summary --model and export read a CIFAR-variant checkpoint with its stride-1 stem and stage. */
    @Test
    void cifarVariantKeepsItsStridesThroughModelsLoadAndOnnxExport() throws IOException {
        Network source = CHECKPOINT.model().network();
        Path file = dir.resolve("cifar.safetensors");
        CHECKPOINT.save(file);
        LoadedModel loaded = Models.load(file);
        assertEquals(Variant.CIFAR, ((dev.mnv2.model.MobileNetV2Config) loaded.network().config()).variant());
        assertEquals(strides(MobileNetV2.builder().width(0.25).resolution(32).classes(4).variant(Variant.CIFAR)
                .build()), strides(loaded.network()));
        assertEquals(1, loaded.network().convolutions().get(0).spec().stride(), "stem at stride 1");
        assertEquals(source.tensorShapes(), loaded.network().tensorShapes());
        assertArrayEquals(CheckpointTest.logits(source, 7)[1], CheckpointTest.logits(loaded.network(), 7)[1], 0f);

        LoadedModel onnx = OnnxImporter.fromBytes(OnnxExporter.builder().build().toBytes(loaded));
        assertEquals(loaded.network().config(), onnx.network().config());
        assertEquals(strides(loaded.network()), strides(onnx.network()));

        // Without metadata the shapes cannot tell the variants apart: such a file is read as ImageNet's.
        byte[] bare = Safetensors.toBytes(Map.of(), Checkpoint.stateDict(source));
        LoadedModel inferred = Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bare)));
        assertEquals(Variant.IMAGENET, ((dev.mnv2.model.MobileNetV2Config) inferred.network().config()).variant());
    }

    private static List<Integer> strides(Network network) {
        return network.convolutions().stream().map(c -> c.spec().stride()).toList();
    }

    @Test
    void aFailedWriteLeavesThePreviousCheckpointByteIdenticalAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("run.safetensors");
        CHECKPOINT.save(file);
        byte[] before = Files.readAllBytes(file);
        byte[] next = checkpoint(network(4)).toBytes();
        IllegalStateException crash = assertThrows(IllegalStateException.class, () -> AtomicFiles.write(file, channel -> {
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(next, 0, next.length / 2));
            throw new IllegalStateException("simulated crash mid-write");
        }));
        assertEquals("simulated crash mid-write", crash.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void stateThatWouldNotResumeIsRefusedBeforeAnythingIsWritten() {
        Network network = network(6);
        Map<String, float[]> nan = Map.of("classifier.1.bias.exp_avg", new float[] {0, Float.NaN, 0, 0});
        var builder = TrainingCheckpoint.builder(LoadedModel.of(network)).progress(1, 0, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.optimizer("adamw", Map.of(), nan).build())
                .getMessage().contains("classifier.1.bias.exp_avg holds NaN"));
        Map<String, float[]> wrongSize = Map.of("classifier.1.bias.exp_avg", new float[3]);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.optimizer("adamw", Map.of(), wrongSize)
                .build()).getMessage().contains("has 3 values, expected 4"));
        Map<String, float[]> stranger = Map.of("features.99.weight.momentum", new float[1]);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.optimizer("sgd", Map.of(), stranger)
                .build()).getMessage().contains("not <parameter>.<slot> of a model tensor"));
        builder.optimizer("sgd", Map.of(), Map.of());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.movingAverage(Map.of("classifier.1.bias",
                new float[] {0, 0, Float.POSITIVE_INFINITY, 0}), 1).build()).getMessage().contains("Infinity"));
        builder.movingAverage(Map.of(), 0);
        network.classifier().weight()[5] = Float.NaN;
        assertTrue(assertThrows(IllegalArgumentException.class, builder::build).getMessage()
                .contains("classifier.1 weight holds NaN at index 5"));
        assertThrows(IllegalArgumentException.class, () -> builder.progress(-1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.progress(3, 0, 4));
        assertThrows(IllegalStateException.class, () -> TrainingCheckpoint.builder(LoadedModel.of(network)).build());
    }

    /**
     * A kill -9 in the middle of rewriting the checkpoint (its temporary file exists) leaves a file that loads,
     * with everything from one and the same step: the rename replaced the whole file or nothing.
     */
    @Test
    void killMinus9MidWriteLeavesALoadableConsistentCheckpoint() throws Exception {
        Path file = dir.resolve("killed.safetensors");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int round = 0; round < 3; round++) {
            Set<Path> before = temporaryFiles();
            Process child = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                    CheckpointWriter.class.getName(), file.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertEquals("saved", out.readLine(), "the writer saved its first checkpoint");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (before.containsAll(temporaryFiles()) && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // until the next write has begun
                }
                child.destroyForcibly(); // SIGKILL on Linux and macOS
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
            TrainingCheckpoint loaded = TrainingCheckpoint.load(file);
            long step = loaded.progress().step();
            assertTrue(step >= 1, "step " + step);
            CheckpointWriter.assertFromStep(loaded, step);
            Set<Path> partial = temporaryFiles();
            partial.removeAll(before);
            System.out.println("kill -9 round " + round + ": the checkpoint of step " + step + " loads, "
                    + (partial.isEmpty() ? "the write had just finished" : "the write in progress left its temporary file"));
        }
    }

    private Set<Path> temporaryFiles() throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".tmp")).collect(Collectors.toSet());
        }
    }

    /** The child of the kill -9 test: rewrites one checkpoint forever, every value derived from the step. */
    static final class CheckpointWriter {
        static final Network NETWORK = MobileNetV2.builder().width(0.75).resolution(32).classes(10).seed(1).build();

        public static void main(String[] args) throws IOException {
            Path file = Path.of(args[0]);
            for (long step = 1; ; step++) {
                Arrays.fill(NETWORK.classifier().bias(), step);
                Map<String, float[]> state = new LinkedHashMap<>();
                for (Conv2d conv : NETWORK.convolutions()) {
                    float[] momentum = new float[conv.weight().length];
                    Arrays.fill(momentum, step);
                    state.put(conv.name() + ".weight.momentum_buffer", momentum);
                }
                TrainingCheckpoint.builder(LoadedModel.of(NETWORK)).progress(step, 0, (int) step)
                        .optimizer("sgd", Map.of(), state).randomState(step, -step).build().save(file);
                if (step == 1) {
                    System.out.println("saved");
                    System.out.flush();
                }
            }
        }

        static void assertFromStep(TrainingCheckpoint loaded, long step) {
            float expected = step;
            for (float b : loaded.model().network().classifier().bias()) {
                assertEquals(expected, b);
            }
            assertEquals(NETWORK.convolutions().size(), loaded.optimizer().state().size());
            loaded.optimizer().state().values().forEach(v -> assertTrue(IntStream.range(0, v.length)
                    .allMatch(i -> v[i] == expected)));
            assertArrayEquals(new long[] {step, -step}, loaded.randomState());
        }
    }

    // ---- hostile and corrupt files -------------------------------------------------------------------------

    /** CHECKPOINT's file after {@code edit} changed its metadata and tensors. */
    static byte[] edited(Consumer<Map<String, String>> metadataEdit, Consumer<Map<String, Entry>> tensorEdit)
            throws SafetensorsFormatException {
        Contents contents = Safetensors.parse(ByteBuffer.wrap(CHECKPOINT.toBytes()));
        Map<String, String> metadata = new LinkedHashMap<>(contents.metadata());
        Map<String, Entry> tensors = new LinkedHashMap<>();
        for (TensorInfo t : contents.tensors().values()) {
            tensors.put(t.name(), t.dtype() == DType.I64 ? Entry.int64(t.name(), t.shape(), contents.longs(t.name()))
                    : Entry.floats(t.name(), t.shape(), contents.floats(t.name())));
        }
        metadataEdit.accept(metadata);
        tensorEdit.accept(tensors);
        return Safetensors.toBytes(metadata, List.copyOf(tensors.values()));
    }

    static String trainingError(byte[] bytes) {
        return HostileSafetensorsTest.checked(assertThrows(SafetensorsFormatException.class,
                () -> TrainingCheckpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes)))));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "training.step | -1 | training.step '-1' is not an integer >= 0",
            "training.step | 1e3 | training.step '1e3'",
            "training.step | 99999999999999999999 | training.step",
            "training.epoch | 2147483648 | beyond 2147483647",
            "training.stepInEpoch | 4 | step in epoch 4 exceeds the run's step 3",
            "training.ema.updates | -5 | training.ema.updates '-5'",
            "training.optimizer | ' ' | training.optimizer is blank",
            "training.optimizerSettings | [\"a\"] | training.optimizerSettings is not a JSON object of strings",
            "training.options | {\"seed\":5} | training.options is not a JSON object of strings",
            "training.options | {\"seed\": | training.options is not a JSON object of strings",
            "mnv2_training | 2 | mnv2_training 2 is not a training checkpoint layout"})
    void badTrainingMetadataIsNamed(String key, String value, String message) throws Exception {
        String e = trainingError(edited(m -> m.put(key, value), t -> {}));
        assertTrue(e.contains(message), e);
    }

    @Test
    void missingTrainingMetadataIsNamed() throws Exception {
        for (String key : List.of("training.step", "training.epoch", "training.optimizer", "training.options")) {
            String e = trainingError(edited(m -> m.remove(key), t -> {}));
            assertTrue(e.contains("metadata " + key + " is missing"), e);
        }
    }

    @Test
    void badTrainingTensorsAreNamed() throws Exception {
        String slot = "training.optimizer.classifier.1.bias.exp_avg";
        String average = "training.ema.classifier.1.bias";
        assertContains(trainingError(edited(m -> {}, t -> t.put(slot, Entry.floats(slot, new long[] {4},
                new float[] {0, 0, Float.NaN, 0})))), "optimizer state entry classifier.1.bias.exp_avg holds NaN at index 2");
        assertContains(trainingError(edited(m -> {}, t -> t.put(slot, Entry.floats(slot, new long[] {5}, new float[5])))),
                "has 5 values, expected 4");
        assertContains(trainingError(edited(m -> {}, t -> t.put(slot, Entry.floats(slot, new long[] {2, 2}, new float[4])))),
                "must be F32 of one dimension");
        assertContains(trainingError(edited(m -> {}, t -> t.put(slot, new Entry(slot, DType.F16, new long[] {4}, new byte[8])))),
                "must be F32 of one dimension, got F16");
        String stray = "training.optimizer.classifier.1.bias";
        assertContains(trainingError(edited(m -> {}, t -> t.put(stray, Entry.floats(stray, new long[] {1}, new float[1])))),
                "optimizer state entry classifier.1.bias is not <parameter>.<slot> of a model tensor");
        assertContains(trainingError(edited(m -> {}, t -> t.put(average, Entry.floats(average, new long[] {4},
                new float[] {Float.NEGATIVE_INFINITY, 0, 0, 0})))), "moving average of classifier.1.bias holds -Infinity");
        assertContains(trainingError(edited(m -> {}, t -> t.put(average, Entry.floats(average, new long[] {1}, new float[1])))),
                "moving average of classifier.1.bias has 1 values, expected 4");
        assertContains(trainingError(edited(m -> m.remove("training.ema.updates"), t -> {})),
                "moving averages but no training.ema.updates");
        assertContains(trainingError(edited(m -> {}, t -> t.put("training.random_state",
                Entry.floats("training.random_state", new long[] {2}, new float[2])))), "must be I64 of one dimension, got F32");
        assertContains(trainingError(edited(m -> {}, t -> t.remove("training.random_state"))),
                "tensor 'training.random_state' is missing");
        assertContains(trainingError(edited(m -> {}, t -> t.put("training.lr", Entry.floats("training.lr", new long[] {1},
                new float[1])))), "unknown training tensor 'training.lr'");
        float[] bias = new float[4];
        bias[1] = Float.NaN;
        assertContains(trainingError(edited(m -> {}, t -> t.put("classifier.1.bias",
                Entry.floats("classifier.1.bias", new long[] {4}, bias)))), "classifier.1 bias holds NaN at index 1");
    }

    /** Training tensors only belong in a file that declares training state; elsewhere the model reader refuses them. */
    @Test
    void trainingTensorsWithoutTheMarkerAreUnknownToTheModelReader() throws Exception {
        byte[] bytes = edited(m -> m.remove(TrainingCheckpoint.VERSION_KEY), t -> {});
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes))));
        assertContains(HostileSafetensorsTest.checked(e), "unknown tensor 'training.");
        assertContains(trainingError(bytes), "no training state");
    }

    /** An optimizer tensor claiming 2^40 values in 16 bytes fails at parsing, before anything is allocated. */
    @Test
    void absurdTensorSizesAreRefusedAtParsing() {
        byte[] valid = CHECKPOINT.toBytes();
        int headerLength = (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(valid, 8, headerLength, StandardCharsets.UTF_8);
        String slot = "\"training.optimizer.classifier.1.bias.exp_avg\":{\"dtype\":\"F32\",\"shape\":[4]";
        assertTrue(header.contains(slot));
        byte[] hostile = header.replace(slot, slot.replace("[4]", "[1099511627776]")).getBytes(StandardCharsets.UTF_8);
        int dataBytes = valid.length - 8 - headerLength;
        byte[] bytes = ByteBuffer.allocate(8 + hostile.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(hostile.length).put(hostile).put(valid, 8 + headerLength, dataBytes).array();
        assertContains(trainingError(bytes), "needs 4398046511104 bytes");
    }

    @Test
    void fuzzedTrainingCheckpointsEitherLoadOrFailWithTheFormatException() {
        byte[] valid = CHECKPOINT.toBytes();
        int headerEnd = 8 + (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        SplittableRandom random = new SplittableRandom(11);
        int rejected = 0;
        int iterations = 300;
        for (int i = 0; i < iterations; i++) {
            byte[] bytes;
            boolean truncated = i % 4 == 0;
            if (truncated) {
                bytes = Arrays.copyOf(valid, random.nextInt(valid.length));
            } else {
                bytes = valid.clone();
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    int at = random.nextInt(4) == 0 ? random.nextInt(bytes.length) : random.nextInt(headerEnd);
                    bytes[at] ^= (byte) (1 + random.nextInt(255));
                }
            }
            try {
                TrainingCheckpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes)));
                assertFalse(truncated, "truncation to " + bytes.length + " bytes was accepted");
            } catch (SafetensorsFormatException e) {
                HostileSafetensorsTest.checked(e);
                rejected++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("iteration " + i + " ended in " + e, e);
            }
        }
        assertTrue(rejected > iterations / 2, rejected + " of " + iterations + " rejected");
    }

    private static void assertContains(String message, String part) {
        assertTrue(message.contains(part), message);
        assertFalse(message.contains("\n"), message);
    }

    private static void assertBitEqual(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        expected.forEach((key, values) -> assertArrayEquals(values, actual.get(key), key));
    }
}
