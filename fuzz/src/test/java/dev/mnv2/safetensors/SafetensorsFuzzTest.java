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
 * file's bytes) on fuzzed bytes end in a network or a {@link SafetensorsFormatException} that an explicit
 * check raised, never the safety net (in the reader's package for the net's message prefix).
 */
class SafetensorsFuzzTest {
    /** Header map, float32 copies of the tensors and the network built from them: 64 bytes per input byte. */
    private static final ReaderContract CONTRACT =
            new ReaderContract("safetensors", 16L << 20, 64,
                    List.of(SafetensorsFormatException.class), Safetensors.UNCHECKED);

    /** An mnv2 checkpoint with labels and a bare torchvision-style state_dict without metadata. */
    private static final List<byte[]> SEEDS = List.of(
            Checkpoint.toBytes(SeedNetworks.labelled(SeedNetworks.tiny())),
            Safetensors.toBytes(Map.of(), Checkpoint.stateDict(SeedNetworks.tiny())));

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

    private static LoadedModel readCheckpoint(byte[] input) throws SafetensorsFormatException {
        return Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(input)));
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
