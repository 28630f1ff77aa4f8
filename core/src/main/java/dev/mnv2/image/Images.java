package dev.mnv2.image;

import java.awt.color.ColorSpace;
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
    /** Larger images are refused before decoding (a tiny file can claim a huge size). */
    public static final long MAX_PIXELS = 100_000_000;

    private Images() {}

    /**
     * Reads {@code path} as an 8-bit {@link BufferedImage#TYPE_INT_RGB} image: grayscale is expanded, alpha is
     * composited over white, CMYK JPEGs are colour-converted by ImageIO's CMYK colour space, and photos
     * whose EXIF orientation says so are turned upright.
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
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new ImageReadException(path + ": " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " pixels is more than the " + MAX_PIXELS / 1_000_000 + " megapixels this reader decodes");
                }
                BufferedImage image = reader.read(0);
                return ExifOrientation.upright(toRgb(image), ExifOrientation.of(path));
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
        boolean gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        for (int y = 0; y < h; y++) {
            if (gray) {
                grayRow(image.getRaster(), y, row);
            } else {
                image.getRGB(0, y, w, 1, row, 0, w);
            }
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

    /**
     * Java treats gray images as linear light and brightens them in getRGB (gray 200 becomes 229), but
     * grayscale JPEG and PNG files hold gamma-encoded values like any RGB photo: copy the samples instead.
     */
    private static void grayRow(Raster raster, int y, int[] argb) {
        int bands = raster.getNumBands();
        int shift = Math.max(0, raster.getSampleModel().getSampleSize(0) - 8);
        for (int x = 0; x < argb.length; x++) {
            int v = raster.getSample(x, y, 0) >> shift;
            int a = bands > 1 ? raster.getSample(x, y, 1) >> shift : 255;
            argb[x] = (a << 24) | (v << 16) | (v << 8) | v;
        }
    }

    private static int blendOverWhite(int c, int alpha) {
        return (c * alpha + 255 * (255 - alpha) + 127) / 255;
    }
}
