package dev.mnv2.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Decodes JPEG, PNG, BMP and GIF files (whatever javax.imageio reads) into 8-bit RGB images. */
public final class Images {
    private Images() {}

    /**
     * Reads {@code path} as an sRGB {@link BufferedImage#TYPE_INT_RGB} image: grayscale is expanded, alpha is
     * composited over white, CMYK and YCCK JPEGs (which ImageIO cannot colour-convert) are converted here.
     */
    public static BufferedImage read(Path path) throws ImageReadException {
        if (!Files.exists(path)) {
            throw new ImageReadException(path + ": image file not found");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ImageReadException(path + ": not a readable file");
        }
        try (InputStream in = Files.newInputStream(path); ImageInputStream stream = ImageIO.createImageInputStream(in)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                throw new ImageReadException(path + ": not an image in a format this JVM decodes (JPEG, PNG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                String format = reader.getFormatName();
                BufferedImage image;
                try {
                    image = reader.read(0);
                } catch (javax.imageio.IIOException e) {
                    // ImageIO refuses CMYK/YCCK JPEGs ("Unsupported Image Type"); their raw raster still decodes.
                    if (!format.equalsIgnoreCase("jpeg")) {
                        throw e;
                    }
                    Raster raster = reader.readRaster(0, null);
                    if (raster.getNumBands() != 4) {
                        throw e;
                    }
                    return cmykToRgb(raster);
                }
                return toRgb(image);
            } finally {
                reader.dispose();
            }
        } catch (ImageReadException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new ImageReadException(path + ": image file not found");
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ImageReadException(path + ": cannot decode image (" + reason + ")", e);
        }
    }

    /** {@code image} as TYPE_INT_RGB, alpha composited over white. */
    public static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                int a = argb >>> 24;
                if (a != 255) {
                    int r = blendOverWhite((argb >> 16) & 0xFF, a);
                    int g = blendOverWhite((argb >> 8) & 0xFF, a);
                    int b = blendOverWhite(argb & 0xFF, a);
                    argb = (r << 16) | (g << 8) | b;
                }
                row[x] = argb & 0xFFFFFF;
            }
            rgb.setRGB(0, y, w, 1, row, 0, w);
        }
        return rgb;
    }

    private static int blendOverWhite(int c, int alpha) {
        return (c * alpha + 255 * (255 - alpha) + 127) / 255;
    }

    /** Adobe CMYK JPEGs store inverted CMYK; convert naively (no ICC profile), good enough to classify. */
    private static BufferedImage cmykToRgb(Raster raster) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raster.getPixel(raster.getMinX() + x, raster.getMinY() + y, px);
                int k = px[3];
                int r = px[0] * k / 255;
                int g = px[1] * k / 255;
                int b = px[2] * k / 255;
                rgb.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return rgb;
    }
}
