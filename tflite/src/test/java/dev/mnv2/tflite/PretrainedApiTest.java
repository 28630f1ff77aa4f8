package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.Classification;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.image.ImageSegmenter;
import dev.mnv2.image.SegmentationMap;
import dev.mnv2.testing.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one-line pretrained API of the README: a known name in, a ready classifier or segmenter out, the name
 * resolved through $MNV2_MODELS (skipped, saying so, when it is unset).
 */
class PretrainedApiTest {
    private static final int PASCAL_BIRD = 3;

    @Test
    void theDefaultClassifierSeesTheCat() throws Exception {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        List<Classification> top;
        try (ImageClassifier classifier = ImageClassifier.pretrained("mobilenet_v2_1.0_224_quant")) {
            top = classifier.classify(SharedData.data("images/cat.bmp"), 5);
        }
        assertEquals(286, top.get(0).index(), top.toString());
        assertEquals("Egyptian cat", top.get(0).label());
        assertEquals(0.762, top.get(0).score(), 0.0005, top.toString());
    }

    @Test
    void theSegmenterFindsTheBird() throws Exception {
        SharedData.model("deeplabv3_mnv2_pascal_quant.tflite");
        SegmentationMap map;
        try (ImageSegmenter segmenter = ImageSegmenter.pretrained("deeplabv3_mnv2_pascal_quant")) {
            map = segmenter.segment(SharedData.data("images/bird_segmentation.bmp"));
        }
        int[] counts = new int[21];
        for (int c : map.classes()) {
            counts[c]++;
        }
        int mostCommonObject = 1;
        for (int c = 2; c < counts.length; c++) {
            mostCommonObject = counts[c] > counts[mostCommonObject] ? c : mostCommonObject;
        }
        assertEquals(PASCAL_BIRD, mostCommonObject, java.util.Arrays.toString(counts));
    }

    @Test
    void aModelOfTheOtherTaskIsRefused() {
        SharedData.model("deeplabv3_mnv2_pascal_quant.tflite");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageClassifier.pretrained("deeplabv3_mnv2_pascal_quant"));
        assertTrue(e.getMessage().contains("segmentation model"), e.getMessage());
    }
}
