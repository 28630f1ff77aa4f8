package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class SegmentationMapTest {
    private static List<String> labels(int n) {
        return IntStream.range(0, n).mapToObj(i -> "c" + i).toList();
    }

    @Test
    void presentClassesWithPixelsAndFractions() {
        SegmentationMap map = new SegmentationMap(2, 3, new int[] {0, 0, 4, 4, 4, 0}, labels(5));
        assertEquals(List.of(new SegmentationMap.ClassArea(0, "c0", 3, 0.5), new SegmentationMap.ClassArea(4, "c4", 3, 0.5)),
                map.present());
        assertEquals(4, map.at(1, 0));
    }

    @Test
    void classesOutsideTheLabelsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SegmentationMap(1, 2, new int[] {0, 3}, labels(3)));
        assertThrows(IllegalArgumentException.class, () -> new SegmentationMap(1, 2, new int[] {0, -1}, labels(3)));
        assertThrows(IllegalArgumentException.class, () -> new SegmentationMap(2, 2, new int[] {0, 1}, labels(3)));
    }

    /** Through PNG and back: 8-bit gray, one sample per pixel, sample = class index, up to 255. */
    @Test
    void maskPngHoldsTheClassIndices() throws Exception {
        int[] classes = IntStream.range(0, 7 * 40).map(i -> (i * 37) % 256).toArray();
        SegmentationMap map = new SegmentationMap(7, 40, classes, labels(256));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(map.toMaskImage(), "png", png);
        BufferedImage read = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, read.getType());
        assertEquals(8, read.getColorModel().getPixelSize());
        Raster raster = read.getRaster();
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 40; x++) {
                assertEquals(map.at(y, x), raster.getSample(x, y, 0));
            }
        }
    }

    @Test
    void moreClassesThanAByteHoldsHaveNoMask() {
        SegmentationMap map = new SegmentationMap(1, 1, new int[] {300}, labels(301));
        assertThrows(IllegalStateException.class, map::toMaskImage);
    }
}
