package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ImageClassifierTest {
    private final Network network = MobileNetV2.builder().width(0.35).resolution(32).classes(6).seed(2).build()
            .withLabels(IntStream.range(0, 6).mapToObj(i -> "thing " + i).toList());

    @Test
    void topKIsSortedLabelledAndMatchesTheFullDistribution() {
        BufferedImage photo = new BufferedImage(50, 40, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 50; x++) {
            photo.setRGB(x, x % 40, 0xFFAA33);
        }
        try (ImageClassifier classifier = ImageClassifier.create(network, PixelScaling.MINUS_ONE_TO_ONE)) {
            float[] p = classifier.probabilities(photo);
            List<Classification> top = classifier.classify(photo, 3);

            assertEquals(3, top.size());
            for (int i = 0; i < 3; i++) {
                Classification c = top.get(i);
                assertEquals("thing " + c.index(), c.label());
                assertEquals(p[c.index()], c.score());
                if (i > 0) {
                    assertTrue(top.get(i - 1).score() >= c.score());
                }
            }
            float best = 0;
            double sum = 0;
            for (float v : p) {
                best = Math.max(best, v);
                sum += v;
            }
            assertEquals(best, top.get(0).score());
            assertEquals(1.0, sum, 1e-5);
            assertEquals(6, classifier.classify(photo, 100).size());
            assertThrows(IllegalArgumentException.class, () -> classifier.classify(photo, 0));
        }
    }

    @Test
    void preprocessorMustMatchTheNetworkInput() {
        ImagePreprocessor wrong = ImagePreprocessor.builder(64, 64).build();
        assertThrows(IllegalArgumentException.class, () -> ImageClassifier.create(network, wrong));
    }

    @Test
    void aFewImagesGetTheScalarKernelsAndManyTheVectorOnesWithTheSameProbabilities() {
        ImagePreprocessor preprocessor = ImagePreprocessor.builder(32, 32).build();
        BufferedImage photo = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 40; x++) {
            photo.setRGB(x, (3 * x) % 40, 0x33AAFF);
        }
        try (ImageClassifier few = ImageClassifier.create(network, preprocessor, 1);
                ImageClassifier many = ImageClassifier.create(network, preprocessor,
                        ImageClassifier.VECTOR_KERNELS_MIN_IMAGES)) {
            assertFalse(few.vectorized());
            assertEquals(Predictor.vectorAvailable(), many.vectorized());
            assertArrayEquals(few.probabilities(photo), many.probabilities(photo));
        }
        assertThrows(IllegalArgumentException.class, () -> ImageClassifier.create(network, preprocessor, 0));
    }
}
