package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.testing.SharedData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Damaged files end in {@link TfliteFormatException} every time, caught by an explicit check (never the
 * safety net for raw runtime errors), and quickly. Byte flips inside weight data may leave a loadable
 * file, which is fine; anything else must be rejected.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CorruptFileTest {
    private static byte[] model;

    @BeforeAll
    static void writeSmallModel() {
        Network network = MobileNetV2.builder().width(0.1).resolution(32).classes(2).seed(3).build().foldBatchNorm();
        model = TfliteWriter.write(network);
    }

    @Test
    void truncationAtAnyOffsetIsAFormatError() {
        for (int length = 0; length < model.length; length += length < 4096 ? 1 : 97) {
            assertRejected(Arrays.copyOf(model, length), "truncated to " + length + " bytes");
        }
        assertRejected(Arrays.copyOf(model, model.length - 1), "one byte short");
    }

    @Test
    void flippedBytesAreRejectedOrHarmless() {
        SplittableRandom random = new SplittableRandom(1);
        int structure = Math.min(model.length, 64 * 1024);
        for (int i = 0; i < 1500; i++) {
            byte[] damaged = model.clone();
            int at = i < 1000 ? random.nextInt(structure) : random.nextInt(model.length);
            damaged[at] ^= (byte) (1 + random.nextInt(255));
            assertRejectedOrLoads(damaged, "byte " + at + " flipped");
        }
    }

    @Test
    void absurdLengthsAndOffsetsAreFormatErrors() {
        int[] absurd = {0x7FFFFFFF, 0xFFFFFFFF, 0x80000000};
        for (int at = 0; at + 4 <= Math.min(model.length, 6 * 1024); at += 4) {
            for (int value : absurd) {
                byte[] damaged = model.clone();
                ByteBuffer.wrap(damaged).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
                assertRejectedOrLoads(damaged, "word at " + at + " set to " + Integer.toHexString(value));
            }
        }
    }

    @Test
    void notAFlatbufferAtAll() {
        assertRejected(new byte[0], "empty");
        assertRejected("hello, this is not a model".getBytes(), "text");
        byte[] zeros = new byte[1024];
        assertRejected(zeros, "zeros");
        byte[] wrongIdentifier = model.clone();
        wrongIdentifier[4] = 'X';
        assertRejected(wrongIdentifier, "wrong identifier");
    }

    @Test
    void truncatedRealModelIsAFormatError() throws Exception {
        byte[] real = Files.readAllBytes(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"));
        // The flatbuffer ends where the metadata zip (labels) begins; cutting into the zip only loses labels.
        int flatbufferEnd = 3_588_976;
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 60; i++) {
            int length = i < 20 ? i * 97 : random.nextInt(flatbufferEnd);
            assertRejected(Arrays.copyOf(real, length), "real model truncated to " + length + " bytes");
        }
    }

    private static void assertRejected(byte[] file, String what) {
        TfliteFormatException e = assertThrows(TfliteFormatException.class, () -> TfliteModels.load(file), what);
        assertCheckedExplicitly(e, what);
    }

    private static void assertRejectedOrLoads(byte[] file, String what) {
        try {
            TfliteModels.load(file);
        } catch (TfliteFormatException e) {
            assertCheckedExplicitly(e, what);
        } catch (Throwable t) {
            fail(what + ": " + t, t);
        }
    }

    private static void assertCheckedExplicitly(TfliteFormatException e, String what) {
        assertFalse(e.getMessage().startsWith(TfliteModels.UNCHECKED), what + " slipped past the checks: "
                + e.getMessage());
    }
}
