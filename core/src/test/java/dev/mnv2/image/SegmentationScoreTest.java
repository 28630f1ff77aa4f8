package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IoU by hand on small maps: per class, the mean over classes present, void pixels, several images. */
class SegmentationScoreTest {
    private static final List<String> LABELS = List.of("background", "cat", "dog");

    @Test
    void perClassIouIsIntersectionOverUnionAndTheMeanSkipsAbsentClasses() {
        // Predicted and true classes of 8 pixels; "dog" occurs in neither.
        SegmentationMap predicted = new SegmentationMap(2, 4, new int[] {0, 0, 1, 1, 1, 0, 0, 0}, LABELS);
        int[] truth = {0, 0, 0, 1, 1, 1, 0, PascalVoc.IGNORE_LABEL};
        SegmentationScore score = new SegmentationScore(LABELS).add(predicted, truth);
        // background: truth {0,1,2,6}, predicted {0,1,5,6} (pixel 7 void) → 3 / 5; cat: truth {3,4,5},
        // predicted {2,3,4} → 2 / 4.
        List<SegmentationScore.ClassIou> classes = score.perClass();
        assertEquals(2, classes.size());
        assertEquals(new SegmentationScore.ClassIou(0, "background", 3, 5), classes.get(0));
        assertEquals(new SegmentationScore.ClassIou(1, "cat", 2, 4), classes.get(1));
        assertEquals((0.6 + 0.5) / 2, score.meanIou(), 1e-12);
        assertEquals(5 / 7.0, score.pixelAccuracy(), 1e-12);
        assertEquals(7, score.pixels());
    }

    @Test
    void imagesAccumulateIntoOneConfusionMatrixAsVocScoresASet() {
        SegmentationMap a = new SegmentationMap(1, 2, new int[] {2, 2}, LABELS);
        SegmentationMap b = new SegmentationMap(1, 2, new int[] {0, 2}, LABELS);
        SegmentationScore score = new SegmentationScore(LABELS).add(a, new int[] {2, 0}).add(b, new int[] {0, 0});
        // dog: truth {a0}, predicted {a0, a1, b1} → 1 / 3; background: truth {a1, b0, b1}, predicted {b0} → 1 / 3.
        assertEquals(new SegmentationScore.ClassIou(2, "dog", 1, 3), score.perClass().get(1));
        assertEquals(new SegmentationScore.ClassIou(0, "background", 1, 3), score.perClass().get(0));
        assertEquals(Double.NaN, new SegmentationScore(LABELS).meanIou());
    }

    @Test
    void masksAreReadAsStoredValuesAndBadOnesAreRefused() {
        BufferedImage gray = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(2, 1, 0, 7);
        int[] values = SegmentationScore.maskValues(gray, 2, 3);
        assertEquals(7, values[5]);
        assertEquals(0, values[0]);
        assertThrows(IllegalArgumentException.class, () -> SegmentationScore.maskValues(gray, 3, 2));
        BufferedImage rgb = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        assertThrows(IllegalArgumentException.class, () -> SegmentationScore.maskValues(rgb, 2, 3));
        SegmentationMap map = new SegmentationMap(2, 3, new int[6], LABELS);
        assertThrows(IllegalArgumentException.class, () -> new SegmentationScore(LABELS).add(map, values));
        assertThrows(IllegalArgumentException.class, () -> new SegmentationScore(LABELS).add(map, new int[5]));
    }
}
