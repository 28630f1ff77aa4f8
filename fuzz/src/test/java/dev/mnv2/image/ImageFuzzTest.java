package dev.mnv2.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mnv2.fuzz.ReaderContract;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Images#read} on fuzzed files ends in an RGB image or an {@link ImageReadException}. The reader's
 * public entry point takes a path (it reads the EXIF orientation from the file too), so each input is
 * written to one temporary file first.
 */
class ImageFuzzTest {
    /**
     * A file may claim up to {@link Images#MAX_PIXELS} pixels; decoding that many takes the decoder's
     * raster (up to 4 bytes a pixel), the RGB copy (4) and an EXIF rotation (4) plus ImageIO's own
     * buffers, so 16 bytes per allowed pixel on top of a fixed part; nothing scales with the file size.
     */
    private static final ReaderContract CONTRACT =
            new ReaderContract("image", (64L << 20) + 16 * Images.MAX_PIXELS, 64,
                    List.of(ImageReadException.class), "");

    private static final Path FILE = temporaryFile();

    /** Tiny JPEG, PNG, BMP and GIF files in the colour types ImageIO writes. */
    private static final List<byte[]> SEEDS = List.of(
            encode(BufferedImage.TYPE_INT_RGB, "jpeg"),
            encode(BufferedImage.TYPE_BYTE_GRAY, "jpeg"),
            encode(BufferedImage.TYPE_INT_ARGB, "png"),
            encode(BufferedImage.TYPE_USHORT_GRAY, "png"),
            encode(BufferedImage.TYPE_BYTE_INDEXED, "png"),
            encode(BufferedImage.TYPE_3BYTE_BGR, "bmp"),
            encode(BufferedImage.TYPE_BYTE_INDEXED, "gif"));

    static {
        ReaderContract.warmUp(SEEDS, ImageFuzzTest::decode);
    }

    static Stream<Arguments> seeds() {
        return SEEDS.stream().map(bytes -> Arguments.of((Object) bytes));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10s")
    void read(byte[] input) {
        CONTRACT.check(input, ImageFuzzTest::decode);
    }

    private static void decode(byte[] input) throws IOException {
        Files.write(FILE, input);
        Images.read(FILE);
    }

    /** A 7x5 gradient with some transparency, so every colour type has distinct pixels to encode. */
    private static byte[] encode(int type, String format) {
        BufferedImage image = new BufferedImage(7, 5, type);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                image.setRGB(x, y, (x * 36 + y) << 24 | x * 36 << 16 | y * 60 << 8 | (x + y) * 20);
            }
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("ImageIO has no " + format + " writer for type " + type);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path temporaryFile() {
        try {
            Path file = Files.createTempFile("mnv2-image-fuzz", ".img");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void report() {
        System.out.println(CONTRACT.report(ReaderContract.reportDirectory()));
    }
}
