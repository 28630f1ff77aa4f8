package dev.mnv2.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.NetworkConfig;
import dev.mnv2.model.NetworkSpec;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArchitectureFitTest {
    /** What a file stores of a network: its convolutions' shapes. */
    private static List<ConvSpec> stored(NetworkConfig config) {
        return config.spec().convolutions();
    }

    /** The mismatch a reader reports: the first convolution whose shape differs from the stored one. */
    private static Function<NetworkSpec, String> against(List<ConvSpec> file) {
        return spec -> {
            List<ConvSpec> convs = spec.convolutions();
            if (convs.size() != file.size()) {
                return convs.size() + " convolutions, the file has " + file.size();
            }
            for (int i = 0; i < convs.size(); i++) {
                ConvSpec a = convs.get(i);
                ConvSpec b = file.get(i);
                if (a.inChannels() != b.inChannels() || a.outChannels() != b.outChannels() || a.kernel() != b.kernel()
                        || a.stride() != b.stride() || a.groups() != b.groups()) {
                    return a.name() + " differs";
                }
            }
            return null;
        };
    }

    private static int[] channels(List<ConvSpec> file) {
        return file.stream().mapToInt(ConvSpec::outChannels).toArray();
    }

    private static long weights(NetworkConfig config) {
        return config.spec().parametersWithoutBatchNorm();
    }

    /** The published widths are found exactly; any other width is found as one with the same channel counts. */
    @ParameterizedTest
    @CsvSource({"1.0, 0, 1001", "0.35, 0, 1001", "0.5, 0, 10", "0.75, 0, 3", "1.3, 0, 1000", "1.4, 0, 1000",
            "0.1, 0, 2", "0.6, 0, 7", "2.0, 4, 5", "3.7, 0, 2", "0.25, 10, 3"})
    void theWidthIsInferredFromTheChannelCounts(double width, int expansion, int classes) {
        MobileNetV2Config actual = MobileNetV2.builder().width(width).expansion(expansion).classes(classes).config();
        List<ConvSpec> file = stored(actual);
        MobileNetV2.Builder base = MobileNetV2.builder().expansion(expansion).classes(classes);

        MobileNetV2Config found = ArchitectureFit.width(a -> base.width(a).config(), channels(file), weights(actual),
                against(file));

        assertNull(against(file).apply(found.spec()), "width " + found.width() + " for " + width);
        if (List.of(1.0, 0.35, 0.5, 0.75, 1.3, 1.4).contains(width)) {
            assertEquals(width, found.width());
        }
    }

    @Test
    void segmentationBackbonesAreFittedTheSameWay() {
        NetworkConfig actual = DeepLabV3.builder().width(0.5).resolution(129).outputStride(8).classes(5).config();
        List<ConvSpec> file = stored(actual);
        DeepLabV3.Builder base = DeepLabV3.builder().resolution(129).outputStride(8).classes(5);

        NetworkConfig found = ArchitectureFit.width(a -> base.width(a).config(), channels(file), weights(actual),
                against(file));

        assertEquals(0.5, found.width());
    }

    @Test
    void noFittingWidthNamesTheClosestCandidatesProblem() {
        MobileNetV2Config actual = MobileNetV2.builder().width(0.75).config();
        List<ConvSpec> file = new java.util.ArrayList<>(stored(actual));
        ConvSpec broken = file.get(10);
        file.set(10, new ConvSpec(broken.name(), broken.inChannels(), broken.outChannels() + 8, 1, 1, 1, 1,
                broken.padding(), broken.activation(), false, true));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArchitectureFit.width(
                a -> MobileNetV2.builder().width(a).config(), channels(file), weights(actual), against(file)));

        assertTrue(e.getMessage().contains("width 0.75: " + broken.name() + " differs"), e.getMessage());
    }

    /** A few values cannot claim a big network: candidates are weighed against what the file holds. */
    @Test
    void aCandidateNeedingMoreWeightsThanTheFileHoldsIsRefused() {
        MobileNetV2Config config = MobileNetV2.builder().width(1.0).config();
        String problem = ArchitectureFit.problem(config, 1000, spec -> null);
        assertTrue(problem.contains("needs " + weights(config) + " weights but the file holds only 1000 values"),
                problem);
        assertNull(ArchitectureFit.problem(config, weights(config), spec -> null));
    }

    @ParameterizedTest
    @CsvSource({"1e300, 0, 224, width 1.0E300", "1.0, 2147483647, 224, expansion 2147483647",
            "1.0, 0, 16384, 16384x16384"})
    void absurdConfigurationsAreProblemsNotExceptions(double width, int expansion, int resolution, String named) {
        MobileNetV2Config config = MobileNetV2.builder().width(width).expansion(expansion).resolution(resolution).config();
        String problem = ArchitectureFit.problem(config, Long.MAX_VALUE, spec -> null);
        assertTrue(problem.contains(named), problem);
    }

    @Test
    void widthsBeyondTheLimitAreNamed() {
        MobileNetV2Config wide = MobileNetV2.builder().width(6).config();
        List<ConvSpec> file = stored(wide);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArchitectureFit.width(
                a -> MobileNetV2.builder().width(a).config(), channels(file), weights(wide), against(file)));
        assertTrue(e.getMessage().contains("above the 4.0"), e.getMessage());
    }
}
