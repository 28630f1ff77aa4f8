package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.util.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BenchCommandTest {

    @Test
    @SuppressWarnings("unchecked")
    void jsonReportsLatencyAndMeasuredMemory() {
        CliRun run = CliRun.of("bench", "--width", "0.35", "--resolution", "96", "--threads", "2", "--batch", "2",
                "--warmup-ms", "0", "--iterations", "3", "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        Map<String, Object> report = (Map<String, Object>) Json.parse(run.out());
        assertTrue(((Number) report.get("medianMs")).doubleValue() > 0, run.out());
        long measured = (Long) report.get("peakActivationBytes");
        long planned = (Long) report.get("plannedActivationBytes");
        assertTrue(measured > 0 && measured <= planned, run.out());
        assertEquals(2L, report.get("threads"));
        assertEquals(3L, report.get("iterations"));
        assertEquals("vector", report.get("kernels"), "surefire runs with the incubator module");
    }

    @Test
    void layerByLayerModeUsesMoreMemory() {
        CliRun efficient = CliRun.of("bench", "--width", "0.35", "--resolution", "96", "--threads", "1",
                "--warmup-ms", "0", "--iterations", "1", "--format", "json");
        CliRun layered = CliRun.of("bench", "--width", "0.35", "--resolution", "96", "--threads", "1",
                "--warmup-ms", "0", "--iterations", "1", "--format", "json", "--mode", "layer_by_layer");
        long a = (Long) ((Map<?, ?>) Json.parse(efficient.out())).get("peakActivationBytes");
        long b = (Long) ((Map<?, ?>) Json.parse(layered.out())).get("peakActivationBytes");
        assertTrue(a < b, a + " vs " + b);
    }

    @Test
    @SuppressWarnings("unchecked")
    void profileListsEveryBlockWithItsMacs() {
        CliRun run = CliRun.of("bench", "--width", "0.35", "--resolution", "96", "--threads", "1",
                "--warmup-ms", "0", "--iterations", "2", "--format", "json", "--profile");
        assertEquals(0, run.exitCode(), run.err());
        Map<String, Object> report = (Map<String, Object>) Json.parse(run.out());
        List<Map<String, Object>> layers = (List<Map<String, Object>>) report.get("layers");
        List<String> names = layers.stream().map(l -> (String) l.get("layer")).toList();
        assertEquals("features.0.0", names.get(0));
        assertTrue(names.contains("features.1"), "an early block is one fused step: " + names);
        assertTrue(names.contains("features.15.conv.1.0"), "a late one is its layers: " + names);
        for (int b = 1; b <= 17; b++) {
            String block = "features." + b;
            assertTrue(names.stream().anyMatch(n -> n.equals(block) || n.startsWith(block + ".")), block + ": " + names);
        }
        long macs = layers.stream().mapToLong(l -> (Long) l.get("macs")).sum();
        assertEquals(report.get("macs"), macs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--threads=0", "--batch=0", "--iterations=0", "--width=-1", "--width=101",
        "--resolution=16", "--resolution=96x", "--resolution=96x20000", "--mode=fast"})
    void badOptionsAreUsageErrors(String option) {
        CliRun run = CliRun.of("bench", option);
        assertEquals(2, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().startsWith("mnv2: "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    @Test
    void resolutionTakesHeightByWidthAsSummaryDoes() {
        CliRun run = CliRun.of("bench", "--width", "0.35", "--resolution", "96x64", "--threads", "1",
                "--warmup-ms", "0", "--iterations", "1", "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        Map<?, ?> report = (Map<?, ?>) Json.parse(run.out());
        assertEquals(96L, report.get("inputHeight"));
        assertEquals(64L, report.get("inputWidth"));
    }

    @Test
    void moreThreadsThanProcessorsWarnAndStillRun() {
        int threads = Runtime.getRuntime().availableProcessors() + 1;
        CliRun run = CliRun.of("bench", "--width", "0.35", "--resolution", "64", "--threads", Integer.toString(threads),
                "--warmup-ms", "0", "--iterations", "1", "--format", "json");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("mnv2: warning: --threads " + threads + " is more than the"), run.err());
        assertEquals((long) threads, ((Map<?, ?>) Json.parse(run.out())).get("threads"));
    }

    @Test
    void tableFormatIsReadable() {
        CliRun run = CliRun.of("bench", "--width", "0.35", "--resolution", "96", "--threads", "1",
                "--warmup-ms", "0", "--iterations", "2");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("median") && run.out().contains("measured"), run.out());
    }
}
