package dev.mnv2.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.mnv2.exec.ExecutionMode;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.Padding;
import dev.mnv2.onnx.OnnxExporter;
import dev.mnv2.util.Json;
import dev.mnv2.util.Latency;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench/compare --layers}: mnv2's per-step times beside ONNX Runtime's per-node times on the same
 * MobileNetV2 (as {@link Compare} builds it), batch 1, so that every layer where mnv2 loses is named with its ratio.
 *
 * <p>mnv2 runs layer by layer ({@link ExecutionMode#LAYER_BY_LAYER}: the memory-efficient default fuses a
 * whole block into one step) under {@link Predictor#profile}, which runs every step on the calling thread
 * alone: mnv2's per-layer times are therefore always one thread's, and with {@code --threads T > 1} the ratio
 * compares one mnv2 thread against T ORT threads (the header says so). ORT runs with its profiler on; its
 * nodes map to mnv2's steps by name, because the exporter names each Conv node after its layer and ORT's
 * fusions only append suffixes ({@code features.2.conv.0.0.relu6_nchwc}). A node no step name prefixes (a
 * layout reorder, an unfused residual add) counts for the step before it. Each engine runs in a JVM of its
 * own, so ORT's spinning threads never run beside mnv2.
 *
 * <p>Options after {@code --layers}: {@code --width W} (default 1.0), {@code --resolution R} (default 224),
 * {@code --threads T} (ORT's intra-op threads, default 1).
 */
final class LayerCompare {
    static final String OPTION = "--layers";
    static final String CHILD = "--layers-child";
    /** Child result lines: {@code STEP name macs ms}, {@code NODE name op ms}, {@code WHOLE ms label...}. */
    private static final String STEP = "layers-step";
    private static final String NODE = "layers-node";
    private static final String WHOLE = "layers-whole";
    private static final int WARMUP_RUNS = 20;
    private static final int PROFILED_RUNS = 200;
    private static final long WHOLE_RUN_WARMUP_MS = 500;
    /** mnv2/ORT above this names a layer as lost. */
    private static final double LOSING_RATIO = 1.2;

    private LayerCompare() {}

    private record Setup(double width, int resolution, int threads) {
        Network network() {
            return MobileNetV2.builder().width(width).resolution(resolution).classes(1000).padding(Padding.symmetric(1))
                    .seed(2018).build();
        }

        List<String> childArgs(String engine) {
            return List.of(CHILD, engine, Double.toString(width), Integer.toString(resolution), Integer.toString(threads));
        }

        static Setup parse(String[] args) {
            double width = 1.0;
            int resolution = 224;
            int threads = 1;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case OPTION -> { }
                    case "--width" -> width = Double.parseDouble(args[++i]);
                    case "--resolution" -> resolution = Integer.parseInt(args[++i]);
                    case "--threads" -> threads = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("compare --layers: unknown option " + args[i]
                            + " (known: --width W, --resolution R, --threads T)");
                }
            }
            return new Setup(width, resolution, threads);
        }
    }

    /** One ORT node's median kernel time over the profiled runs, in execution order. */
    private record OrtNode(String name, String op, double medianMs) {}

    /** One whole-run median of a child, e.g. ORT's session.run without the profiler. */
    private record WholeRun(String label, double medianMs) {}

    /** What one child JVM measured. */
    private record ChildResult(List<Predictor.LayerTime> steps, List<OrtNode> nodes, List<WholeRun> wholeRuns) {}

    /** One table row: an mnv2 step and the ORT time attributed to it (NaN when no ORT node maps to it). */
    private record Row(String layer, String kind, long macs, double mnv2Ms, double ortMs) {}

    static void run(String[] args) throws Exception {
        Setup setup = Setup.parse(args);
        Network network = setup.network();
        System.out.printf(Locale.ROOT, "layers: MobileNetV2 α %.2f/%d, batch 1, %.1f M MACs; mnv2 layer by layer on 1 thread "
                        + "(Predictor.profile runs every step on the calling thread), ONNX Runtime on %d thread%s%s; "
                        + "medians of %d profiled runs after %d warm-up runs (mnv2's after its whole runs, whose "
                        + "warm-up waits for the JIT to go quiet); each engine in a JVM of its own; "
                        + "load average before: %s%n", setup.width(), setup.resolution(), network.macs() / 1e6,
                setup.threads(), setup.threads() == 1 ? "" : "s",
                setup.threads() == 1 ? "" : " (so mnv2/ORT compares 1 mnv2 thread with " + setup.threads() + " ORT threads)",
                PROFILED_RUNS, WARMUP_RUNS, Machine.loadAverage());
        System.out.println(CorePin.describe());
        ChildResult mnv2 = child(setup, "mnv2");
        ChildResult ort = child(setup, "ort");

        Map<String, String> kinds = kinds(network);
        Map<String, Double> ortByStep = new HashMap<>();
        Map<String, List<String>> attributedByStep = new LinkedHashMap<>();
        List<String> steps = mnv2.steps().stream().map(Predictor.LayerTime::layer).toList();
        String previous = steps.get(0);
        for (OrtNode node : ort.nodes()) {
            String step = stepOf(node.name(), steps);
            if (step == null) {
                step = previous;
                attributedByStep.computeIfAbsent(step, s -> new ArrayList<>()).add(node.name() + " (" + node.op() + ")");
            }
            ortByStep.merge(step, node.medianMs(), Double::sum);
            previous = step;
        }
        List<Row> rows = new ArrayList<>();
        for (Predictor.LayerTime step : mnv2.steps()) {
            rows.add(new Row(step.layer(), kinds.getOrDefault(step.layer(), "?"), step.macs(), step.medianMs(),
                    ortByStep.getOrDefault(step.layer(), Double.NaN)));
        }
        printTables(rows);
        printOverhead(rows, mnv2, ort, attributedByStep);
        printLosses(rows);
    }

    /** The op kind of every step name, for the per-kind sums. */
    private static Map<String, String> kinds(Network network) {
        Map<String, String> kinds = new HashMap<>();
        List<Node> nodes = network.nodes();
        for (Node node : nodes) {
            Layer layer = node.layer();
            if (layer instanceof InvertedResidual block) {
                if (block.expand() != null) kinds.put(block.expand().name(), "1×1 expand");
                kinds.put(block.depthwise().name(), "depthwise");
                kinds.put(block.project().name(), "1×1 project");
            } else if (layer instanceof Conv2d conv) {
                kinds.put(conv.name(), node == nodes.get(0) ? "stem" : conv.isPointwise() ? "1×1 last conv" : "conv");
            } else if (layer instanceof GlobalAveragePool) {
                kinds.put(layer.name(), "pool");
            } else if (layer instanceof Dense) {
                kinds.put(layer.name(), "classifier");
            }
        }
        return kinds;
    }

    /** The longest step name that is {@code node} or prefixes it up to a '.' or '_', or null. */
    private static String stepOf(String node, List<String> steps) {
        String best = null;
        for (String step : steps) {
            boolean prefix = node.equals(step) || node.startsWith(step)
                    && (node.charAt(step.length()) == '.' || node.charAt(step.length()) == '_');
            if (prefix && (best == null || step.length() > best.length())) {
                best = step;
            }
        }
        return best;
    }

    private static void printTables(List<Row> rows) {
        System.out.println();
        System.out.println("| layer                | op            |  M MACs | mnv2 ms | mnv2 GFLOP/s |  ORT ms | ORT GFLOP/s | mnv2/ORT |");
        System.out.println("|----------------------|---------------|---------|---------|--------------|---------|-------------|----------|");
        for (Row r : rows) {
            System.out.println(row(r.layer(), r.kind(), r.macs(), r.mnv2Ms(), r.ortMs()));
        }
        System.out.println(row("**total**", "", rows.stream().mapToLong(Row::macs).sum(),
                rows.stream().mapToDouble(Row::mnv2Ms).sum(), ortSum(rows)));

        Map<String, List<Row>> byKind = new LinkedHashMap<>();
        rows.forEach(r -> byKind.computeIfAbsent(r.kind(), k -> new ArrayList<>()).add(r));
        System.out.println();
        System.out.println("| op            | layers |  M MACs | mnv2 ms | mnv2 GFLOP/s |  ORT ms | ORT GFLOP/s | mnv2/ORT |");
        System.out.println("|---------------|--------|---------|---------|--------------|---------|-------------|----------|");
        byKind.forEach((kind, group) -> {
            long macs = group.stream().mapToLong(Row::macs).sum();
            double mine = group.stream().mapToDouble(Row::mnv2Ms).sum();
            double theirs = ortSum(group);
            System.out.printf(Locale.ROOT, "| %-13s | %6d | %7.2f | %7.3f | %12s | %7.3f | %11s | %8s |%n", kind, group.size(),
                    macs / 1e6, mine, gflops(macs, mine), theirs, gflops(macs, theirs), ratio(mine, theirs));
        });
    }

    private static String row(String layer, String kind, long macs, double mnv2Ms, double ortMs) {
        return String.format(Locale.ROOT, "| %-20s | %-13s | %7.2f | %7.3f | %12s | %7s | %11s | %8s |", layer, kind,
                macs / 1e6, mnv2Ms, gflops(macs, mnv2Ms), Double.isNaN(ortMs) ? "-" : String.format(Locale.ROOT, "%7.3f", ortMs),
                gflops(macs, ortMs), ratio(mnv2Ms, ortMs));
    }

    /** ORT's time over {@code rows}, steps without an ORT node counting 0. */
    private static double ortSum(List<Row> rows) {
        return rows.stream().mapToDouble(Row::ortMs).filter(ms -> !Double.isNaN(ms)).sum();
    }

    private static String gflops(long macs, double ms) {
        return macs == 0 || Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.1f", 2.0 * macs / (ms * 1e6));
    }

    private static String ratio(double mnv2Ms, double ortMs) {
        return Double.isNaN(ortMs) || ortMs == 0 ? "-" : String.format(Locale.ROOT, "%.2f", mnv2Ms / ortMs);
    }

    /** Sums of the per-layer medians against whole runs, so the reader sees what profiling and framework cost. */
    private static void printOverhead(List<Row> rows, ChildResult mnv2, ChildResult ort, Map<String, List<String>> attributed) {
        System.out.println();
        System.out.printf(Locale.ROOT, "mnv2: sum of per-step medians %.3f ms", rows.stream().mapToDouble(Row::mnv2Ms).sum());
        mnv2.wholeRuns().forEach(w -> System.out.printf(Locale.ROOT, "; %s %.3f ms", w.label(), w.medianMs()));
        System.out.println();
        System.out.printf(Locale.ROOT, "ORT: sum of per-node medians %.3f ms", ortSum(rows));
        ort.wholeRuns().forEach(w -> System.out.printf(Locale.ROOT, "; %s %.3f ms", w.label(), w.medianMs()));
        System.out.println();
        if (!attributed.isEmpty()) {
            StringBuilder line = new StringBuilder("ORT nodes no step name matches, counted for the step before them:");
            attributed.forEach((step, nodes) -> line.append(' ').append(String.join(", ", nodes)).append(" → ").append(step)
                    .append(';'));
            System.out.println(line.substring(0, line.length() - 1));
        }
    }

    private static void printLosses(List<Row> rows) {
        List<Row> losing = rows.stream().filter(r -> !Double.isNaN(r.ortMs()) && r.mnv2Ms() > LOSING_RATIO * r.ortMs())
                .sorted(Comparator.comparingDouble((Row r) -> r.mnv2Ms() - r.ortMs()).reversed()).toList();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "mnv2 loses (mnv2/ORT > %.1f), by ms lost:", LOSING_RATIO));
        if (losing.isEmpty()) {
            line.append(" none");
        }
        for (Row r : losing) {
            line.append(String.format(Locale.ROOT, " %s %.2f× (+%.3f ms),", r.layer(), r.mnv2Ms() / r.ortMs(),
                    r.mnv2Ms() - r.ortMs()));
        }
        System.out.println();
        System.out.println(losing.isEmpty() ? line : line.substring(0, line.length() - 1));
    }

    /** Runs one engine's child JVM and collects its result lines, passing every other line on. */
    private static ChildResult child(Setup setup, String engine) throws IOException, InterruptedException {
        ChildResult result = new ChildResult(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        int exit = ChildJvm.run(Compare.class, setup.childArgs(engine), CorePin.prefix(setup.threads()), line -> {
            String[] f = line.split(" ", 4);
            switch (f[0]) {
                case STEP -> result.steps().add(new Predictor.LayerTime(f[1], Long.parseLong(f[2]), Double.parseDouble(f[3])));
                case NODE -> result.nodes().add(new OrtNode(f[1], f[2], Double.parseDouble(f[3])));
                case WHOLE -> result.wholeRuns().add(new WholeRun(line.split(" ", 3)[2], Double.parseDouble(f[1])));
                default -> System.out.println(line);
            }
        });
        if (exit != 0) {
            throw new IOException("compare --layers: the " + engine + " child exited with " + exit);
        }
        return result;
    }

    /** The child's side, {@code CHILD engine width resolution threads}: measures one engine, prints result lines. */
    static void runChild(String[] args) throws Exception {
        String engine = args[1];
        Setup setup = new Setup(Double.parseDouble(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        Network network = setup.network();
        Tensor image = Images.random(1, network.input(), 7);
        switch (engine) {
            case "mnv2" -> {
                try (Predictor layered = Predictor.builder(network).threads(1).mode(ExecutionMode.LAYER_BY_LAYER).build()) {
                    // The whole runs first: their warm-up goes on until the JIT is quiet, where the profile's 20
                    // runs alone left a small model's kernels in the interpreter or C1 for most timed runs.
                    Tensor output = Tensor.zeros(1, layered.outputShape());
                    whole(Latency.measure(() -> layered.forward(image, output), WHOLE_RUN_WARMUP_MS, PROFILED_RUNS),
                            "whole forward, layer by layer, 1 thread");
                    for (Predictor.LayerTime t : layered.profile(image, WARMUP_RUNS, PROFILED_RUNS)) {
                        System.out.println(STEP + " " + t.layer() + " " + t.macs() + " " + t.medianMs());
                    }
                }
                try (Mnv2Engine defaults = new Mnv2Engine(network, image, setup.threads())) {
                    whole(Latency.measure(defaults::run, WHOLE_RUN_WARMUP_MS, PROFILED_RUNS),
                            "whole forward, memory-efficient (the default), " + setup.threads() + " thread"
                                    + (setup.threads() == 1 ? "" : "s"));
                }
            }
            case "ort" -> {
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                byte[] onnx = OnnxExporter.builder().build().toBytes(network);
                try (OrtEngine plain = new OrtEngine(env, onnx, OnnxExporter.INPUT, image, setup.threads())) {
                    whole(Latency.measure(plain::run, WHOLE_RUN_WARMUP_MS, PROFILED_RUNS), "session.run without the profiler");
                }
                Path dir = Files.createTempDirectory("mnv2-layers");
                Path trace;
                try (OrtEngine profiled = OrtEngine.profiled(env, onnx, OnnxExporter.INPUT, image, setup.threads(),
                        dir.resolve("ort"))) {
                    for (int i = 0; i < WARMUP_RUNS + PROFILED_RUNS; i++) {
                        profiled.run();
                    }
                    trace = profiled.endProfiling();
                }
                printTrace((List<?>) Json.parse(Files.readString(trace)));
                Files.delete(trace);
                Files.delete(dir);
            }
            default -> throw new IllegalArgumentException("compare --layers runs mnv2 and ort, not " + engine);
        }
    }

    private static void whole(Latency.Result result, String label) {
        System.out.println(WHOLE + " " + result.medianMs() + " " + label);
    }

    /**
     * Prints the median kernel time of every node in execution order, and of the whole run, from ORT's Chrome
     * trace: the warm-up runs' events come first and are dropped.
     */
    private static void printTrace(List<?> events) {
        Map<String, List<Double>> nodeMs = new LinkedHashMap<>();
        Map<String, String> ops = new HashMap<>();
        List<Double> runMs = new ArrayList<>();
        for (Object e : events) {
            Map<?, ?> event = (Map<?, ?>) e;
            String name = (String) event.get("name");
            double ms = ((Number) event.get("dur")).doubleValue() / 1000;
            if ("Node".equals(event.get("cat")) && name.endsWith("_kernel_time")) {
                String node = name.substring(0, name.length() - "_kernel_time".length());
                nodeMs.computeIfAbsent(node, n -> new ArrayList<>()).add(ms);
                ops.put(node, (String) ((Map<?, ?>) event.get("args")).get("op_name"));
            } else if ("Session".equals(event.get("cat")) && name.equals("model_run")) {
                runMs.add(ms);
            }
        }
        nodeMs.forEach((node, ms) -> System.out.println(NODE + " " + node + " " + ops.get(node) + " " + median(ms)));
        System.out.println(WHOLE + " " + median(runMs) + " whole profiled run (model_run)");
    }

    private static double median(List<Double> msInRunOrder) {
        double[] timed = msInRunOrder.subList(WARMUP_RUNS, msInRunOrder.size()).stream().mapToDouble(Double::doubleValue)
                .sorted().toArray();
        return new Latency.Result(timed).medianMs();
    }
}
