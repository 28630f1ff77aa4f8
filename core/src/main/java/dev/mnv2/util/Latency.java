package dev.mnv2.util;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.function.LongSupplier;

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
     * Calls {@code call} for at least {@code warmupMillis} (and at least 3 times), and on until the JVM has been
     * {@linkplain JitActivity quiet} for a quarter of that (at most 10 × {@code warmupMillis}: a fresh JVM may
     * still be compiling the kernels a call needs, and calls timed meanwhile measure the compiler), then {@code
     * iterations} more times, each timed.
     */
    public static Result measure(Call call, long warmupMillis, int iterations) throws Exception {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        JitActivity jit = JitActivity.ofThisJvm();
        long warmupStart = System.nanoTime();
        long warmupNs = warmupMillis * 1_000_000;
        for (int i = 0; ; i++) {
            call.run();
            long now = System.nanoTime();
            boolean quiet = jit.quietFor(now, warmupNs / 4);
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

    /**
     * Watches the JIT for a warm-up loop. The total compilation time alone is not enough: it grows only when a
     * compilation ends, and C2 compiling a large kernel for a second or more looked quiet, so warm-up ended and
     * the calls timed next ran partly in the profiling tier. The CPU time of the JVM's own threads (compiler
     * and GC threads, which are not Java threads) shows a compilation while it runs. Both are sampled every 100
     * ms: over shorter spans the VM's sub-millisecond housekeeping would count as work.
     */
    public static final class JitActivity {
        /** Work above this share of one core means the JVM is still busy. */
        private static final double BUSY_SHARE = 0.05;
        static final long SAMPLE_NS = 100_000_000;

        private final LongSupplier compilationMs;
        private final LongSupplier backgroundCpuNs;
        private long lastCompilationMs;
        private long lastBackgroundNs;
        private long sampledAt = Long.MIN_VALUE;
        private long busyAt;

        /**
         * @param compilationMs   the JIT's total compilation time so far, or a constant where unknown
         * @param backgroundCpuNs CPU time so far of the JVM's threads other than Java threads, or a constant
         */
        JitActivity(LongSupplier compilationMs, LongSupplier backgroundCpuNs) {
            this.compilationMs = compilationMs;
            this.backgroundCpuNs = backgroundCpuNs;
        }

        /** This JVM's JIT, through its management beans; where one is missing, what it would show is ignored. */
        public static JitActivity ofThisJvm() {
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            LongSupplier compilation = jit != null && jit.isCompilationTimeMonitoringSupported()
                    ? jit::getTotalCompilationTime : () -> 0;
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            LongSupplier background = () -> 0;
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                    && threads.isThreadCpuTimeSupported() && os.getProcessCpuTime() >= 0) {
                if (!threads.isThreadCpuTimeEnabled()) {
                    threads.setThreadCpuTimeEnabled(true);
                }
                background = () -> {
                    long javaThreads = 0;
                    for (long id : threads.getAllThreadIds()) {
                        javaThreads += Math.max(0, threads.getThreadCpuTime(id));
                    }
                    return os.getProcessCpuTime() - javaThreads;
                };
            }
            return new JitActivity(compilation, background);
        }

        /**
         * Samples the JVM at {@code now} (System.nanoTime()) if 100 ms have passed since the last sample; true
         * when no sample since {@code windowNs} before {@code now} found the JIT or the JVM's own threads using
         * over 5 % of a core. The first call starts the watch and is never quiet for a window above zero.
         */
        public boolean quietFor(long now, long windowNs) {
            if (sampledAt == Long.MIN_VALUE) {
                lastCompilationMs = compilationMs.getAsLong();
                lastBackgroundNs = backgroundCpuNs.getAsLong();
                sampledAt = now;
                busyAt = now;
            } else if (now - sampledAt >= SAMPLE_NS) {
                long compiledMs = compilationMs.getAsLong();
                long background = backgroundCpuNs.getAsLong();
                long workNs = Math.max((compiledMs - lastCompilationMs) * 1_000_000, background - lastBackgroundNs);
                if (workNs > BUSY_SHARE * (now - sampledAt)) {
                    busyAt = now;
                }
                lastCompilationMs = compiledMs;
                lastBackgroundNs = background;
                sampledAt = now;
            }
            return now - busyAt >= windowNs;
        }
    }
}
