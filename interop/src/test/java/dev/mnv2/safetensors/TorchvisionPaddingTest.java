package dev.mnv2.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.Classification;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.image.Images;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.testing.SharedData;
import dev.mnv2.tflite.TfliteModel;
import dev.mnv2.tflite.TfliteModels;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What torchvision makes of the published TF-trained weights: the safetensors export read as torchvision
 * reads a state_dict (no mnv2 metadata, so symmetric padding, epsilon 1e-5, 224 pixels), classifying with
 * the TF pixel scaling the weights were trained with, so that padding is the only difference. Prints the
 * top-1 of both for the README.
 */
class TorchvisionPaddingTest {
    private static final int EGYPTIAN_CAT = 286;

    @Test
    void tensorflowSameWeightsUnderTorchvisionsSymmetricPadding() throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"));
        Network same = model.network();
        Network symmetric = Checkpoint.fromContents(Safetensors.parse(ByteBuffer.wrap(
                Safetensors.toBytes(Map.of(), Checkpoint.stateDict(same))))).network().withLabels(same.labels());
        assertEquals(Padding.symmetric(1), ((MobileNetV2Config) symmetric.config()).padding());

        try (ImageClassifier tf = ImageClassifier.create(same, model.input().scaling());
             ImageClassifier torchvision = ImageClassifier.create(symmetric, model.input().scaling())) {
            for (String name : new String[] {"cat.bmp", "cat_720p.jpg"}) {
                BufferedImage image = Images.read(SharedData.data("images/" + name));
                Classification sameTop = tf.classify(image, 1).get(0);
                Classification symmetricTop = torchvision.classify(image, 1).get(0);
                System.out.printf(Locale.ROOT, "%s: TF SAME padding %d %s %.3f; torchvision symmetric padding %d %s %.3f%n",
                        name, sameTop.index(), sameTop.label(), sameTop.score(),
                        symmetricTop.index(), symmetricTop.label(), symmetricTop.score());
                assertEquals(EGYPTIAN_CAT, sameTop.index());
                assertTrue(sameTop.score() >= 0.7, "the publisher's own threshold");
                assertFalse(Arrays.equals(tf.probabilities(image), torchvision.probabilities(image)),
                        "the padding must change the result");
            }
        }
    }
}
