package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.Classification;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.image.Images;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.testing.SharedData;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The published models classify the shared cat photos with the scores the model publisher's own tests
 * require (index 286 "Egyptian cat" with at least 0.7 for the TF1 uint8 model and 0.6 for the TF2 int8
 * one), running their dequantised weights in float32.
 */
class PretrainedModelTest {
    private static final int EGYPTIAN_CAT = 286;

    @Test
    void tf1QuantisedModelSeesAnEgyptianCat() throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"));

        assertEquals(1.0, model.network().config().width());
        assertEquals(224, model.network().config().inputHeight());
        assertEquals(1001, model.network().config().classes());
        assertEquals("uint8", model.weightType());
        assertEquals(new PixelScaling(128f, 128f), model.input().scaling());
        assertEquals("background", model.network().labels().get(0));
        try (ImageClassifier classifier = ImageClassifier.create(model.loaded())) {
            Classification top = classifier.classify(SharedData.data("images/cat.bmp"), 5).get(0);
            assertEquals(EGYPTIAN_CAT, top.index(), top.toString());
            assertEquals("Egyptian cat", top.label());
            assertTrue(top.score() >= 0.7f, top.toString());

            assertDomesticCat(classifier.classify(SharedData.data("images/cat_720p.jpg"), 1).get(0));
        }
    }

    @Test
    void tf2PerChannelInt8ModelSeesAnEgyptianCat() throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model("tf2_mobilenet_v2_1.0_224_ptq.tflite"));

        assertEquals("int8", model.weightType());
        assertEquals(1001, model.network().labels().size());
        try (ImageClassifier classifier = ImageClassifier.create(model.loaded())) {
            BufferedImage cat = Images.read(SharedData.data("images/cat.bmp"));
            List<Classification> top = classifier.classify(cat, 3);
            assertEquals(EGYPTIAN_CAT, top.get(0).index(), top.toString());
            assertTrue(top.get(0).score() >= 0.6f, top.toString());

            assertDomesticCat(classifier.classify(SharedData.data("images/cat_720p.jpg"), 1).get(0));
        }
    }

    @Test
    void segmentationModelIsNotAClassifier() throws Exception {
        TfliteModel deeplab = TfliteModels.load(SharedData.model("deeplabv3_mnv2_pascal_quant.tflite"));

        IllegalArgumentException byTask = assertThrows(IllegalArgumentException.class,
                () -> ImageClassifier.create(deeplab.loaded()));
        IllegalArgumentException byShape = assertThrows(IllegalArgumentException.class,
                () -> ImageClassifier.create(deeplab.network(), deeplab.input().scaling()));

        assertTrue(byTask.getMessage().contains("segmentation model"), byTask.getMessage());
        assertTrue(byShape.getMessage().contains("513x513x21"), byShape.getMessage());
    }

    /** ImageNet's domestic cats: tabby, tiger cat, Persian, Siamese, Egyptian (1001-class indices). */
    private static void assertDomesticCat(Classification top) {
        assertTrue(top.index() >= 282 && top.index() <= 286 && top.label().contains("cat"), top.toString());
    }
}
