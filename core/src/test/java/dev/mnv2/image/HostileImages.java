package dev.mnv2.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Image files as a fuzzer finds them: small valid files whose headers are patched to claim a huge size, and
 * photo-like pictures to truncate. Every file is made here, so the tests need no data files.
 */
public final class HostileImages {
    private HostileImages() {}

    /** Writes the files of {@code SmallHeapTest} that claim 100 megapixels into the folder {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        Path folder = Files.createDirectories(Path.of(args[0]));
        for (Map.Entry<String, byte[]> file : claiming100Megapixels().entrySet()) {
            System.out.println(Files.write(folder.resolve(file.getKey()), file.getValue()));
        }
    }

    /** Files of about 1 KB claiming 10000×10000 pixels, by name. */
    static Map<String, byte[]> claiming100Megapixels() {
        byte[] progressive = progressiveJpeg(photoLike(16, 16, 6));
        patchJpegFrame(progressive, 10_000, 10_000);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("claims-100mp.jpg", jpegClaiming(10_000, 10_000, 840));
        files.put("claims-100mp-progressive.jpg", progressive);
        files.put("claims-100mp.png", pngClaiming(10_000, 10_000));
        files.put("claims-100mp.gif", gifClaiming(10_000, 10_000));
        files.put("claims-100mp-rle.bmp", rleBmpClaiming(10_000, 10_000));
        return files;
    }

    /** Gradients, a ripple and noise: compresses like a photo, so truncation cuts real image data. */
    static BufferedImage photoLike(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int ripple = (int) (40 * Math.sin(x * 0.05) * Math.cos(y * 0.07));
                int r = clamp(x * 255 / width + ripple + random.nextInt(24));
                int g = clamp(y * 255 / height - ripple + random.nextInt(24));
                int b = clamp(128 + ripple + random.nextInt(24));
                row[x] = r << 16 | g << 8 | b;
            }
            image.setRGB(0, y, width, 1, row, 0, width);
        }
        return image;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no " + format + " writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A progressive JPEG: its scans refine the whole picture in turn, so a cut one still shows all of it. */
    static byte[] progressiveJpeg(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * A 16×16 JPEG whose frame header claims {@code width} × {@code height}, padded with a comment segment
     * to exactly {@code fileBytes} bytes (at least its unpadded size, about 780).
     */
    static byte[] jpegClaiming(int width, int height, int fileBytes) {
        byte[] jpeg = encode(photoLike(16, 16, 3), "jpg");
        patchJpegFrame(jpeg, width, height);
        int padding = fileBytes - jpeg.length;
        if (padding == 0) {
            return jpeg;
        }
        if (padding < 4) {
            throw new IllegalArgumentException("a JPEG claiming a size needs at least " + (jpeg.length + 4) + " bytes");
        }
        ByteBuffer out = ByteBuffer.allocate(fileBytes);
        out.put(jpeg, 0, 2); // SOI
        out.put((byte) 0xFF).put((byte) 0xFE).putShort((short) (padding - 2)); // COM segment
        out.put(new byte[padding - 4]);
        out.put(jpeg, 2, jpeg.length - 2);
        return out.array();
    }

    /** Writes {@code width} × {@code height} into the first frame header (baseline or progressive). */
    static void patchJpegFrame(byte[] jpeg, int width, int height) {
        int at = 2;
        while (at + 9 < jpeg.length && (jpeg[at] & 0xFF) == 0xFF) {
            int marker = jpeg[at + 1] & 0xFF;
            if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
                ByteBuffer.wrap(jpeg).putShort(at + 5, (short) height).putShort(at + 7, (short) width);
                return;
            }
            at += 2 + ((jpeg[at + 2] & 0xFF) << 8 | (jpeg[at + 3] & 0xFF));
        }
        throw new IllegalArgumentException("no JPEG frame header");
    }

    /** A 16×16 PNG whose header claims {@code width} × {@code height} (with a correct header CRC). */
    static byte[] pngClaiming(int width, int height) {
        byte[] png = encode(photoLike(16, 16, 4), "png");
        ByteBuffer b = ByteBuffer.wrap(png); // signature (8), IHDR length (4), "IHDR" (4), width, height, ...
        b.putInt(16, width).putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
        return png;
    }

    /** A 16×16 GIF whose screen and image descriptor claim {@code width} × {@code height}. */
    static byte[] gifClaiming(int width, int height) {
        BufferedImage indexed = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_INDEXED);
        indexed.getGraphics().drawImage(photoLike(16, 16, 5), 0, 0, null);
        byte[] gif = encode(indexed, "gif");
        ByteBuffer b = ByteBuffer.wrap(gif).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(6, (short) width).putShort(8, (short) height);
        int flags = gif[10] & 0xFF;
        int at = 13 + ((flags & 0x80) != 0 ? 3 * (2 << (flags & 7)) : 0);
        while ((gif[at] & 0xFF) == 0x21) { // extension blocks before the image descriptor
            at += 2;
            while (gif[at] != 0) {
                at += (gif[at] & 0xFF) + 1;
            }
            at++;
        }
        if (gif[at] != 0x2C) {
            throw new IllegalStateException("no GIF image descriptor at " + at);
        }
        b.putShort(at + 5, (short) width).putShort(at + 7, (short) height);
        return gif;
    }

    /**
     * An 8-bit run-length BMP of {@code width} × {@code height} whose only code is "end of bitmap": legal
     * (the rest of the picture is left as palette colour 0), about 1 KB for any size.
     */
    static byte[] rleBmpClaiming(int width, int height) {
        int palette = 256 * 4;
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + palette + 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(b.capacity()).putInt(0).putInt(14 + 40 + palette);
        b.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) 8);
        b.putInt(1 /* BI_RLE8 */).putInt(2).putInt(2835).putInt(2835).putInt(256).putInt(0);
        for (int i = 0; i < 256; i++) {
            b.putInt(i * 0x010101);
        }
        b.put((byte) 0).put((byte) 1); // end of bitmap
        return b.array();
    }
}
