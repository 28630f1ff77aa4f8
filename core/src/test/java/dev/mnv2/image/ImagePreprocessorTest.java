package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Shape;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {
    private static BufferedImage image(int w, int h, java.util.function.IntBinaryOperator rgb) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, rgb.applyAsInt(x, y));
            }
        }
        return image;
    }

    private static int[] redRow(BufferedImage image, int y) {
        int[] row = new int[image.getWidth()];
        for (int x = 0; x < row.length; x++) {
            row[x] = (image.getRGB(x, y) >> 16) & 0xFF;
        }
        return row;
    }

    @Test
    void sameSizeWithoutCropIsTheIdentity() {
        BufferedImage in = image(7, 5, (x, y) -> (x * 30 << 16) | (y * 40 << 8) | (x + y));
        BufferedImage out = ImagePreprocessor.builder(5, 7).centralCrop(1).build().resized(in);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                assertEquals(in.getRGB(x, y), out.getRGB(x, y), x + "," + y);
            }
        }
    }

    @Test
    void upscalingIsBilinearWithHalfPixelCentres() {
        BufferedImage in = image(2, 1, (x, y) -> x == 0 ? 0 : 0xFF0000);
        BufferedImage out = ImagePreprocessor.builder(1, 4).centralCrop(1).build().resized(in);
        // Sample centres 0.25, 0.75, 1.25, 1.75 of the 2-pixel row: 0, 63.75, 191.25, 255.
        assertArrayEquals(new int[] {0, 64, 191, 255}, redRow(out, 0));
    }

    @Test
    void shrinkingAveragesInsteadOfAliasing() {
        BufferedImage checkerboard = image(64, 64, (x, y) -> (x + y) % 2 == 0 ? 0xFFFFFF : 0);
        BufferedImage out = ImagePreprocessor.builder(16, 16).centralCrop(1).build().resized(checkerboard);
        for (int y = 1; y < 15; y++) {
            for (int x = 1; x < 15; x++) {
                assertEquals(128, (out.getRGB(x, y) >> 8) & 0xFF, x + "," + y);
            }
        }
    }

    @Test
    void tinyAndNonSquareOutputSizesWork() {
        int[][] outputs = {{1, 1}, {1, 7}, {7, 1}, {2, 3}, {3, 2}, {1, 224}, {224, 1}};
        int[][] inputs = {{1, 1}, {5, 3}, {3, 5}, {300, 200}};
        for (int[] output : outputs) {
            ImagePreprocessor pre = ImagePreprocessor.builder(output[0], output[1]).build();
            for (int[] input : inputs) {
                BufferedImage out = pre.resized(image(input[0], input[1], (x, y) -> 0x3366CC));
                String size = input[0] + "x" + input[1] + " to " + output[1] + "x" + output[0];
                assertEquals(output[1], out.getWidth(), size);
                assertEquals(output[0], out.getHeight(), size);
                for (int y = 0; y < output[0]; y++) {
                    for (int x = 0; x < output[1]; x++) {
                        assertEquals(0x3366CC, out.getRGB(x, y) & 0xFFFFFF, size + " at " + x + "," + y);
                    }
                }
                assertEquals(new Shape(output[0], output[1], 3), pre.toTensor(image(input[0], input[1], (x, y) -> 0)).shape());
            }
        }
    }

    @Test
    void oneOutputPixelIsTheTriangleWeightedMean() {
        // 4 pixels into 1: the filter spans the row, weights 0.625, 0.875, 0.875, 0.625 over 3.
        BufferedImage row = image(4, 1, (x, y) -> new int[] {0, 100, 200, 255}[x] << 16);
        BufferedImage column = image(1, 4, (x, y) -> new int[] {0, 100, 200, 255}[y]);
        int mean = (int) Math.round((0 * 0.625 + 100 * 0.875 + 200 * 0.875 + 255 * 0.625) / 3);
        ImagePreprocessor one = ImagePreprocessor.builder(1, 1).centralCrop(1).build();
        assertEquals(mean, (one.resized(row).getRGB(0, 0) >> 16) & 0xFF);
        assertEquals(mean, one.resized(column).getRGB(0, 0) & 0xFF);
        assertEquals(0, one.resized(row).getRGB(0, 0) & 0xFFFF, "channels stay apart");
    }

    @Test
    void centralCropKeepsTheMiddle() {
        // 8x8 with a one-pixel red frame around blue: an 75 % crop leaves only blue.
        BufferedImage framed = image(8, 8, (x, y) -> x == 0 || y == 0 || x == 7 || y == 7 ? 0xFF0000 : 0x0000FF);
        BufferedImage out = ImagePreprocessor.builder(6, 6).centralCrop(0.75).build().resized(framed);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                assertEquals(0x0000FF, out.getRGB(x, y) & 0xFFFFFF, x + "," + y);
            }
        }
    }

    /**
     * Without options the crop is the reference evaluation's 87.5 %, cut as tf.image.central_crop cuts it:
     * int((side − side · 0.875) / 2) from each end, so 400 × 300 keeps columns 25…374 and rows 18…281. At the
     * crop's own size the resize is the identity, so every pixel must be the source's.
     */
    @Test
    void defaultCropIsTheCentral87AndAHalfPercent() {
        BufferedImage photo = image(400, 300, (x, y) -> ((x * 7) % 256 << 16) | ((y * 13) % 256 << 8) | ((x + y) % 256));
        BufferedImage out = ImagePreprocessor.builder(264, 350).build().resized(photo);
        for (int y = 0; y < 264; y++) {
            for (int x = 0; x < 350; x++) {
                assertEquals(photo.getRGB(x + 25, y + 18), out.getRGB(x, y), x + "," + y);
            }
        }
    }

    @Test
    void tensorIsNhwcScaledByThePixelScaling() {
        BufferedImage black = image(10, 10, (x, y) -> 0);
        BufferedImage grey = image(30, 20, (x, y) -> 0x80FFC0);
        ImagePreprocessor pre = ImagePreprocessor.builder(4, 6).scaling(new PixelScaling(128, 128)).build();

        Tensor t = pre.toTensor(List.of(black, grey));

        assertEquals(2, t.batch());
        assertEquals(new Shape(4, 6, 3), t.shape());
        assertEquals(-1f, t.get(0, 3, 5, 2));
        assertEquals(0f, t.get(1, 0, 0, 0));
        assertEquals(127f / 128, t.get(1, 2, 3, 1));
        assertEquals(0.5f, t.get(1, 3, 5, 2));
        assertEquals(0f, PixelScaling.MINUS_ONE_TO_ONE.apply(1, 127.5f));
    }

    @Test
    void imageNetNormalisationIsPerChannel() {
        BufferedImage white = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                white.setRGB(x, y, 0xFFFFFF);
            }
        }
        Tensor t = ImagePreprocessor.builder(2, 2).scaling(PixelScaling.IMAGENET).build().toTensor(white);
        assertEquals((1 - 0.485) / 0.229, t.get(0, 1, 1, 0), 1e-5);
        assertEquals((1 - 0.456) / 0.224, t.get(0, 1, 1, 1), 1e-5);
        assertEquals((1 - 0.406) / 0.225, t.get(0, 1, 1, 2), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> PixelScaling.IMAGENET.apply(3, 0));
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder(0, 4));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder(4, 4).centralCrop(0));
        assertThrows(IllegalArgumentException.class, () -> new PixelScaling(0, 0));
    }
}
