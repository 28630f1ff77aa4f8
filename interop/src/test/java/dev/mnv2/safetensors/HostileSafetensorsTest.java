package dev.mnv2.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed and hostile files end in SafetensorsFormatException, never another exception or an OOM. */
class HostileSafetensorsTest {
    /** A file with the given header text and {@code dataBytes} zero bytes of data. */
    static byte[] file(String header, int dataBytes) {
        return file(header.getBytes(StandardCharsets.UTF_8), header.length(), dataBytes);
    }

    static byte[] file(byte[] header, long declaredLength, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header);
        return b.array();
    }

    static String error(byte[] bytes) {
        return checked(assertThrows(SafetensorsFormatException.class, () -> Safetensors.parse(ByteBuffer.wrap(bytes))));
    }

    /** The message of {@code e}, which an explicit check must have raised, not the backstop. */
    static String checked(SafetensorsFormatException e) {
        assertFalse(e.getMessage().startsWith(Safetensors.UNCHECKED), "slipped past the checks: " + e.getMessage());
        return e.getMessage();
    }

    private static final Network SMALL = MobileNetV2.builder().width(0.1).resolution(32).classes(3).seed(8).build();

    /** The load error of SMALL's checkpoint with metadata entry {@code key} set to {@code value}. */
    static String checkpointError(String key, String value) throws SafetensorsFormatException {
        Map<String, String> metadata = new LinkedHashMap<>(Safetensors.parse(ByteBuffer.wrap(Checkpoint.toBytes(SMALL))).metadata());
        metadata.put(key, value);
        byte[] bytes = Safetensors.toBytes(metadata, Checkpoint.stateDict(SMALL));
        return checked(assertThrows(SafetensorsFormatException.class,
                () -> Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes)))));
    }

    @ParameterizedTest
    @CsvSource({"batchNormEpsilon, -1", "batchNormEpsilon, NaN", "batchNormEpsilon, -Infinity", "batchNormEpsilon, Infinity",
            "batchNormEpsilon, 1e-3x", "inputHeight, 2147483647", "inputWidth, 8193", "inputHeight, -5", "inputHeight, 1e9",
            "width, NaN", "width, -Infinity", "width, 1e300", "classes, -1", "classes, 2147483647", "expansion, -1",
            "expansion, 2147483647", "dropout, NaN", "padding, reflect", "bottleneck, relu", "shortcut, wide"})
    void badConfigurationInMetadataIsTheFormatExceptionNamingTheEntry(String key, String value) throws Exception {
        String e = checkpointError(key, value);
        String named = switch (key) {
            case "batchNormEpsilon" -> "epsilon";
            case "inputHeight", "inputWidth" -> "(input|resolution)";
            default -> key;
        };
        assertTrue(java.util.regex.Pattern.compile(named, java.util.regex.Pattern.CASE_INSENSITIVE).matcher(e).find(), e);
    }

    /** The backstop at the importer's entry: a runtime exception no check caught still ends as the format one. */
    @Test
    void anUncheckedFailureIsStillTheFormatException() {
        IllegalStateException gap = new IllegalStateException("a check the reader lacks");
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.guarded(() -> {
            throw gap;
        }));
        assertTrue(e.getMessage().startsWith(Safetensors.UNCHECKED) && e.getMessage().contains(gap.getMessage()));
        assertSame(gap, e.getCause());
    }

    @Test
    void wellFormedFileParses() throws Exception {
        var c = Safetensors.parse(ByteBuffer.wrap(file(
                "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[8,10]}}", 10)));
        assertEquals("v", c.metadata().get("k"));
        assertEquals(2, c.floats("a").length);
        assertEquals(0f, c.floats("b")[0]);
    }

    @Test
    void halfPrecisionAndBfloat16AreWidenedExactly() throws Exception {
        short[] halves = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, (short) 0x8400, 0x7c00, 0x3555};
        float[] expected = {1f, -2f, 65504f, 0x1p-24f, -0x1p-14f, Float.POSITIVE_INFINITY, 0.333251953125f};
        ByteBuffer data = ByteBuffer.allocate(halves.length * 2 + 4).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : halves) {
            data.putShort(h);
        }
        data.putShort((short) 0x3f80).putShort((short) 0xc0a0);
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[7],\"data_offsets\":[0,14]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[14,18]}}";
        byte[] bytes = file(header, 0);
        ByteBuffer whole = ByteBuffer.allocate(bytes.length + 18).put(bytes).put(data.array());
        var c = Safetensors.parse(whole.flip());
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, c.floats("h"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1f, -5f}, c.floats("b"));
        assertTrue(Float.isNaN(dev.mnv2.util.Float16.toFloat((short) 0x7e00)));
    }

    @Test
    void headerLengthsThatDoNotFitAreRejected() {
        assertTrue(error(new byte[5]).contains("too short"));
        assertTrue(error(file(new byte[16], Long.MAX_VALUE, 0)).contains("header length"));
        assertTrue(error(file(new byte[16], -1, 0)).contains("header length 18446744073709551615"));
        assertTrue(error(file(new byte[16], 1L << 40, 0)).contains("header length"));
        assertTrue(error(file(new byte[16], 17, 0)).contains("header length"));
        assertTrue(error(file(new byte[0], 0, 0)).contains("header length"));
    }

    @Test
    void malformedHeadersAreRejected() {
        assertTrue(error(file("{\"a\":", 0)).contains("JSON"));
        assertTrue(error(file("[1,2]", 0)).contains("not a JSON object"));
        assertTrue(error(file(new byte[] {'{', '"', (byte) 0xff, '"', '}'}, 5, 0)).contains("UTF-8"));
        assertTrue(error(file("{\"__metadata__\":{\"k\":1}}", 0)).contains("not a string"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4)).contains("unknown field"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)).contains("unknown dtype"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)).contains("shape"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)).contains("shape"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4)).contains("shape"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)).contains("duplicate"));
    }

    @Test
    void offsetsOutOfRangeOverlappingOrLeavingGapsAreRejected() {
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2)).contains("outside"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4)).contains("data_offsets"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", 6)).contains("overlapping"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)).contains("gap"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8)).contains("not indexed"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4)).contains("needs 8 bytes"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4))
                .contains("too many"));
    }

    /** A few MB whose metadata and layer shapes agree on width 20: building it would take 1.4 G weights. */
    @Test
    void smallFileClaimingAHugeNetworkIsRefusedBeforeAllocation() {
        var config = MobileNetV2.builder().width(20).classes(1).config();
        var metadata = new java.util.LinkedHashMap<>(config.toMap());
        var entries = java.util.List.of(
                Safetensors.Entry.floats("features.0.0.weight", new long[] {640, 3, 3, 3}, new float[640 * 27]),
                Safetensors.Entry.floats("features.2.conv.0.0.weight", new long[] {1920, 320, 1, 1}, new float[1920 * 320]),
                Safetensors.Entry.floats("classifier.1.weight", new long[] {1, 25600}, new float[25600]));
        byte[] bytes = Safetensors.toBytes(metadata, entries);
        String e = assertThrows(SafetensorsFormatException.class,
                () -> Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes)))).getMessage();
        assertTrue(e.contains("needs") && e.contains("holds only"), e);
    }

    @Test
    void fuzzedCheckpointsEitherLoadOrFailWithTheFormatException() {
        Network network = MobileNetV2.builder().width(0.1).resolution(32).classes(3).seed(8).build();
        byte[] valid = Checkpoint.toBytes(network);
        int headerEnd = 8 + (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        SplittableRandom random = new SplittableRandom(2024);
        int rejected = 0;
        int iterations = 1500;
        for (int i = 0; i < iterations; i++) {
            byte[] bytes;
            boolean truncated = i % 4 == 0;
            if (truncated) {
                bytes = Arrays.copyOf(valid, random.nextInt(valid.length));
            } else {
                bytes = valid.clone();
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    // Most flips land in the length prefix and header, where parsing decisions are made.
                    int at = random.nextInt(4) == 0 ? random.nextInt(bytes.length) : random.nextInt(headerEnd);
                    bytes[at] ^= (byte) (1 + random.nextInt(255));
                }
            }
            try {
                Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(bytes)));
                if (truncated) {
                    fail("truncation to " + bytes.length + " bytes was accepted");
                }
            } catch (SafetensorsFormatException e) {
                checked(e);
                rejected++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("iteration " + i + " ended in " + e, e);
            }
        }
        System.out.println("safetensors fuzz: " + rejected + " of " + iterations + " corrupted files rejected, the rest "
                + "were changes to weight bytes or harmless header bytes and loaded");
        assertTrue(rejected > iterations / 2);
    }
}
