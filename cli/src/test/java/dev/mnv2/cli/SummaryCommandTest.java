package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.util.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SummaryCommandTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run.err());
        return (Map<String, Object>) Json.parse(run.out());
    }

    @Test
    void torchvisionParameterCountInJson() {
        Map<String, Object> s = json("summary", "--width", "1.0", "--resolution", "224", "--classes", "1000",
                "--format", "json");
        assertEquals(3_504_872L, s.get("params"));
        assertEquals(300_774_272L, s.get("macs"));
        assertTrue(s.get("peakActivationBytes") instanceof Long);
        List<?> layers = (List<?>) s.get("layers");
        assertEquals(22, layers.size());
        assertEquals(400, ((Number) s.get("table3MaxKb")).doubleValue(), 5);
        List<?> table3 = (List<?>) s.get("table3");
        assertEquals(Map.of("resolution", "112x112", "channels", 16L, "kb", 401.408), table3.get(0));
    }

    /** Every width × resolution the reference implementation publishes (1.3 and 1.4 only at 224). */
    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({
        "1.4,224,582,6.06", "1.3,224,509,5.34",
        "1.0,224,300,3.47", "1.0,192,221,3.47", "1.0,160,154,3.47", "1.0,128,99,3.47", "1.0,96,56,3.47",
        "0.75,224,209,2.61", "0.75,192,153,2.61", "0.75,160,107,2.61", "0.75,128,69,2.61", "0.75,96,39,2.61",
        "0.5,224,97,1.95", "0.5,192,71,1.95", "0.5,160,50,1.95", "0.5,128,32,1.95", "0.5,96,18,1.95",
        "0.35,224,59,1.66", "0.35,192,43,1.66", "0.35,160,30,1.66", "0.35,128,20,1.66", "0.35,96,11,1.66"})
    void macsAndParamsOfEveryStandardWidthAndResolution(String width, String resolution, long macsMillions,
                                                        double paramsMillions) {
        Map<String, Object> s = json("summary", "--width", width, "--resolution", resolution, "--classes", "1001",
                "--format", "json");
        assertEquals(macsMillions, (Long) s.get("macs") / 1_000_000);
        assertEquals(paramsMillions, Math.round((Long) s.get("paramsWithoutBatchNorm") / 10_000.0) / 100.0, 1e-9);
    }

    @Test
    void mobileNetV1Table3() {
        Map<String, Object> s = json("summary", "--arch", "v1", "--format", "json");
        assertEquals(1600, ((Number) s.get("table3MaxKb")).doubleValue(), 10);
    }

    @Test
    void tableAndMarkdownFormats() {
        CliRun table = CliRun.of("summary", "--width", "0.5", "--resolution", "160x128");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("features.17"), table.out());
        assertTrue(table.out().contains("input 160x128x3"), table.out());
        CliRun md = CliRun.of("summary", "--format", "markdown", "--bottleneck", "relu6", "--shortcut", "none");
        assertEquals(0, md.exitCode(), md.err());
        assertTrue(md.out().contains("| features.1 | bottleneck |"), md.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "summary --width -1; --width",
        "summary --width abc; --width",
        "summary --resolution 31; --resolution",
        "summary --resolution 224x; --resolution",
        "summary --classes 0; --classes",
        "summary --bottleneck relu; --bottleneck",
        "summary --shortcut wide; --shortcut",
        "summary --format xml; --format",
        "summary --arch v3; --arch",
        "summary --arch v1 --shortcut none; v2 only",
        "summary --bogus; --bogus",
        "nosuchcommand; nosuchcommand"})
    void usageErrorsExitTwoWithOneLineNamingTheProblem(String args, String mentioned) {
        CliRun run = CliRun.of(args.split(" "));
        assertEquals(2, run.exitCode(), run.err());
        String err = run.err().strip();
        assertFalse(err.contains("\n\tat "), "no stack trace: " + err);
        assertTrue(err.lines().findFirst().orElse("").contains(mentioned), err);
        assertTrue(run.out().isEmpty(), run.out());
    }

    @Test
    void helpAndVersionExitZero() {
        CliRun help = CliRun.of("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("summary"));
        CliRun summaryHelp = CliRun.of("summary", "--help");
        assertEquals(0, summaryHelp.exitCode());
        assertTrue(summaryHelp.out().contains("--shortcut"));
        CliRun version = CliRun.of("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("mnv2 "), version.out());
    }
}
