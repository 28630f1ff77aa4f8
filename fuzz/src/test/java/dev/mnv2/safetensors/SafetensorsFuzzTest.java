package dev.mnv2.safetensors;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mnv2.fuzz.ReaderContract;
import dev.mnv2.fuzz.SeedNetworks;
import dev.mnv2.load.LoadedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Safetensors#parse} then {@link Checkpoint#fromContents} (what {@link Checkpoint#load} does with a
 * file's bytes), and {@link TrainingCheckpoint#fromContents} for a file that declares training state, on
 * fuzzed bytes end in a network or a {@link SafetensorsFormatException} that an explicit check raised, never
 * the safety net (in the reader's package for the net's message prefix).
 */
class SafetensorsFuzzTest {
    /** Header map, float32 copies of the tensors and the network built from them: 64 bytes per input byte. */
    private static final ReaderContract CONTRACT =
            new ReaderContract("safetensors", 16L << 20, 64,
                    List.of(SafetensorsFormatException.class), Safetensors.UNCHECKED);

    /**
     * An mnv2 checkpoint with labels, a bare torchvision-style state_dict without metadata, and a training
     * checkpoint with a few optimizer slots (one scalar), averages and random state.
     */
    private static final List<byte[]> SEEDS = List.of(
            Checkpoint.toBytes(SeedNetworks.labelled(SeedNetworks.tiny())),
            Safetensors.toBytes(Map.of(), Checkpoint.stateDict(SeedNetworks.tiny())),
            TrainingCheckpoint.builder(LoadedModel.of(SeedNetworks.tiny()))
                    .progress(7, 1, 3)
                    .optimizer("adamw", Map.of("epsilon", "1e-8"), Map.of(
                            "classifier.1.bias.exp_avg", new float[] {0.5f, -0.25f, 1e-3f},
                            "classifier.1.bias.step", new float[] {7}))
                    .movingAverage(Map.of("classifier.1.bias", new float[] {0.1f, 0.2f, 0.3f}), 7)
                    .randomState(42, -42)
                    .options(Map.of("recipe", "cifar", "seed", "5"))
                    .build().toBytes());

    static {
        ReaderContract.warmUp(SEEDS, SafetensorsFuzzTest::readCheckpoint);
    }

    static Stream<Arguments> seeds() {
        return SEEDS.stream().map(bytes -> Arguments.of((Object) bytes));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10s")
    void load(byte[] input) {
        CONTRACT.check(input, SafetensorsFuzzTest::readCheckpoint);
    }

    private static Object readCheckpoint(byte[] input) throws SafetensorsFormatException {
        Safetensors.Contents contents = Safetensors.parse(ByteBuffer.wrap(input));
        return contents.metadata().containsKey(TrainingCheckpoint.VERSION_KEY)
                ? TrainingCheckpoint.fromContents(contents) : Checkpoint.fromContents(contents);
    }

    /** A tensor name with an escaped line break (JSON allows it) must not break the message's line. */
    @Test
    void controlCharactersInTensorNamesAreEscaped() {
        byte[] header = "{\"a\\nb\":{\"dtype\":\"Q8\",\"shape\":[],\"data_offsets\":[0,0]}}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] file = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).array();
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> readCheckpoint(file));
        assertTrue(e.getMessage().contains("'a\\u000ab'"), e.getMessage());
    }

    @AfterAll
    static void report() {
        System.out.println(CONTRACT.report(ReaderContract.reportDirectory()));
    }
}
