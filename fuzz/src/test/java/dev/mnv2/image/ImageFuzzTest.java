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
 * Reading a fuzzed file the way {@code classify} does ({@link ImagePreprocessor#read}, which asks
 * {@link Images#read(Path, int, int)} for a subsampled decode at 4x the model's 224x224 input) ends in an RGB
 * image or an {@link ImageReadException}. The reader takes a path (it reads the EXIF orientation from the
 * file too), so each input is written to one temporary file first.
 */
class ImageFuzzTest {
    private static final ImagePreprocessor PREPROCESSOR = ImagePreprocessor.builder(224, 224).build();

    /**
     * The decode keeps less than twice the asked 1024 pixels per side (under 2048 x 2048 pixels), so
     * memory follows that, not the size a file claims: the decoder's raster (up to 4 bytes a pixel), the RGB
     * copy (4) and an EXIF rotation (4) plus ImageIO's buffers make 16 bytes a pixel over a fixed part for
     * full-width rows (at most {@link Images#MAX_SIDE} pixels) and the decoders' tables.
     */
    private static final long DECODED_PIXELS_BOUND = 4L * 1024 * 1024;

    private static final ReaderContract CONTRACT = new ReaderContract("image",
            (64L << 20) + 16 * DECODED_PIXELS_BOUND, 64, List.of(ImageReadException.class), "");

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
        PREPROCESSOR.read(FILE);
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

    /**
     * The input file lives in {@code -Dfuzz.image.dir} (default: the temporary directory), and so do ImageIO's
     * stream caches: creating and opening files is most of an input's time, several times faster in a
     * memory file system such as /dev/shm, which the long run uses.
     */
    private static Path temporaryFile() {
        try {
            Path directory = Path.of(System.getProperty("fuzz.image.dir", System.getProperty("java.io.tmpdir")));
            ImageIO.setCacheDirectory(directory.toFile());
            Path file = Files.createTempFile(directory, "mnv2-image-fuzz", ".img");
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
