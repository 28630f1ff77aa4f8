package dev.mnv2.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelMetadataTest {
    private static final Network NETWORK = MobileNetV2.builder().width(0.35).resolution(32, 48).classes(3).build();

    @Test
    void theInputSpecSurvivesARoundTripToTheBit() {
        // Means and deviations that no short decimal writes exactly, to catch any rounding on the way.
        PixelScaling odd = new PixelScaling(0.1f / 3, 127.00001f, 1e-7f, 0.229f * 255, 1f / 3, 255f);
        LoadedModel model = new LoadedModel(NETWORK, new InputSpec(32, 48, odd, List.of("cat", "dög", "\"bird\"")));

        Map<String, String> metadata = ModelMetadata.of(model);
        LoadedModel read = ModelMetadata.read(NETWORK, metadata);

        assertEquals(model.input(), read.input());
        assertEquals(List.of("cat", "dög", "\"bird\""), read.network().labels());
        assertEquals("classification", metadata.get(ModelMetadata.TASK));
        assertEquals(NETWORK.config().toMap().get("width"), metadata.get("width"), "the configuration is written too");
    }

    @Test
    void withoutEntriesAFileGetsItsLayoutsConvention() {
        assertEquals(PixelScaling.MINUS_ONE_TO_ONE, ModelMetadata.read(NETWORK, Map.of()).input().scaling());
        Network torchvision = MobileNetV2.builder().width(0.35).resolution(32).classes(3).padding(Padding.symmetric(1))
                .build();
        LoadedModel read = ModelMetadata.read(torchvision, Map.of());
        assertEquals(PixelScaling.IMAGENET, read.input().scaling());
        assertTrue(read.input().labels().isEmpty());
    }

    @Test
    void labelsAndScalingReadWithoutANetwork() {
        PixelScaling odd = new PixelScaling(0.1f / 3, 127.00001f, 1e-7f, 0.229f * 255, 1f / 3, 255f);
        Map<String, String> metadata = ModelMetadata.of(new LoadedModel(NETWORK, new InputSpec(32, 48, odd,
                List.of("cat", "dog", "bird"))));
        assertEquals(odd, ModelMetadata.scaling(metadata).orElseThrow());
        assertEquals(List.of("cat", "dog", "bird"), ModelMetadata.labels(metadata));
        assertTrue(ModelMetadata.scaling(Map.of()).isEmpty(), "no entries: the reader picks a convention");
        assertEquals(List.of(), ModelMetadata.labels(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> ModelMetadata.labels(Map.of(ModelMetadata.LABELS, "{}")));
    }

    @Test
    void segmentationIsWrittenAsSuchAndMustMatchTheNetwork() {
        Network deeplab = DeepLabV3.builder().width(0.35).resolution(65).classes(4).build();
        Map<String, String> metadata = ModelMetadata.of(LoadedModel.of(deeplab));
        assertEquals("segmentation", metadata.get(ModelMetadata.TASK));
        assertEquals(Task.SEGMENTATION, ModelMetadata.read(deeplab, metadata).task());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelMetadata.read(NETWORK, metadata));
        assertTrue(e.getMessage().contains("task segmentation") && e.getMessage().contains("classification"),
                e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pixelStd | 0,1,1 | pixelStd",
            "pixelStd | NaN,1,1 | pixelStd",
            "pixelMean | Infinity,0,0 | pixelMean",
            "pixelMean | 1,2 | three numbers",
            "pixelMean | a,b,c | three numbers",
            "pixelMean | 1,2,3,4 | three numbers",
            "labels | [\"a\",\"b\"] | 2 labels for 3 classes",
            "labels | {\"a\":1} | JSON array",
            "labels | [1,2,3] | JSON array",
            "labels | [\"a\" | JSON array",
            "task | detection | classification or segmentation"})
    void malformedEntriesAreRefusedNamingThem(String key, String value, String fragment) {
        Map<String, String> metadata = new HashMap<>(ModelMetadata.of(LoadedModel.of(NETWORK)));
        metadata.put(key, value);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelMetadata.read(NETWORK, metadata));

        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(e.getMessage().startsWith("metadata"), e.getMessage());
    }

    @Test
    void aMeanWithoutItsDeviationIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelMetadata.read(NETWORK, Map.of(ModelMetadata.PIXEL_MEAN, "1,1,1")));
        assertTrue(e.getMessage().contains("pixelMean without pixelStd"), e.getMessage());
    }

    @Test
    void theLoadedModelKeepsNetworkAndSpecInAgreement() {
        LoadedModel labelled = LoadedModel.of(NETWORK).withLabels(List.of("x", "y", "z"));
        assertEquals(List.of("x", "y", "z"), labelled.network().labels());
        assertEquals(List.of("x", "y", "z"), labelled.withScaling(PixelScaling.IMAGENET).network().labels());
        assertThrows(IllegalArgumentException.class, () -> labelled.withLabels(List.of("x")));
        assertThrows(IllegalArgumentException.class,
                () -> new LoadedModel(NETWORK, new InputSpec(48, 32, PixelScaling.IMAGENET, List.of())));
    }

    @Test
    void labelsAreReadFromLinesAndJson() {
        assertEquals(List.of("background", "tench, Tinca tinca", "goldfish"),
                Labels.fromLines("background\r\n  tench, Tinca tinca \n\n goldfish\n"));
        assertEquals(List.of("a", "b \"c\""), Labels.fromJson(Labels.toJson(List.of("a", "b \"c\""))));
    }
}
