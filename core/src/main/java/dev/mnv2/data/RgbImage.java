package dev.mnv2.data;

import dev.mnv2.image.ImageReadException;
import dev.mnv2.image.Images;
import dev.mnv2.image.PixelSource;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * A decoded 8-bit RGB image in 3 bytes a pixel ({@code rgb[(y * width + x) * 3 + c]}), the form the data
 * loader keeps in memory: a 32×32 CIFAR image is 3 KB.
 */
public record RgbImage(int width, int height, byte[] rgb) implements PixelSource {
    public RgbImage {
        if (width < 1 || height < 1 || rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs "
                    + 3L * width * height + " bytes, got " + rgb.length);
        }
    }

    /**
     * Reads {@code file} through {@link Images#read(Path, int, int)} (its size and data checks; a file at least
     * twice {@code minWidth × minHeight} decoded subsampled).
     */
    public static RgbImage read(Path file, int minWidth, int minHeight) throws ImageReadException {
        return of(Images.read(file, minWidth, minHeight));
    }

    public static RgbImage of(BufferedImage image) {
        BufferedImage rgbImage = Images.toRgb(image);
        int w = rgbImage.getWidth();
        int h = rgbImage.getHeight();
        byte[] bytes = new byte[3 * w * h];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            rgbImage.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0, i = 3 * y * w; x < w; x++, i += 3) {
                bytes[i] = (byte) (row[x] >> 16);
                bytes[i + 1] = (byte) (row[x] >> 8);
                bytes[i + 2] = (byte) row[x];
            }
        }
        return new RgbImage(w, h, bytes);
    }

    /** Value 0..255 of channel {@code c} at {@code x, y}. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    @Override
    public void readRow(int y, int x, int count, int[] out) {
        for (int i = 0, p = (y * width + x) * 3; i < count; i++, p += 3) {
            out[i] = ((rgb[p] & 0xFF) << 16) | ((rgb[p + 1] & 0xFF) << 8) | (rgb[p + 2] & 0xFF);
        }
    }
}
