package dev.mnv2.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.onnx.OnnxExporter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * mnv2 against ONNX Runtime and PyTorch (DJL) on the same random MobileNetV2 (torchvision's symmetric padding, so
 * that every engine runs exactly the same arithmetic), for each model × batch × threads case. Each (case, engine)
 * measurement runs in a JVM of its own, in interleaved rounds ({@link IsolatedRounds}): in one JVM, ORT's and
 * PyTorch's spinning thread pools and the shared JIT profile made mnv2 look 1.5–2× slower than alone. A child warms
 * up, times calls one by one (median, p90) and, for ORT and PyTorch, builds mnv2's predictor itself for one forward
 * pass of the same seeded input to report the largest logit difference. A row gives the median of the rounds'
 * medians with their range, the images/s and the latency ratios from those medians. Below the table, the
 * {@link Segmentation} rows (Mobile DeepLabv3 at 513×513, the same scheme). Last two lines:
 * {@code one-thread mnv2/ort=X} and {@code mnv2/ort=X mnv2/pytorch=Y}, for α 1.0 at 224, batch 1, on 1 and 2 threads.
 *
 * <p>Options: {@code --rounds N} (default 3, at least 1), {@code --warmup-ms N} (default 1000), {@code --measure-ms N}
 * (default 1500 for classification, 2000 for segmentation; at least 10 calls are timed), {@code --engines
 * mnv2,ort,pytorch}, {@code --quick} (α 1.0/224, batch 1 only, no segmentation), {@code --segmentation-rounds N}
 * (default 3, 0 with {@code --quick}), {@code --segmentation-only}. The full run starts 3 × 12 × 3 classification
 * JVMs and 3 × 2 × 3 segmentation ones, about 5 s of start-up each beside the timing: classification measures
 * 1500 ms by default rather than 2000 to keep the whole run near 15 minutes on 2 cores.
 * {@code --layers [--threads T] [--width W --resolution R]}: per-layer times against ONNX Runtime's ({@link LayerCompare}).
 */
public final class Compare {
    /** The child's part name for {@link IsolatedRounds#child}. */
    private static final String CLASSIFICATION = "classification";
    /** Width of a latency cell: median (range) and images/s. */
    private static final int CELL = 31;

    private record Model(double width, int resolution) {
        String label() {
            return String.format(Locale.ROOT, "%.2f/%d", width, resolution);
        }

        /** The same seeded network in every JVM. */
        Network network() {
            return MobileNetV2.builder().width(width).resolution(resolution).classes(1000).padding(Padding.symmetric(1))
                    .seed(2018).build();
        }
    }

    private record Case(Model model, int batch, int threads) {
        String label() {
            return String.format(Locale.ROOT, "%s batch %d, %d thread%s", model.label(), batch, threads, threads == 1 ? "" : "s");
        }
    }

    /** One engine's figures from one child JVM; {@code maxAbsDiff} (from mnv2's logits) is NaN for mnv2 itself. */
    private record Run(double medianMs, double p90Ms, int samples, long peakBytes, double maxAbsDiff)
            implements IsolatedRounds.Measurement {
        static Run parse(String[] f) {
            return new Run(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]),
                    Double.parseDouble(f[4]));
        }

        @Override
        public String agreement() {
            return Double.isNaN(maxAbsDiff) ? "" : String.format(Locale.ROOT, " [max |logit diff| %.1e]", maxAbsDiff);
        }
    }

    private int rounds = 3;
    private long warmupMs = 1000;
    /** Classification's default is shorter: 108 child JVMs in the full run, about 15 minutes. */
    private static final long CLASSIFICATION_MEASURE_MS = 1500;
    private static final long SEGMENTATION_MEASURE_MS = 2000;
    /** {@code --measure-ms}; null for each part's default. */
    private Long measureMs;
    private boolean quick;
    private Integer segmentationRounds;
    private boolean segmentationOnly;
    private List<String> engines = IsolatedRounds.ENGINES;

    public static void main(String[] args) throws Exception {
        if (args.length > 1 && args[0].equals(IsolatedRounds.CHILD)) {
            String[] childArgs = Arrays.copyOfRange(args, 2, args.length);
            switch (args[1]) {
                case CLASSIFICATION -> runChild(childArgs);
                case Segmentation.PART -> Segmentation.runChild(childArgs);
                default -> throw new IllegalArgumentException("compare has no part " + args[1]);
            }
            return;
        }
        if (args.length > 0 && args[0].equals(LayerCompare.CHILD)) {
            LayerCompare.runChild(args);
            return;
        }
        if (List.of(args).contains(LayerCompare.OPTION)) {
            LayerCompare.run(args);
            return;
        }
        Compare compare = new Compare();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> compare.rounds = Integer.parseInt(args[++i]);
                case "--warmup-ms" -> compare.warmupMs = Long.parseLong(args[++i]);
                case "--measure-ms" -> compare.measureMs = Long.valueOf(args[++i]);
                case "--engines" -> compare.engines = List.of(args[++i].split(","));
                case "--quick" -> compare.quick = true;
                case "--segmentation-rounds" -> compare.segmentationRounds = Integer.parseInt(args[++i]);
                case "--segmentation-only" -> compare.segmentationOnly = true;
                default -> {
                    System.err.println("compare: unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (compare.rounds < 1) {
            System.err.println("compare: --rounds must be at least 1");
            System.exit(2);
        }
        compare.run();
    }

    private void run() throws Exception {
        if (engines.contains("pytorch")) {
            Djl.requireOffline("compare");
        }
        double ghz = Machine.clockGhz();
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "machine: %s, %d cores available, %.3f GHz (/proc/cpuinfo), ISA %s, java %s, "
                        + "mnv2 kernels: %s%n", Machine.cpuModel(), cores, ghz, Machine.isa(), System.getProperty("java.version"),
                Predictor.vectorAvailable() ? "vector (jdk.incubator.vector, " + Predictor.vectorBits() + "-bit)" : "scalar");
        List<FmaPeak.Width> widths = FmaPeak.measure(600);
        double peak = FmaPeak.widest(widths);
        System.out.printf(Locale.ROOT, "%s (the nominal 2 units x 8 lanes x 2 flops x %.3f GHz would be %.1f); "
                + "load average before the run: %s%n", FmaPeak.describe(widths), ghz, 32 * ghz, Machine.loadAverage());
        System.out.println(CorePin.describe());

        List<Model> models = segmentationOnly ? List.of() : quick ? List.of(new Model(1.0, 224))
                : List.of(new Model(1.0, 224), new Model(0.35, 96), new Model(0.35, 160));
        List<Case> cases = new ArrayList<>();
        for (Model m : models) {
            for (int batch : quick ? new int[] {1} : new int[] {1, 8}) {
                for (int threads : new int[] {1, 2}) {
                    cases.add(new Case(m, batch, threads));
                }
            }
        }
        String headline = "mnv2/ort=n/a mnv2/pytorch=n/a";
        String oneThread = "one-thread mnv2/ort=n/a";
        Map<Model, Long> macs = new HashMap<>();
        for (Model m : models) {
            Network network = m.network();
            macs.put(m, network.macs());
            System.out.printf(Locale.ROOT, "model α %s: %.1f M MACs, %.2f M params (same network in every engine)%n",
                    m.label(), network.macs() / 1e6, network.parameters() / 1e6);
        }
        if (!cases.isEmpty()) {
            List<String> rows = new ArrayList<>();
            for (Map.Entry<Case, Map<String, List<Run>>> measured : classify(cases).entrySet()) {
                Case c = measured.getKey();
                List<Run> mine = measured.getValue().getOrDefault("mnv2", List.of());
                List<Run> ort = measured.getValue().getOrDefault("ort", List.of());
                List<Run> torch = measured.getValue().getOrDefault("pytorch", List.of());
                double gflops = 2.0 * macs.get(c.model()) * c.batch() / (IsolatedRounds.median(mine) * 1e6);
                long activationBytes = IsolatedRounds.peakBytes(mine);
                rows.add(String.format(Locale.ROOT, "| %-8s | %5d | %7d | %s | %s | %s | %s | %s | %6.1f (%4.1f%%) | %s |",
                        c.model().label(), c.batch(), c.threads(), cell(mine, c.batch()), cell(ort, c.batch()),
                        cell(torch, c.batch()), IsolatedRounds.ratio(mine, ort), IsolatedRounds.ratio(mine, torch), gflops,
                        100 * gflops / (peak * c.threads()),
                        activationBytes == 0 ? "-" : String.format(Locale.ROOT, "%.2f", activationBytes / 1e6)));
                if (c.model().width() == 1.0 && c.model().resolution() == 224 && c.batch() == 1) {
                    if (c.threads() == 2) {
                        headline = String.format(Locale.ROOT, "mnv2/ort=%s mnv2/pytorch=%s",
                                IsolatedRounds.ratio(mine, ort).trim(), IsolatedRounds.ratio(mine, torch).trim());
                    } else if (c.threads() == 1) {
                        oneThread = "one-thread mnv2/ort=" + IsolatedRounds.ratio(mine, ort).trim();
                    }
                }
            }
            printClassificationTable(rows);
        }
        int segmentation = segmentationRounds != null ? segmentationRounds : quick ? 0 : 3;
        if (segmentation > 0) {
            System.out.println();
            List<String> rows = Segmentation.rows(engines, segmentation, warmupMs,
                    measureMs != null ? measureMs : SEGMENTATION_MEASURE_MS, peak);
            System.out.println();
            System.out.println("Segmentation: latency per image in ms, median of the rounds' medians "
                    + "(range of the rounds' medians); GFLOP/s and % of the FMA peak from mnv2's median.");
            System.out.println();
            System.out.println(Segmentation.header());
            rows.forEach(System.out::println);
        }
        System.out.println();
        System.out.println(oneThread);
        System.out.println(headline);
    }

    /** Runs the classification rounds, then prints each engine's largest logit difference from mnv2 over them all. */
    private Map<Case, Map<String, List<Run>>> classify(List<Case> cases) throws Exception {
        System.out.printf(Locale.ROOT, "classification: %d interleaved rounds, each (case, engine) in a JVM of its own%n", rounds);
        Map<Case, Map<String, List<Run>>> runs = IsolatedRounds.interleave(rounds, cases, engines, Case::label,
                (c, engine) -> IsolatedRounds.child(CLASSIFICATION, c.threads(), List.of(engine, Double.toString(c.model().width()),
                        Integer.toString(c.model().resolution()), Integer.toString(c.batch()), Integer.toString(c.threads()),
                        Long.toString(warmupMs), Long.toString(measureMs != null ? measureMs : CLASSIFICATION_MEASURE_MS)), Run::parse));
        for (String engine : List.of("ort", "pytorch")) {
            runs.values().stream().flatMap(byEngine -> byEngine.getOrDefault(engine, List.of()).stream())
                    .mapToDouble(Run::maxAbsDiff).max().ifPresent(max -> System.out.printf(Locale.ROOT,
                            "%s's logits within %.1e of mnv2's (max |logit diff| over every case and round)%n", engine, max));
        }
        return runs;
    }

    private static void printClassificationTable(List<String> rows) {
        System.out.println();
        System.out.println("Latency per batch in ms: median of the rounds' medians (range of the rounds' medians), images/s "
                + "from the median (each round's p90 is in its line above); ratios are mnv2 median / other median (below 1: "
                + "mnv2 faster); GFLOP/s = 2 x MACs x batch / mnv2 median, % of the measured FMA peak of the threads used; "
                + "peak MB = mnv2's measured activation memory per image.");
        System.out.println();
        String cells = String.format(Locale.ROOT, "| %-" + CELL + "s | %-" + CELL + "s | %-" + CELL + "s |",
                "mnv2 ms: median (range) img/s", "ORT ms: median (range) img/s", "PyTorch ms: median (range) img/s");
        System.out.println("| model    | batch | threads " + cells + " mnv2/ORT | mnv2/PyTorch | mnv2 GFLOP/s  | peak MB |");
        System.out.println("|----------|-------|---------" + ("|" + "-".repeat(CELL + 2)).repeat(3)
                + "|----------|--------------|---------------|---------|");
        rows.forEach(System.out::println);
    }

    private static String cell(List<Run> runs, int batch) {
        if (runs.isEmpty()) {
            return String.format(Locale.ROOT, "%-" + CELL + "s", "-");
        }
        return IsolatedRounds.cell(runs, "%6.2f", CELL - 7)
                + String.format(Locale.ROOT, " %6.0f", batch * 1000 / IsolatedRounds.median(runs));
    }

    /**
     * The child's side, {@code engine width resolution batch threads warmupMs measureMs}: times {@code engine} on the
     * seeded input and prints one result line. The ORT and PyTorch children then run mnv2 once on the same input, after
     * closing their engine, to report how far apart their logits are from mnv2's.
     */
    private static void runChild(String[] args) throws Exception {
        String engine = args[0];
        Case c = new Case(new Model(Double.parseDouble(args[1]), Integer.parseInt(args[2])), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]));
        long warmupMs = Long.parseLong(args[5]);
        long measureMs = Long.parseLong(args[6]);
        Network network = c.model().network();
        Tensor images = Images.random(c.batch(), network.input(), 7);
        IsolatedRounds.Timing timing;
        long peak = 0;
        float[][] theirs = null;
        switch (engine) {
            case "mnv2" -> {
                try (Mnv2Engine e = new Mnv2Engine(network, images, c.threads())) {
                    timing = IsolatedRounds.time(e, warmupMs, measureMs);
                    peak = e.measuredActivationBytes();
                }
            }
            case "ort" -> {
                try (OrtEngine e = new OrtEngine(OrtEnvironment.getEnvironment(), OnnxExporter.builder().build().toBytes(network),
                        OnnxExporter.INPUT, images, c.threads())) {
                    timing = IsolatedRounds.time(e, warmupMs, measureMs);
                    theirs = e.logits();
                }
            }
            case "pytorch" -> {
                Djl.requireOffline("compare");
                try (PyTorchEngine e = new PyTorchEngine(network, images, c.threads())) {
                    timing = IsolatedRounds.time(e, warmupMs, measureMs);
                    theirs = e.logits();
                }
            }
            default -> throw new IllegalArgumentException("compare runs mnv2, ort and pytorch, not " + engine);
        }
        double maxDiff = Double.NaN;
        if (theirs != null) {
            try (Mnv2Engine e = new Mnv2Engine(network, images, c.threads())) {
                maxDiff = maxAbsDiff(e.logits(), theirs);
            }
        }
        IsolatedRounds.printResult(timing.medianMs(), timing.p90Ms(), timing.samples(), peak, maxDiff);
    }

    private static double maxAbsDiff(float[][] expected, float[][] actual) {
        double max = 0;
        for (int n = 0; n < expected.length; n++) {
            for (int i = 0; i < expected[n].length; i++) {
                max = Math.max(max, Math.abs(expected[n][i] - actual[n][i]));
            }
        }
        return max;
    }
}
