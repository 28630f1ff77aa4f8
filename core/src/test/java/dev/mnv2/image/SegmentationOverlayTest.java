package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class SegmentationOverlayTest {
    @Test
    void backgroundStaysAsItIsAndClassesAreBlendedHalfAndHalf() {
        int w = 120;
        int h = 80;
        BufferedImage photo = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] classes = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                photo.setRGB(x, y, (x * 2) << 16 | (y * 3) << 8 | 0x40);
                classes[y * w + x] = x < 40 ? 0 : x < 80 ? 3 : 15;
            }
        }
        SegmentationMap map = new SegmentationMap(h, w, classes, PascalVoc.LABELS);
        BufferedImage overlay = SegmentationOverlay.render(photo, map);

        assertEquals(w, overlay.getWidth());
        assertTrue(overlay.getHeight() > h, "a legend strip below the photo");
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = photo.getRGB(x, y) & 0xFFFFFF;
                int c = map.at(y, x);
                int expected = c == 0 ? p : halfway(p, PascalVoc.color(c));
                assertEquals(expected, overlay.getRGB(x, y) & 0xFFFFFF, "(" + y + ", " + x + ")");
            }
        }
        assertTrue(legendHas(overlay, h, PascalVoc.color(3)), "bird's swatch");
        assertTrue(legendHas(overlay, h, PascalVoc.color(15)), "person's swatch");
    }

    private static int halfway(int a, int b) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int x = (a >> shift) & 0xFF;
            int y = (b >> shift) & 0xFF;
            out |= (int) Math.round((x + y) / 2.0) << shift;
        }
        return out;
    }

    private static boolean legendHas(BufferedImage overlay, int top, int rgb) {
        for (int y = top; y < overlay.getHeight(); y++) {
            for (int x = 0; x < overlay.getWidth(); x++) {
                if ((overlay.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void photoAndMapMustBeTheSameSize() {
        SegmentationMap map = new SegmentationMap(2, 2, new int[4], PascalVoc.LABELS);
        BufferedImage photo = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        assertThrows(IllegalArgumentException.class, () -> SegmentationOverlay.render(photo, map));
    }
}
