package dev.mnv2.util;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * A small latency harness: warm up for a while (the JIT compiles, caches and thread pools settle), then
 * time a number of calls one by one. Shared by {@code mnv2 bench} and the comparison benchmark so every
 * engine is measured the same way.
 */
public final class Latency {
    private Latency() {}

    /** One timed call. */
    @FunctionalInterface
    public interface Call {
        void run() throws Exception;
    }

    /** Sorted per-call latencies in milliseconds. */
    public record Result(double[] sortedMs) {
        public double medianMs() {
            return percentile(50);
        }

        public double p90Ms() {
            return percentile(90);
        }

        public double minMs() {
            return sortedMs[0];
        }

        /** Nearest-rank percentile. */
        public double percentile(double p) {
            int rank = (int) Math.ceil(p / 100 * sortedMs.length);
            return sortedMs[Math.max(0, Math.min(sortedMs.length - 1, rank - 1))];
        }

        public int samples() {
            return sortedMs.length;
        }
    }

    /**
     * Calls {@code call} for at least {@code warmupMillis} (and at least 3 times), and on until the JIT has
     * compiled nothing for a quarter of that (at most 10 × {@code warmupMillis}: a fresh JVM may still be
     * compiling the kernels a call needs, and calls timed meanwhile measure the compiler), then {@code
     * iterations} more times, each timed.
     */
    public static Result measure(Call call, long warmupMillis, int iterations) throws Exception {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watchJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long warmupStart = System.nanoTime();
        long warmupNs = warmupMillis * 1_000_000;
        long compiledMs = watchJit ? jit.getTotalCompilationTime() : 0;
        long compiledAt = warmupStart;
        for (int i = 0; ; i++) {
            call.run();
            long now = System.nanoTime();
            if (watchJit && jit.getTotalCompilationTime() != compiledMs) {
                compiledMs = jit.getTotalCompilationTime();
                compiledAt = now;
            }
            boolean quiet = now - compiledAt >= warmupNs / 4;
            if (i >= 2 && now - warmupStart >= warmupNs && (quiet || now - warmupStart >= 10 * warmupNs)) {
                break;
            }
        }
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return new Result(ms);
    }
}
