package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import dev.mnv2.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
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
        assertTrue(cut.getMessage().contains("incomplete image data"), cut.getMessage());

        ImageReadException folder = assertThrows(ImageReadException.class, () -> Images.read(dir));
        assertTrue(folder.getMessage().contains("not a readable file"), folder.getMessage());
    }

    @Test
    void headersClaimingHugeSizesAreRefusedOrDecodedSubsampled() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("100mp.jpg", HostileImages.jpegClaiming(10_000, 10_000, 840));
        files.put("36mp.jpg", HostileImages.jpegClaiming(6_000, 6_000, 840));
        files.put("100mp.png", HostileImages.pngClaiming(10_000, 10_000));
        files.put("36mp.png", HostileImages.pngClaiming(6_000, 6_000));
        files.put("100mp.gif", HostileImages.gifClaiming(10_000, 10_000));
        files.put("100mp.bmp", HostileImages.rleBmpClaiming(10_000, 10_000));
        files.put("36mp.bmp", HostileImages.rleBmpClaiming(6_000, 6_000));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path path = Files.write(dir.resolve(file.getKey()), file.getValue());
            long start = System.nanoTime();
            String outcome;
            try {
                BufferedImage image = Images.read(path, 256, 256);
                assertTrue(image.getWidth() >= 256 && image.getWidth() < 512, image.getWidth() + " wide");
                assertTrue(image.getHeight() >= 256 && image.getHeight() < 512, image.getHeight() + " high");
                outcome = "decoded " + image.getWidth() + "x" + image.getHeight();
            } catch (ImageReadException e) {
                outcome = e.getMessage();
            }
            System.out.printf("%s (%d bytes): %s in %.0f ms%n", file.getKey(), file.getValue().length, outcome,
                    (System.nanoTime() - start) / 1e6);
            if (!file.getKey().endsWith(".gif") && !file.getKey().endsWith(".bmp")) {
                assertTrue(outcome.startsWith(path + ": incomplete image data ("), outcome);
            }
        }
    }

    @Test
    void sizesAboveTheLimitsAreRefusedBeforeDecoding() throws Exception {
        Map<String, byte[]> files = Map.of(
                "over.jpg", HostileImages.jpegClaiming(10_001, 10_000, 840),
                "over.gif", HostileImages.gifClaiming(65_535, 65_535),
                "wide.png", HostileImages.pngClaiming(100_000, 10),
                "over.bmp", HostileImages.rleBmpClaiming(40_000, 40_000));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path path = Files.write(dir.resolve(file.getKey()), file.getValue());
            ImageReadException e = assertThrows(ImageReadException.class, () -> Images.read(path));
            assertTrue(e.getMessage().contains("pixels is not an image size this reader decodes (at most 100 "
                    + "megapixels and 65535 pixels a side)"), e.getMessage());
        }
    }

    /** Malformed headers decode or fail with one ImageReadException, whatever ImageIO's decoders throw. */
    @Test
    void malformedHeadersAreImageReadExceptions() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("empty.gif", HostileImages.gifClaiming(0, 0));
        for (int colours : new int[] {300, Integer.MAX_VALUE}) {
            byte[] palette = HostileImages.rleBmpClaiming(64, 64);
            ByteBuffer.wrap(palette).order(ByteOrder.LITTLE_ENDIAN).putInt(46, colours); // palette size
            files.put("palette" + colours + ".bmp", palette);
        }
        byte[] dataSize = HostileImages.rleBmpClaiming(64, 64);
        ByteBuffer.wrap(dataSize).order(ByteOrder.LITTLE_ENDIAN).putInt(34, Integer.MAX_VALUE); // image data size
        files.put("data-size.bmp", dataSize);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path path = Files.write(dir.resolve(file.getKey()), file.getValue());
            try {
                BufferedImage image = Images.read(path);
                System.out.println(file.getKey() + ": decoded " + image.getWidth() + "x" + image.getHeight());
            } catch (ImageReadException e) {
                System.out.println(e.getMessage() + " <- " + e.getCause());
                assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
                assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            }
        }
        assertThrows(ImageReadException.class, () -> Images.read(dir.resolve("empty.gif")));
    }

    @Test
    void subsampledReadKeepsEveryNthPixelAndAtLeastTheAskedSize() throws Exception {
        Path file = dir.resolve("photo.png");
        ImageIO.write(HostileImages.photoLike(1000, 600, 1), "png", file.toFile());
        BufferedImage whole = Images.read(file);

        BufferedImage fifths = Images.read(file, 200, 100); // every 5th column from 2, every 6th row from 3
        assertEquals(200, fifths.getWidth());
        assertEquals(100, fifths.getHeight());
        for (int y = 0; y < 100; y += 7) {
            for (int x = 0; x < 200; x += 3) {
                assertEquals(whole.getRGB(2 + 5 * x, 3 + 6 * y), fifths.getRGB(x, y), x + "," + y);
            }
        }
        BufferedImage thirds = Images.read(file, 300, 250); // steps 3 and 2
        assertEquals(333, thirds.getWidth());
        assertEquals(300, thirds.getHeight());
        BufferedImage small = Images.read(file, 501, 301); // less than twice the asked size: decoded whole
        assertEquals(1000, small.getWidth());
        assertEquals(600, small.getHeight());
        assertThrows(IllegalArgumentException.class, () -> Images.read(file, 0, 10));
    }

    @Test
    void truncatedImagesAreIncompleteNotGreyFilled() throws Exception {
        BufferedImage photo = HostileImages.photoLike(320, 240, 2);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("jpg", HostileImages.encode(photo, "jpg"));
        files.put("progressive.jpg", HostileImages.progressiveJpeg(photo));
        files.put("png", HostileImages.encode(photo, "png"));
        files.put("bmp", HostileImages.encode(photo, "bmp"));
        for (Map.Entry<String, byte[]> format : files.entrySet()) {
            Path whole = Files.write(dir.resolve("whole." + format.getKey()), format.getValue());
            assertEquals(320, Images.read(whole).getWidth(), "the uncut file decodes");
            assertTruncationsFail(format.getKey(), format.getValue(), 0.25, 0.5, 0.75, 0.95);
        }
        byte[] jpeg = files.get("jpg");
        Path withoutEndMarker = Files.write(dir.resolve("no-eoi.jpg"), Arrays.copyOf(jpeg, jpeg.length - 2));
        assertEquals(320, Images.read(withoutEndMarker).getWidth(), "every pixel is there");
    }

    @Test
    void truncatedSharedPhotosAreIncomplete() throws Exception {
        byte[] jpeg = Files.readAllBytes(SharedData.data("images/cat_720p.jpg"));
        Path first20k = Files.write(dir.resolve("cat_20k.jpg"), Arrays.copyOf(jpeg, 20_000));
        ImageReadException e = assertThrows(ImageReadException.class, () -> Images.read(first20k));
        assertTrue(e.getMessage().equals(first20k + ": incomplete image data (Corrupt JPEG data: premature end of "
                + "data segment)"), e.getMessage());
        assertTruncationsFail("jpg", jpeg, 0.1, 0.5, 0.9, 0.999);
        assertTruncationsFail("bmp", Files.readAllBytes(SharedData.data("images/cat.bmp")), 0.1, 0.5, 0.9, 0.999);
    }

    private void assertTruncationsFail(String extension, byte[] file, double... fractions) throws Exception {
        for (double fraction : fractions) {
            int length = (int) (file.length * fraction);
            Path cut = Files.write(dir.resolve("cut" + length + "." + extension), Arrays.copyOf(file, length));
            ImageReadException e = assertThrows(ImageReadException.class, () -> Images.read(cut),
                    extension + " cut to " + length + " of " + file.length + " bytes");
            assertTrue(e.getMessage().startsWith(cut + ": incomplete image data ("), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    /** A decoder that fails with an Error: what a stack overflow or exhausted heap inside ImageIO looks like. */
    @Test
    void decoderErrorsBecomeImageReadExceptions() throws Exception {
        Path file = Files.write(dir.resolve("broken.img"), FailingReader.MAGIC);
        IIORegistry registry = IIORegistry.getDefaultInstance();
        for (Error error : new Error[] {new OutOfMemoryError("Java heap space"), new StackOverflowError()}) {
            FailingReader.Spi spi = new FailingReader.Spi(error);
            registry.registerServiceProvider(spi);
            try {
                ImageReadException e = assertThrows(ImageReadException.class, () -> Images.read(file));
                assertEquals(error, e.getCause());
                System.out.println(e.getMessage());
                assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
                assertTrue(e.getMessage().contains(error.getClass().getSimpleName()), e.getMessage());
            } finally {
                registry.deregisterServiceProvider(spi);
            }
        }
    }

    /** Reads {@link #MAGIC} files as 4×4 images and throws its Error when asked for the pixels. */
    private static final class FailingReader extends ImageReader {
        static final byte[] MAGIC = "mnv2-failing-image".getBytes(StandardCharsets.US_ASCII);
        private final Error error;

        FailingReader(Spi spi, Error error) {
            super(spi);
            this.error = error;
        }

        @Override
        public int getNumImages(boolean allowSearch) {
            return 1;
        }

        @Override
        public int getWidth(int imageIndex) {
            return 4;
        }

        @Override
        public int getHeight(int imageIndex) {
            return 4;
        }

        @Override
        public Iterator<ImageTypeSpecifier> getImageTypes(int imageIndex) {
            return List.of(ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_INT_RGB)).iterator();
        }

        @Override
        public IIOMetadata getStreamMetadata() {
            return null;
        }

        @Override
        public IIOMetadata getImageMetadata(int imageIndex) {
            return null;
        }

        @Override
        public BufferedImage read(int imageIndex, ImageReadParam param) {
            throw error;
        }

        static final class Spi extends ImageReaderSpi {
            private final Error error;

            Spi(Error error) {
                super("mnv2", "1", new String[] {"mnv2-failing"}, new String[] {"img"}, new String[0],
                        FailingReader.class.getName(), new Class<?>[] {ImageInputStream.class}, null, false, null,
                        null, null, null, false, null, null, null, null);
                this.error = error;
            }

            @Override
            public boolean canDecodeInput(Object source) throws IOException {
                ImageInputStream stream = (ImageInputStream) source;
                byte[] head = new byte[MAGIC.length];
                stream.mark();
                try {
                    return stream.read(head) == head.length && Arrays.equals(head, MAGIC);
                } finally {
                    stream.reset();
                }
            }

            @Override
            public ImageReader createReaderInstance(Object extension) {
                return new FailingReader(this, error);
            }

            @Override
            public String getDescription(Locale locale) {
                return "a reader that fails";
            }
        }
    }

    private static void assertClose(int expected, int actual, int tolerance) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int e = (expected >> shift) & 0xFF;
            int a = (actual >> shift) & 0xFF;
            assertTrue(Math.abs(e - a) <= tolerance, Integer.toHexString(actual) + " vs " + Integer.toHexString(expected));
        }
    }
}
