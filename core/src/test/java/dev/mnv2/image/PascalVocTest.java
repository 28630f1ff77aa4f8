package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PascalVocTest {
    /** Colours as the VOC devkit's labelcolormap and DeepLab's create_pascal_label_colormap list them. */
    @Test
    void paletteIsTheDevkitsColourMap() {
        assertEquals(0x000000, PascalVoc.color(0));
        assertEquals(0x800000, PascalVoc.color(1));
        assertEquals(0x008000, PascalVoc.color(2));
        assertEquals(0x808000, PascalVoc.color(3));
        assertEquals(0x000080, PascalVoc.color(4));
        assertEquals(0x400000, PascalVoc.color(8));
        assertEquals(0xC08080, PascalVoc.color(15));
        assertEquals(0x004080, PascalVoc.color(20));
        assertEquals(0xE0E0C0, PascalVoc.color(PascalVoc.IGNORE_LABEL));
        Set<Integer> colours = new HashSet<>();
        for (int i = 0; i < 4096; i++) {
            colours.add(PascalVoc.color(i));
        }
        assertEquals(4096, colours.size());
        assertThrows(IllegalArgumentException.class, () -> PascalVoc.color(-1));
    }

    @Test
    void twentyOneClassesBackgroundFirst() {
        assertEquals(21, PascalVoc.LABELS.size());
        assertEquals("background", PascalVoc.LABELS.get(0));
        assertEquals("bird", PascalVoc.LABELS.get(3));
        assertEquals("person", PascalVoc.LABELS.get(15));
        assertEquals("tvmonitor", PascalVoc.LABELS.get(20));
    }
}
