package dev.mnv2.image;

import java.awt.image.BufferedImage;

/**
 * An 8-bit RGB image read a row at a time, so that {@link ImagePreprocessor}'s resize takes a
 * {@link BufferedImage} and a compact byte image (the data loader's decoded cache) alike.
 */
public interface PixelSource {
    int width();

    int height();

    /** Writes pixels {@code x .. x + count - 1} of row {@code y} into {@code rgb[0 .. count - 1]} as 0xRRGGBB. */
    void readRow(int y, int x, int count, int[] rgb);

    /** {@code image} as a source (its getRGB values, alpha ignored). */
    static PixelSource of(BufferedImage image) {
        return new PixelSource() {
            @Override
            public int width() {
                return image.getWidth();
            }

            @Override
            public int height() {
                return image.getHeight();
            }

            @Override
            public void readRow(int y, int x, int count, int[] rgb) {
                image.getRGB(x, y, count, 1, rgb, 0, count);
            }
        };
    }
}
