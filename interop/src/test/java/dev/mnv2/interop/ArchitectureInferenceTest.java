package dev.mnv2.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArchitectureInferenceTest {
    @ParameterizedTest
    @CsvSource({"1.0, 0, 1000", "0.35, 0, 1001", "1.4, 0, 10", "0.75, 4, 3", "2.0, 10, 7", "0.1, 1, 2"})
    void weightCountWithoutAllocatingEqualsTheBuiltNetwork(double width, int expansion, int classes) {
        MobileNetV2Config config = MobileNetV2.builder().width(width).expansion(expansion).classes(classes).config();
        assertEquals(MobileNetV2.create(config).parametersWithoutBatchNorm(), ArchitectureInference.weightCount(config));
    }

    @ParameterizedTest
    @CsvSource({"100, 0", "1.0, 5000"})
    void hugeConfigurationsAreRefusedBeforeAnythingIsBuilt(double width, int expansion) {
        MobileNetV2Config config = MobileNetV2.builder().width(width).expansion(expansion).config();
        assertNotNull(ArchitectureInference.sizeProblem(config, 4_000_000));
    }
}
