package dev.mnv2.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.onnx.OnnxExporter;
import dev.mnv2.util.Latency;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * mnv2 against ONNX Runtime and PyTorch (DJL) in one JVM, on the same random MobileNetV2 (torchvision's
 * symmetric padding, so that every engine runs exactly the same arithmetic), for each model × batch ×
 * threads case: warm-up, then timed calls one by one; median, p90, images/s and the latency ratios. Last
 * line: {@code mnv2/ort=X mnv2/pytorch=Y} for α 1.0 at 224, batch 1, 2 threads. Above it, the
 * {@link Segmentation} rows: Mobile DeepLabv3 at 513×513, mnv2 against ONNX Runtime, each engine in its own JVM.
 *
 * <p>Options: {@code --warmup-ms N} (default 1000), {@code --measure-ms N} (default 2000; at least 10 calls
 * are timed), {@code --engines mnv2,ort,pytorch}, {@code --quick} (one α 1.0 case, no segmentation),
 * {@code --segmentation-rounds N} (default 3, 0 with {@code --quick}), {@code --segmentation-only}.
 * {@code --layers [--threads T] [--width W --resolution R]}: per-layer times against ONNX Runtime's ({@link LayerCompare}).
 */
public final class Compare {
    private record Model(double width, int resolution) {
        String label() {
            return String.format(Locale.ROOT, "%.2f/%d", width, resolution);
        }
    }

    private record Case(Model model, int batch, int threads) {}

    record Timing(double medianMs, double p90Ms, int samples) {}

    private long warmupMs = 1000;
    private long measureMs = 2000;
    private boolean quick;
    private Integer segmentationRounds;
    private boolean segmentationOnly;
    private List<String> engines = List.of("mnv2", "ort", "pytorch");

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(Segmentation.CHILD)) {
            Segmentation.runChild(args);
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
                case "--warmup-ms" -> compare.warmupMs = Long.parseLong(args[++i]);
                case "--measure-ms" -> compare.measureMs = Long.parseLong(args[++i]);
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
                Predictor.vectorAvailable() ? "vector (jdk.incubator.vector, 256-bit)" : "scalar");
        List<FmaPeak.Width> widths = FmaPeak.measure(600);
        double peak = FmaPeak.widest(widths);
        System.out.printf(Locale.ROOT, "%s (the nominal 2 units x 8 lanes x 2 flops x %.3f GHz would be %.1f); "
                + "load average before the run: %s%n", FmaPeak.describe(widths), ghz, 32 * ghz, Machine.loadAverage());

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
        OrtEnvironment ort = engines.contains("ort") ? OrtEnvironment.getEnvironment() : null;
        List<String> rows = new ArrayList<>();
        String headline = null;
        String oneThread = "one-thread mnv2/ort=n/a";
        for (Model m : models) {
            Network network = MobileNetV2.builder().width(m.width()).resolution(m.resolution()).classes(1000)
                    .padding(Padding.symmetric(1)).seed(2018).build();
            byte[] onnx = ort == null ? null : OnnxExporter.builder().build().toBytes(network);
            System.out.printf(Locale.ROOT, "model α %s: %.1f M MACs, %.2f M params (same network in every engine)%n",
                    m.label(), network.macs() / 1e6, network.parameters() / 1e6);
            for (Case c : cases) {
                if (!c.model().equals(m)) continue;
                Tensor images = Images.random(c.batch(), network.input(), 7);
                Timing mnv2 = null;
                Timing ortTiming = null;
                Timing torch = null;
                long activationBytes = 0;
                float[][] reference = null;
                String agreement = "";
                if (engines.contains("mnv2")) {
                    try (Mnv2Engine e = new Mnv2Engine(network, images, c.threads())) {
                        mnv2 = time(e);
                        activationBytes = e.measuredActivationBytes();
                        reference = e.logits();
                    }
                }
                if (ort != null) {
                    try (OrtEngine e = new OrtEngine(ort, onnx, OnnxExporter.INPUT, images, c.threads())) {
                        ortTiming = time(e);
                        agreement += agreement("ort", reference, e.logits());
                    }
                }
                if (engines.contains("pytorch")) {
                    try (PyTorchEngine e = new PyTorchEngine(network, images, c.threads())) {
                        torch = time(e);
                        agreement += agreement("pytorch", reference, e.logits());
                    }
                }
                double gflops = mnv2 == null ? Double.NaN : 2.0 * network.macs() * c.batch() / (mnv2.medianMs() * 1e6);
                String row = String.format(Locale.ROOT,
                        "| %-8s | %5d | %7d | %s | %s | %s | %s | %s | %6.1f (%4.1f%%) | %s |",
                        m.label(), c.batch(), c.threads(), cell(mnv2, c.batch()), cell(ortTiming, c.batch()), cell(torch, c.batch()),
                        ratio(mnv2, ortTiming), ratio(mnv2, torch), gflops, 100 * gflops / (peak * c.threads()),
                        activationBytes == 0 ? "-" : String.format(Locale.ROOT, "%.2f", activationBytes / 1e6));
                rows.add(row);
                System.out.println(row + agreement);
                if (m.width() == 1.0 && m.resolution() == 224 && c.batch() == 1) {
                    if (c.threads() == 2) {
                        headline = String.format(Locale.ROOT, "mnv2/ort=%s mnv2/pytorch=%s",
                                ratio(mnv2, ortTiming).trim(), ratio(mnv2, torch).trim());
                    } else if (c.threads() == 1) {
                        oneThread = "one-thread mnv2/ort=" + ratio(mnv2, ortTiming).trim();
                    }
                }
            }
        }
        if (!rows.isEmpty()) {
            printClassificationTable(rows);
        }
        int rounds = segmentationRounds != null ? segmentationRounds : quick ? 0 : 3;
        if (rounds > 0) {
            System.out.println();
            List<String> segmentation = Segmentation.rows(engines, rounds, warmupMs, measureMs, peak);
            System.out.println();
            System.out.println("Segmentation: latency per image in ms, median of the rounds' medians "
                    + "(range of the rounds' medians); GFLOP/s and % of the FMA peak from mnv2's median.");
            System.out.println();
            System.out.println(Segmentation.header());
            segmentation.forEach(System.out::println);
        }
        System.out.println();
        System.out.println(oneThread);
        System.out.println(headline == null ? "mnv2/ort=n/a mnv2/pytorch=n/a" : headline);
    }

    private static void printClassificationTable(List<String> rows) {
        System.out.println();
        System.out.println("Latency per batch in ms as median / p90 (images/s from the median); ratios are mnv2 median / "
                + "other median (below 1: mnv2 faster); GFLOP/s = 2 x MACs x batch / mnv2 median, % of the measured FMA "
                + "peak of the threads used; peak MB = mnv2's measured activation memory per image.");
        System.out.println();
        System.out.println("| model    | batch | threads | mnv2 ms (img/s)          | ONNX Runtime ms (img/s)  "
                + "| PyTorch ms (img/s)       | mnv2/ORT | mnv2/PyTorch | mnv2 GFLOP/s  | peak MB |");
        System.out.println("|----------|-------|---------|--------------------------|--------------------------"
                + "|--------------------------|----------|--------------|---------------|---------|");
        rows.forEach(System.out::println);
    }

    private Timing time(Engine engine) throws Exception {
        return time(engine, warmupMs, measureMs);
    }

    /** Warm-up for {@code warmupMs} (at least 3 calls), then about {@code measureMs} of calls timed one by one. */
    static Timing time(Engine engine, long warmupMs, long measureMs) throws Exception {
        long start = System.nanoTime();
        int calls = 0;
        while (calls < 3 || System.nanoTime() - start < warmupMs * 1_000_000) {
            engine.run();
            calls++;
        }
        double perCallMs = (System.nanoTime() - start) / 1e6 / calls;
        int iterations = (int) Math.max(10, Math.min(2000, measureMs / perCallMs));
        Latency.Result r = Latency.measure(engine::run, 0, iterations);
        return new Timing(r.medianMs(), r.p90Ms(), r.samples());
    }

    private static String cell(Timing t, int batch) {
        if (t == null) return String.format(Locale.ROOT, "%-24s", "-");
        return String.format(Locale.ROOT, "%7.2f / %7.2f (%5.0f)", t.medianMs(), t.p90Ms(), batch * 1000 / t.medianMs());
    }

    private static String ratio(Timing a, Timing b) {
        if (a == null || b == null) return "     n/a";
        return String.format(Locale.ROOT, "%8.2f", a.medianMs() / b.medianMs());
    }

    private static String agreement(String name, float[][] expected, float[][] actual) {
        if (expected == null) return "";
        double max = 0;
        for (int n = 0; n < expected.length; n++) {
            for (int i = 0; i < expected[n].length; i++) {
                max = Math.max(max, Math.abs(expected[n][i] - actual[n][i]));
            }
        }
        return String.format(Locale.ROOT, " [%s max |logit diff| %.1e]", name, max);
    }

    /** DJL must never reach the network: refuse to start it unless the offline switches are all set. */
}
