package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BMP files that wrap a PNG: read when well-formed, refused cheaply when the header lies about the PNG's size. */
class EmbeddedBmpTest {
    @TempDir
    Path dir;

    @Test
    void bmpWrappingAPngIsRead() throws Exception {
        BufferedImage image = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
        image.setRGB(2, 1, 0x123456);
        Path file = dir.resolve("png.bmp");
        Files.write(file, embeddedPng(image));

        BufferedImage read = Images.read(file);

        assertEquals(6, read.getWidth());
        assertEquals(0x123456, read.getRGB(2, 1) & 0xFFFFFF);
    }

    @Test
    void embeddedSizeBeyondTheFileIsRefusedBeforeTheReaderAllocatesIt() throws Exception {
        byte[] bytes = embeddedPng(new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(34, 200_000_000); // the info header's image size
        Path file = dir.resolve("lying.bmp");
        Files.write(file, bytes);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();

        ImageReadException e = assertThrows(ImageReadException.class, () -> Images.read(file));

        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("claims 200000000 bytes of embedded PNG data in a file of " + bytes.length),
                e.getMessage());
        assertTrue(allocated < 16 << 20, allocated + " bytes allocated");
    }

    private static byte[] embeddedPng(BufferedImage image) throws Exception {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("bmp").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionType("BI_PNG");
        var out = new java.io.ByteArrayOutputStream();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        byte[] bytes = out.toByteArray();
        assertEquals(5, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(30), "BI_PNG compression");
        return bytes;
    }
}
