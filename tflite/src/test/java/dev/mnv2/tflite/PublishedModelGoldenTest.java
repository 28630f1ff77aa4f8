package dev.mnv2.tflite;

import dev.mnv2.image.Classification;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.testing.PublishedModelGoldens;
import dev.mnv2.testing.PublishedModelGoldens.Golden;
import dev.mnv2.testing.SharedData;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression guards (see {@link PublishedModelGoldens}): the library's classify path with its default
 * preprocessing gives the recorded top 5 of both published models on both shared photos, to 1e-4.
 */
class PublishedModelGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {PublishedModelGoldens.TF1_UINT8, PublishedModelGoldens.TF2_INT8})
    void topFiveAreTheRecordedOnes(String name) throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model(name + ".tflite"));
        try (ImageClassifier classifier = ImageClassifier.create(model.loaded())) {
            for (Golden golden : PublishedModelGoldens.of(name)) {
                List<Classification> top = classifier.classify(SharedData.data(golden.image()), 5);
                PublishedModelGoldens.assertTop5(golden, top.stream().mapToInt(Classification::index).toArray(),
                        top.stream().mapToDouble(Classification::score).toArray());
            }
        }
    }
}
