package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.testing.SharedData;
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

    /** README's architecture table, figure for figure, as the text output prints it. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "summary --classes 1000; params: 3,504,872 (3.50M)",
        "summary --classes 1001; without batch norm: 3,472,041 (3.47M)  MACs: 300,775,552 (300M)",
        "summary --arch v1 --classes 1000; MACs: 568,740,352 (568M)",
        "summary --classes 1000; max: 401 kB",
        "summary --arch v1 --classes 1000; max: 1606 kB",
        "summary --task segmentation; params: 2,113,557 (2.11M)",
        "summary --task segmentation; MACs: 2,740,709,056 (2740M)",
        "summary --task segmentation; 21 classes, output stride 16",
        "summary --task segmentation --output-stride 8; MACs: 8,825,853,632 (8825M)"})
    void readmeFiguresAreWhatTheCommandsPrint(String args, String printed) {
        CliRun run = CliRun.of(args.split(" "));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains(printed), run.out());
    }

    /** Paper Table 7, row "MNV2*, OS 16, no ASPP, no MF": 2.11M parameters, 2.75B MAdds. */
    private static final double TABLE7_PARAMS = 2.11e6;
    private static final double TABLE7_MADDS = 2.75e9;

    private static void assertWithinTwoPercent(double paper, long printed, String what) {
        assertTrue(Math.abs(printed - paper) <= 0.02 * paper, what + ": " + printed + " vs the paper's " + paper);
    }

    /** Mobile DeepLabv3 built from its configuration, no weights: Table 7's OS 16 row. */
    @Test
    void segmentationArchitectureHasTable7sCost() {
        Map<String, Object> s = json("summary", "--task", "segmentation", "--format", "json");
        assertWithinTwoPercent(TABLE7_PARAMS, (Long) s.get("params"), "params");
        assertWithinTwoPercent(TABLE7_MADDS, (Long) s.get("macs"), "MAdds");
        assertEquals("deeplabv3_mobilenet_v2", s.get("architecture"));
        assertEquals(List.of(513L, 513L, 3L), s.get("input"));
        Map<?, ?> config = (Map<?, ?>) s.get("config");
        assertEquals(16L, config.get("outputStride"));
        assertEquals(21L, config.get("classes"));
        List<?> layers = (List<?>) s.get("layers");
        assertEquals(List.of(513L, 513L, 21L), ((Map<?, ?>) layers.get(layers.size() - 1)).get("output"));
    }

    /** The published file, read back: its architecture is Table 7's row too (its batch norms folded into biases). */
    @Test
    void publishedSegmentationModelHasTable7sCost() {
        SharedData.model("deeplabv3_mnv2_pascal_quant.tflite");
        Map<String, Object> s = json("summary", "--model", "deeplabv3_mnv2_pascal_quant", "--format", "json");
        long params = (Long) s.get("params");
        long macs = (Long) s.get("macs");
        System.out.printf("mnv2 summary --model deeplabv3_mnv2_pascal_quant: params %,d (Table 7: 2.11M, %+.2f%%), "
                + "MAdds %,d (Table 7: 2.75B, %+.2f%%)%n", params, 100 * (params / TABLE7_PARAMS - 1), macs,
                100 * (macs / TABLE7_MADDS - 1));
        assertWithinTwoPercent(TABLE7_PARAMS, params, "params");
        assertWithinTwoPercent(TABLE7_MADDS, macs, "MAdds");
        Map<String, Object> built = json("summary", "--task", "segmentation", "--format", "json");
        assertEquals(built.get("macs"), macs, "the file's graph costs what the configuration does");
        // Each folded batch norm leaves one bias per channel where the built network has gamma and beta.
        assertEquals(((Long) built.get("params") + (Long) built.get("paramsWithoutBatchNorm")) / 2, params);
        assertTrue((Long) s.get("peakActivationBytes") > 513L * 513 * 21 * 4, "the logits are held at 513x513");
    }

    /** Output stride 8 keeps every weight and runs the last stages and the head on 4 times the positions. */
    @Test
    void outputStrideEightCostsMoreWithTheSameWeights() {
        Map<String, Object> os16 = json("summary", "--task", "segmentation", "--format", "json");
        Map<String, Object> os8 = json("summary", "--task", "segmentation", "--output-stride", "8", "--format", "json");
        assertEquals(os16.get("params"), os8.get("params"));
        assertTrue((Long) os8.get("macs") > 3 * (Long) os16.get("macs"), os8.get("macs") + " vs " + os16.get("macs"));
        assertEquals(8L, ((Map<?, ?>) os8.get("config")).get("outputStride"));
    }

    /** A loaded classifier costs what its architecture does. */
    @Test
    void loadedClassifierIsSummarisedLikeItsArchitecture() {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Map<String, Object> loaded = json("summary", "--model", "mobilenet_v2_1.0_224_quant", "--format", "json");
        Map<String, Object> built = json("summary", "--classes", "1001", "--format", "json");
        assertEquals(built.get("macs"), loaded.get("macs"));
        assertEquals(built.get("table3MaxKb"), loaded.get("table3MaxKb"));
        assertEquals(((List<?>) built.get("layers")).size(), ((List<?>) loaded.get("layers")).size());
        CliRun table = CliRun.of("summary", "--model", "mobilenet_v2_1.0_224_quant");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("MACs: 300,775,552 (300M)"), table.out());
    }

    /** Building the weights of width 20 would take about 3.5 GB; the summary needs only the architecture. */
    @Test
    void aWideNetworkIsSummarisedWithoutBuildingItsWeights() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        String[] args = {"summary", "--width", "20", "--format", "json"};
        CliRun.of(args); // loads the classes
        long before = threads.getCurrentThreadAllocatedBytes();
        CliRun run = CliRun.of(args);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(allocated < 16_000_000, allocated + " bytes allocated");
        assertEquals(876_771_560L, ((Map<?, ?>) Json.parse(run.out())).get("paramsWithoutBatchNorm"));
    }

    /** At the largest values the options allow, the counts are still exact: the per-layer rows add up. */
    @ParameterizedTest
    @CsvSource({"v2,--expansion=100", "v1,--expansion=0"})
    void theLargestAllowedArchitectureIsCountedExactly(String arch, String expansion) {
        Map<String, Object> s = json("summary", "--arch", arch, "--width", "100", "--resolution", "16384",
                "--classes", "1000000", expansion, "--format", "json");
        long macs = 0;
        long params = 0;
        for (Object layer : (List<?>) s.get("layers")) {
            macs = Math.addExact(macs, (Long) ((Map<?, ?>) layer).get("macs"));
            params = Math.addExact(params, (Long) ((Map<?, ?>) layer).get("params"));
        }
        assertEquals(s.get("macs"), macs);
        assertEquals(s.get("params"), params);
        assertTrue(macs > 1e16, "" + macs);
        assertTrue((Long) s.get("peakActivationBytes") > 1e12, s.get("peakActivationBytes").toString());
    }

    @Test
    void jsonConfigHasNumbersAsNumbers() {
        Map<?, ?> config = (Map<?, ?>) json("summary", "--width", "0.75", "--resolution", "160x128", "--expansion",
                "4", "--format", "json").get("config");
        assertEquals(0.75, config.get("width"));
        assertEquals(160L, config.get("inputHeight"));
        assertEquals(128L, config.get("inputWidth"));
        assertEquals(1000L, config.get("classes"));
        assertEquals(4L, config.get("expansion"));
        assertEquals(0.2, config.get("dropout"));
        assertEquals(0.001, config.get("batchNormEpsilon"));
        assertEquals("same", config.get("padding"));
        assertEquals("linear", config.get("bottleneck"));
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
        "summary --resolution 100000; --resolution",
        "summary --resolution 224x16385; --resolution",
        "summary --width 101; --width",
        "summary --width NaN; --width",
        "summary --classes 1000001; --classes",
        "summary --expansion 101; --expansion",
        "summary --task detection; --task",
        "summary --output-stride 8; --output-stride applies to --task segmentation only",
        "summary --task segmentation --output-stride 4; --output-stride",
        "summary --task segmentation --arch v1; --arch apply to --task classification only",
        "summary --task segmentation --expansion 4 --shortcut none; --expansion, --shortcut apply to --task "
            + "classification only",
        "summary --model m.tflite --width 0.5 --task segmentation; --model describes its own architecture; "
            + "drop --task, --width",
        "nosuchcommand; unknown command 'nosuchcommand' (commands: classify, segment, summary, bench, export, eval, train, finetune, experiment)"})
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
