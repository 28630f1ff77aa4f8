package dev.mnv2.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import dev.mnv2.onnx.OnnxExporter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The segmentation case: Mobile DeepLabv3 (α 1.0, 513×513, output stride 16, 21 classes, seeded random
 * weights), batch 1, on 1 and 2 threads, mnv2 against ONNX Runtime and PyTorch. Every measurement runs in a
 * JVM of its own, in interleaved rounds ({@link IsolatedRounds}); a row reports the median of the rounds'
 * medians and the range of the rounds' medians.
 */
final class Segmentation {
    /** The child's part name for {@link IsolatedRounds#child}. */
    static final String PART = "segmentation";
    static final String LABEL = "DLv3 1.00/513 OS16";
    /** Width of a latency cell. */
    private static final int CELL = 26;

    private Segmentation() {}

    /**
     * The benchmark's network. SAME padding is symmetric at 513 (every stride-2 input is odd), as torch's conv2d
     * needs; the resizes use half-pixel centres (torchvision's align_corners=False) rather than the published
     * model's aligned corners, because the bilinear interpolate DJL offers is exact only for those. Both do
     * the same work in mnv2 and ONNX Runtime (two taps per axis).
     */
    static Network network() {
        return DeepLabV3.builder().width(1.0).resolution(513).outputStride(16).classes(21).alignCorners(false)
                .seed(2018).build();
    }

    /** One engine's figures from one child JVM; the agreement fields are NaN / -1 for mnv2 itself. */
    record Run(double medianMs, double p90Ms, int samples, long peakBytes, double maxAbsDiff, double maxAbsLogit,
               long pixelsAgreeing, long pixels) implements IsolatedRounds.Measurement {
        static Run parse(String[] f) {
            return new Run(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]),
                    Double.parseDouble(f[4]), Double.parseDouble(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]));
        }

        @Override
        public String agreement() {
            return pixels <= 0 ? "" : String.format(Locale.ROOT, " [max |logit diff| %.2e (%.2e of max |logit| %.2f), "
                    + "argmax equal on %.4f %% of %d pixels]", maxAbsDiff, maxAbsDiff / maxAbsLogit, maxAbsLogit,
                    100.0 * pixelsAgreeing / pixels, pixels);
        }
    }

    /** Runs {@code rounds} interleaved rounds of child JVMs and returns the table rows (one per thread count). */
    static List<String> rows(List<String> engines, int rounds, long warmupMs, long measureMs, double peakGflops)
            throws IOException, InterruptedException {
        Network network = network();
        long macs = network.macs();
        System.out.printf(Locale.ROOT, "segmentation: Mobile DeepLabv3 α 1.0, 513x513, OS 16, 21 classes, half-pixel resizes: %.1f M MACs, "
                        + "%.2f M params; %d interleaved rounds, each engine in a JVM of its own%n", macs / 1e6,
                network.parameters() / 1e6, rounds);
        List<Integer> threadCounts = List.of(1, 2);
        Map<Integer, Map<String, List<Run>>> runs = IsolatedRounds.interleave(rounds, threadCounts, engines,
                threads -> threads + (threads == 1 ? " thread" : " threads"),
                (threads, engine) -> IsolatedRounds.child(PART, threads, List.of(engine, Integer.toString(threads),
                        Long.toString(warmupMs), Long.toString(measureMs)), Run::parse));
        List<String> rows = new ArrayList<>();
        for (int threads : threadCounts) {
            Map<String, List<Run>> byEngine = runs.getOrDefault(threads, Map.of());
            List<Run> mine = byEngine.getOrDefault("mnv2", List.of());
            List<Run> ort = byEngine.getOrDefault("ort", List.of());
            List<Run> torch = byEngine.getOrDefault("pytorch", List.of());
            double gflops = 2.0 * macs / (IsolatedRounds.median(mine) * 1e6);
            long peak = IsolatedRounds.peakBytes(mine);
            rows.add(String.format(Locale.ROOT, "| %-18s | %5d | %7d | %s | %s | %s | %s | %s | %6.1f (%4.1f%%) | %7s |",
                    LABEL, 1, threads, cell(mine), cell(ort), cell(torch), IsolatedRounds.ratio(mine, ort),
                    IsolatedRounds.ratio(mine, torch), gflops, 100 * gflops / (peakGflops * threads),
                    peak == 0 ? "-" : String.format(Locale.ROOT, "%.1f", peak / 1e6)));
        }
        return rows;
    }

    static String header() {
        String cells = String.format(Locale.ROOT, "| %-" + CELL + "s | %-" + CELL + "s | %-" + CELL + "s |",
                "mnv2 ms: median (range)", "ORT ms: median (range)", "PyTorch ms: median (range)");
        String rule = ("|" + "-".repeat(CELL + 2)).repeat(3) + "|";
        return "| model              | batch | threads " + cells + " mnv2/ORT | mnv2/PyTorch | mnv2 GFLOP/s  | peak MB |\n"
                + "|--------------------|-------|---------" + rule + "----------|--------------|---------------|---------|";
    }

    private static String cell(List<Run> runs) {
        return IsolatedRounds.cell(runs, "%6.1f", CELL);
    }

    /**
     * The child's side, {@code engine threads warmupMs measureMs}: times {@code engine} on {@code threads}
     * threads and prints one result line. The ORT and PyTorch children then run mnv2 once on the same image to
     * report how far apart their logits are from mnv2's.
     */
    static void runChild(String[] args) throws Exception {
        String engine = args[0];
        int threads = Integer.parseInt(args[1]);
        long warmupMs = Long.parseLong(args[2]);
        long measureMs = Long.parseLong(args[3]);
        Network network = network();
        Tensor image = Images.random(1, network.input(), 7);
        IsolatedRounds.Timing timing;
        long peak = 0;
        double maxDiff = Double.NaN;
        double maxAbs = Double.NaN;
        long agreeing = -1;
        long pixels = -1;
        switch (engine) {
            case "mnv2" -> {
                try (Mnv2Engine e = new Mnv2Engine(network, image, threads)) {
                    timing = IsolatedRounds.time(e, warmupMs, measureMs);
                    peak = e.measuredActivationBytes();
                }
            }
            case "ort", "pytorch" -> {
                float[] nchw;
                if (engine.equals("ort")) {
                    try (OrtEngine e = new OrtEngine(OrtEnvironment.getEnvironment(), OnnxExporter.builder().build()
                            .toBytes(network), OnnxExporter.INPUT, image, threads)) {
                        timing = IsolatedRounds.time(e, warmupMs, measureMs);
                        nchw = e.output();
                    }
                } else {
                    Djl.requireOffline("compare");
                    try (PyTorchEngine e = new PyTorchEngine(network, image, threads)) {
                        timing = IsolatedRounds.time(e, warmupMs, measureMs);
                        nchw = e.output();
                    }
                }
                float[] nhwc;
                try (Mnv2Engine e = new Mnv2Engine(network, image, threads)) {
                    nhwc = e.logits()[0];
                }
                Shape s = network.outputShape();
                maxAbs = 0;
                maxDiff = 0;
                agreeing = 0;
                pixels = (long) s.height() * s.width();
                int c = s.channels();
                int plane = s.height() * s.width();
                for (int p = 0; p < plane; p++) {
                    int best = 0;
                    int ortBest = 0;
                    for (int ch = 0; ch < c; ch++) {
                        float mine = nhwc[p * c + ch];
                        float theirs = nchw[ch * plane + p];
                        maxDiff = Math.max(maxDiff, Math.abs(mine - theirs));
                        maxAbs = Math.max(maxAbs, Math.abs(mine));
                        best = mine > nhwc[p * c + best] ? ch : best;
                        ortBest = theirs > nchw[ortBest * plane + p] ? ch : ortBest;
                    }
                    agreeing += best == ortBest ? 1 : 0;
                }
            }
            default -> throw new IllegalArgumentException("segmentation runs mnv2, ort and pytorch, not " + engine);
        }
        IsolatedRounds.printResult(timing.medianMs(), timing.p90Ms(), timing.samples(), peak, maxDiff, maxAbs, agreeing, pixels);
    }
}
