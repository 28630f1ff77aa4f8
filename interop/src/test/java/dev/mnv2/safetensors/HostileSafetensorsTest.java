package dev.mnv2.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

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
        return assertThrows(SafetensorsFormatException.class, () -> Safetensors.parse(ByteBuffer.wrap(bytes)))
                .getMessage();
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
