package dev.mnv2.cli;

import dev.mnv2.exec.ExecutionMode;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.util.Json;
import dev.mnv2.util.Latency;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mnv2 bench}: inference latency of a random-weight MobileNetV2 on this machine, with the measured
 * activation memory. The side-by-side comparison with ONNX Runtime and PyTorch is {@code bench/compare}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time inference of a MobileNetV2 with random weights: warm-up, then timed calls one by one; "
                + "median and p90 latency, images/s, GFLOP/s and the measured peak activation memory.")
final class BenchCommand implements Runnable {
    enum Format { table, json }

    enum Mode {
        memory_efficient(ExecutionMode.MEMORY_EFFICIENT), layer_by_layer(ExecutionMode.LAYER_BY_LAYER);

        final ExecutionMode mode;

        Mode(ExecutionMode mode) {
            this.mode = mode;
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--width", paramLabel = "W", defaultValue = "1.0", converter = ArchitectureLimits.Width.class,
            description = "Width multiplier α, > 0 and at most 100. Default: ${DEFAULT-VALUE}.")
    double width;

    @Option(names = "--resolution", paramLabel = "R|HxW", defaultValue = "224",
            converter = ArchitectureLimits.Resolution.class,
            description = "Input resolution, every side from 32 to 16384: 224 or 160x128. Default: ${DEFAULT-VALUE}.")
    ArchitectureLimits.InputSize resolution;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads per call; more than the available processors is allowed, with a warning. "
                    + "Default: all available processors.")
    Integer threads;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Images per call. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--mode", paramLabel = "memory_efficient|layer_by_layer", defaultValue = "memory_efficient",
            description = "memory_efficient (§5.1 row tiles) or layer_by_layer. Default: ${DEFAULT-VALUE}.")
    Mode mode;

    @Option(names = "--warmup-ms", paramLabel = "MS", defaultValue = "2000",
            description = "Warm-up time in ms, at least; it goes on until the JVM is quiet for a quarter of it: "
                    + "no compilation ended and its compiler and GC threads idle (at most ten times as long). "
                    + "Default: ${DEFAULT-VALUE}.")
    long warmupMs;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "300",
            description = "Timed calls (enough that a short burst of other work on a shared machine moves the median little). "
                    + "Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = "--profile", description = "Also time every step on one thread and list them: a layer, or "
            + "a whole block where memory-efficient mode runs it in row tiles.")
    boolean profile;

    @Option(names = "--format", paramLabel = "table|json", defaultValue = "table",
            description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Override
    public void run() {
        int processors = Runtime.getRuntime().availableProcessors();
        int threadCount = threads == null ? processors : threads;
        if (threadCount < 1) throw usage("--threads must be >= 1, got " + threadCount);
        if (threadCount > processors) {
            spec.commandLine().getErr().println("mnv2: warning: --threads " + threadCount + " is more than the "
                    + processors + " available processors; the extra threads share cores and time slower");
        }
        if (batch < 1) throw usage("--batch must be >= 1, got " + batch);
        if (iterations < 1) throw usage("--iterations must be >= 1, got " + iterations);
        if (warmupMs < 0) throw usage("--warmup-ms must be >= 0, got " + warmupMs);
        Network network;
        try {
            network = MobileNetV2.builder().width(width).resolution(resolution.height(), resolution.width())
                    .classes(1000).seed(2018).build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Tensor images = Tensor.zeros(batch, network.input());
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < images.data().length; i++) {
            images.data()[i] = (float) (2 * random.nextDouble() - 1);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        try (Predictor predictor = Predictor.builder(network).threads(threadCount).mode(mode.mode).build()) {
            Tensor logits = Tensor.zeros(batch, predictor.outputShape());
            Latency.Result r;
            try {
                r = Latency.measure(() -> predictor.forward(images, logits), warmupMs, iterations);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            report.put("width", width);
            report.put("inputHeight", resolution.height());
            report.put("inputWidth", resolution.width());
            report.put("batch", batch);
            report.put("threads", threadCount);
            report.put("mode", mode.name());
            report.put("kernels", predictor.vectorized() ? "vector" : "scalar");
            report.put("vectorBits", predictor.vectorized() ? Predictor.vectorBits() : 0);
            report.put("macs", network.macs());
            report.put("iterations", r.samples());
            report.put("medianMs", round(r.medianMs()));
            report.put("p90Ms", round(r.p90Ms()));
            report.put("minMs", round(r.minMs()));
            report.put("imagesPerSecond", round(batch * 1000 / r.medianMs()));
            report.put("gflops", round(2.0 * network.macs() * batch / (r.medianMs() * 1e6)));
            report.put("peakActivationBytes", predictor.measuredActivationBytes());
            report.put("plannedActivationBytes", predictor.plannedActivationBytes());
            if (profile) {
                List<Map<String, Object>> layers = new ArrayList<>();
                for (Predictor.LayerTime t : predictor.profile(images, 3, Math.max(5, iterations / 2))) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("layer", t.layer());
                    row.put("macs", t.macs());
                    row.put("medianMs", round(t.medianMs()));
                    row.put("gflops", round(t.gflops()));
                    layers.add(row);
                }
                report.put("layers", layers);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.println(Json.write(report));
        } else {
            out.printf(Locale.ROOT, "MobileNetV2 %.2f/%s, batch %d, %d thread(s), %s, %s kernels%s%n", width, resolution,
                    batch, threadCount, mode, report.get("kernels").equals("vector") ? "vector " + report.get("vectorBits") + "-bit" : "scalar",
                    scalarHint((String) report.get("kernels")));
            out.printf(Locale.ROOT, "latency: median %.2f ms, p90 %.2f ms, min %.2f ms over %d calls%n",
                    report.get("medianMs"), report.get("p90Ms"), report.get("minMs"), report.get("iterations"));
            out.printf(Locale.ROOT, "throughput: %.1f images/s, %.1f GFLOP/s (%.1f M MACs per image)%n",
                    report.get("imagesPerSecond"), report.get("gflops"), network.macs() / 1e6);
            out.printf(Locale.ROOT, "activation memory per image: %d bytes measured, %d planned%n",
                    report.get("peakActivationBytes"), report.get("plannedActivationBytes"));
            if (profile) {
                out.printf(Locale.ROOT, "%nper layer, one thread, median:%n%-22s %10s %9s %8s%n", "layer", "MMACs", "ms",
                        "GFLOP/s");
                for (Object o : (List<?>) report.get("layers")) {
                    Map<?, ?> row = (Map<?, ?>) o;
                    out.printf(Locale.ROOT, "%-22s %10.2f %9.3f %8.1f%n", row.get("layer"),
                            ((Long) row.get("macs")) / 1e6, row.get("medianMs"), row.get("gflops"));
                }
            }
        }
        out.flush();
    }

    private static String scalarHint(String kernels) {
        return kernels.equals("scalar") ? " (add the JVM option --add-modules jdk.incubator.vector for SIMD)" : "";
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
