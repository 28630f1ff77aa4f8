package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
    @TempDir
    Path dir;

    @Test
    void grayscalePngBecomesRgb() throws Exception {
        BufferedImage gray = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(1, 2, 0, 200);
        Path file = dir.resolve("gray.png");
        ImageIO.write(gray, "png", file.toFile());

        BufferedImage rgb = Images.read(file);

        assertEquals(BufferedImage.TYPE_INT_RGB, rgb.getType());
        assertEquals(0xC8C8C8, rgb.getRGB(1, 2) & 0xFFFFFF);
        assertEquals(0, rgb.getRGB(0, 0) & 0xFFFFFF);
    }

    @Test
    void sixteenBitGrayKeepsItsValues() throws Exception {
        BufferedImage gray16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        gray16.getRaster().setSample(1, 0, 0, 100 << 8);
        Path file = dir.resolve("gray16.png");
        ImageIO.write(gray16, "png", file.toFile());
        assertEquals(0x646464, Images.read(file).getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void transparentPixelsAreCompositedOverWhite() throws Exception {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00FF0000); // fully transparent red
        argb.setRGB(1, 0, 0xFFFF0000); // opaque red
        Path file = dir.resolve("alpha.png");
        ImageIO.write(argb, "png", file.toFile());

        BufferedImage rgb = Images.read(file);

        assertEquals(0xFFFFFF, rgb.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0xFF0000, rgb.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void jpegBmpAndCmykJpegDecode() throws Exception {
        BufferedImage picture = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 16; x++) {
            for (int y = 0; y < 8; y++) {
                picture.setRGB(x, y, 0x3060C0);
            }
        }
        ImageIO.write(picture, "jpg", dir.resolve("p.jpg").toFile());
        ImageIO.write(picture, "bmp", dir.resolve("p.bmp").toFile());
        assertClose(0x3060C0, Images.read(dir.resolve("p.jpg")).getRGB(8, 4), 6);
        assertEquals(0x3060C0, Images.read(dir.resolve("p.bmp")).getRGB(8, 4) & 0xFFFFFF);

        WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 8, 4, null);
        int[] pixel = new int[4];
        Arrays.fill(pixel, 128);
        for (int x = 0; x < 16; x++) {
            for (int y = 0; y < 8; y++) {
                cmyk.setPixel(x, y, pixel);
            }
        }
        Path cmykFile = dir.resolve("cmyk.jpg");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(cmykFile.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(cmyk, null, null), null);
        } finally {
            writer.dispose();
        }
        BufferedImage converted = Images.read(cmykFile);
        assertEquals(BufferedImage.TYPE_INT_RGB, converted.getType());
        assertEquals(16, converted.getWidth());
        int rgb = converted.getRGB(8, 4);
        assertTrue(((rgb >> 16) & 0xFF) == (rgb & 0xFF), "a neutral CMYK pixel stays neutral: " + Integer.toHexString(rgb));
    }

    @Test
    void badFilesGiveAClearError() throws Exception {
        ImageReadException missing = assertThrows(ImageReadException.class, () -> Images.read(dir.resolve("none.jpg")));
        assertTrue(missing.getMessage().endsWith("none.jpg: image file not found"), missing.getMessage());

        Path text = Files.writeString(dir.resolve("text.jpg"), "this is text");
        ImageReadException notImage = assertThrows(ImageReadException.class, () -> Images.read(text));
        assertTrue(notImage.getMessage().contains("not an image"), notImage.getMessage());

        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "png", png);
        Path truncated = Files.write(dir.resolve("cut.png"), Arrays.copyOf(png.toByteArray(), 60));
        ImageReadException cut = assertThrows(ImageReadException.class, () -> Images.read(truncated));
        assertTrue(cut.getMessage().contains("cannot decode image"), cut.getMessage());

        ImageReadException folder = assertThrows(ImageReadException.class, () -> Images.read(dir));
        assertTrue(folder.getMessage().contains("not a readable file"), folder.getMessage());
    }

    private static void assertClose(int expected, int actual, int tolerance) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int e = (expected >> shift) & 0xFF;
            int a = (actual >> shift) & 0xFF;
            assertTrue(Math.abs(e - a) <= tolerance, Integer.toHexString(actual) + " vs " + Integer.toHexString(expected));
        }
    }
}
