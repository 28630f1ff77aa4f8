package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExifOrientationTest {
    private static final int RED = 0xFF0000;
    private static final int BLUE = 0x0000FF;

    @TempDir
    Path dir;

    /** A 32×16 JPEG, left half red and right half blue, with an Exif APP1 segment spliced in after SOI. */
    private Path photo(byte[] exif) throws Exception {
        BufferedImage image = new BufferedImage(32, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, x < 16 ? RED : BLUE);
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", jpeg);
        byte[] plain = jpeg.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(plain, 0, 2); // SOI
        if (exif != null) {
            int length = exif.length + 2;
            out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (length >> 8), (byte) length});
            out.write(exif);
        }
        out.write(plain, 2, plain.length - 2);
        Path file = dir.resolve("photo.jpg");
        Files.write(file, out.toByteArray());
        return file;
    }

    /** "Exif\0\0", a TIFF header and IFD0 with one entry: orientation (SHORT, value left-justified). */
    private static byte[] exif(int orientation, boolean littleEndian) {
        ByteBuffer b = ByteBuffer.allocate(6 + 8 + 2 + 12 + 4)
                .order(littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {'E', 'x', 'i', 'f', 0, 0});
        byte order = (byte) (littleEndian ? 'I' : 'M');
        b.put(order).put(order).putShort((short) 42).putInt(8);
        b.putShort((short) 1);
        b.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        b.putInt(0);
        return b.array();
    }

    private static void assertColor(int expected, int actual) {
        int dr = Math.abs(((expected >> 16) & 0xFF) - ((actual >> 16) & 0xFF));
        int db = Math.abs((expected & 0xFF) - (actual & 0xFF));
        assertTrue(dr < 40 && db < 40, String.format("expected %06x, got %06x", expected, actual & 0xFFFFFF));
    }

    @ParameterizedTest(name = "orientation {0}, little endian {1}")
    @CsvSource({
        // orientation, little endian, width, height, colour top-left, colour bottom-right
        "1, true, 32, 16, 0xFF0000, 0x0000FF",
        "2, false, 32, 16, 0x0000FF, 0xFF0000",
        "3, true, 32, 16, 0x0000FF, 0xFF0000",
        "6, true, 16, 32, 0xFF0000, 0x0000FF",  // a portrait photo taken with the phone turned clockwise
        "6, false, 16, 32, 0xFF0000, 0x0000FF",
        "8, true, 16, 32, 0x0000FF, 0xFF0000"})
    void photosAreTurnedUpright(int orientation, boolean little, int width, int height, int topLeft,
                                int bottomRight) throws Exception {
        BufferedImage image = Images.read(photo(exif(orientation, little)));
        assertEquals(width, image.getWidth());
        assertEquals(height, image.getHeight());
        assertColor(topLeft, image.getRGB(2, 2));
        assertColor(bottomRight, image.getRGB(width - 3, height - 3));
    }

    /** The asked size is the upright one: a sideways photo's stored rows become its columns. */
    @Test
    void subsampledReadsAskForTheUprightSize() throws Exception {
        Path sideways = photo(exif(6, true)); // stored 32×16, upright 16×32
        BufferedImage image = Images.read(sideways, 8, 4); // every 2nd stored row, every 8th stored column
        assertEquals(8, image.getWidth());
        assertEquals(4, image.getHeight());
        assertColor(RED, image.getRGB(0, 0));
        assertColor(BLUE, image.getRGB(7, 3));
    }

    @Test
    void everyOrientationMapsCornersAsExifDefines() {
        BufferedImage src = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        int[] values = {1, 2, 3, 4, 5, 6}; // row-major: top row 1 2 3, bottom row 4 5 6
        for (int i = 0; i < 6; i++) {
            src.setRGB(i % 3, i / 3, values[i]);
        }
        // For each orientation, the stored pixel that ends up top-left once upright.
        int[] topLeft = {0, 1, 3, 6, 4, 1, 4, 6, 3};
        for (int o = 1; o <= 8; o++) {
            BufferedImage up = ExifOrientation.upright(src, o);
            assertEquals(o >= 5 ? 2 : 3, up.getWidth(), "orientation " + o);
            assertEquals(topLeft[o], up.getRGB(0, 0) & 0xFFFFFF, "orientation " + o);
        }
    }

    @Test
    void missingOrDamagedExifLeavesTheImageAlone() throws Exception {
        assertEquals(32, Images.read(photo(null)).getWidth());
        byte[] truncated = java.util.Arrays.copyOf(exif(6, true), 12);
        assertEquals(32, Images.read(photo(truncated)).getWidth());
        byte[] notExif = exif(6, true);
        notExif[0] = 'X';
        assertEquals(32, Images.read(photo(notExif)).getWidth());
        assertEquals(0, ExifOrientation.fromExif(new byte[0]));
        assertEquals(1, ExifOrientation.ofJpeg(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE1, 0x7F}));
    }
}
