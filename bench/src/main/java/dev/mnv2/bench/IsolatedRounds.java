package dev.mnv2.bench;

import dev.mnv2.util.Latency;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What {@link Compare}'s classification and segmentation parts share: every (case, engine) measurement runs in a
 * JVM of its own (so no engine's spinning threads, heap or JIT profile touches another's, and each round may land
 * in either of this machine's speed clusters), in interleaved rounds (for each case the engines in order, in the
 * reverse order on odd rounds), and a table cell reports the median of the rounds' medians with their range.
 *
 * <p>The protocol: a child is this JVM's command line again (see {@link ChildJvm}) with {@code CHILD part args...};
 * it may print anything, then prints one line {@code RESULT field...} that the part's parser reads.
 */
final class IsolatedRounds {
    static final String CHILD = "--child";
    private static final String RESULT = "child-result";
    static final List<String> ENGINES = List.of("mnv2", "ort", "pytorch");

    private IsolatedRounds() {}

    /** A child's figures for one measurement. */
    interface Measurement {
        double medianMs();

        double p90Ms();

        int samples();

        /** mnv2's measured activation bytes, 0 for the other engines. */
        long peakBytes();

        /** How far the engine's output is from mnv2's, for the round line; empty for mnv2 itself. */
        String agreement();
    }

    record Timing(double medianMs, double p90Ms, int samples) {}

    /** Starts one child measurement; {@code C} is the part's case. */
    @FunctionalInterface
    interface Child<C, M extends Measurement> {
        M measure(C c, String engine) throws IOException, InterruptedException;
    }

    /**
     * Runs {@code rounds} interleaved rounds over {@code cases} × {@code engines} (those of {@link #ENGINES}, in that
     * order), printing a line per measurement; the measurements by case, then engine, in round order.
     */
    static <C, M extends Measurement> Map<C, Map<String, List<M>>> interleave(int rounds, List<C> cases,
            List<String> engines, Function<C, String> label, Child<C, M> child) throws IOException, InterruptedException {
        List<String> order = new ArrayList<>(ENGINES);
        order.retainAll(engines);
        Map<C, Map<String, List<M>>> runs = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            List<String> now = new ArrayList<>(order);
            if (round % 2 == 1) {
                Collections.reverse(now);
            }
            for (C c : cases) {
                for (String engine : now) {
                    M m = child.measure(c, engine);
                    runs.computeIfAbsent(c, k -> new LinkedHashMap<>()).computeIfAbsent(engine, e -> new ArrayList<>()).add(m);
                    System.out.printf(Locale.ROOT, "  round %d, %s, %-7s: median %.2f ms, p90 %.2f ms (%d calls)%s%n",
                            round + 1, label.apply(c), engine, m.medianMs(), m.p90Ms(), m.samples(), m.agreement());
                }
            }
        }
        return runs;
    }

    /**
     * Runs {@code part}'s child of {@code threads} threads ({@linkplain CorePin pinned} when one) with {@code args},
     * echoing its other output, and parses its result line's fields
     * (those after {@code RESULT}).
     */
    static <M> M child(String part, int threads, List<String> args, Function<String[], M> parse)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(CHILD, part));
        command.addAll(args);
        String[] result = {null};
        int exit = ChildJvm.run(Compare.class, command, CorePin.prefix(threads), line -> {
            if (line.startsWith(RESULT + " ")) {
                result[0] = line;
            } else {
                System.out.println(line);
            }
        });
        if (exit != 0 || result[0] == null) {
            throw new IOException(part + " child " + args + " exited with " + exit + (result[0] == null ? " without a result" : ""));
        }
        String[] fields = result[0].split(" ");
        return parse.apply(Arrays.copyOfRange(fields, 1, fields.length));
    }

    /** The child's side: prints its result line. */
    static void printResult(Object... fields) {
        StringBuilder line = new StringBuilder(RESULT);
        for (Object field : fields) {
            line.append(' ').append(field);
        }
        System.out.println(line);
    }

    /**
     * Warm-up for {@code warmupMs} (at least 3 calls), and on until the fastest call has not improved by 3 % for
     * half of that and the JVM has been {@linkplain Latency.JitActivity quiet} for a quarter of it (at most 20 ×
     * {@code warmupMs}): a fresh JVM compiles mnv2's kernels while it warms up, which native engines need not,
     * and a small network's calls, slow while interpreted, could stall for half a second with C2 still at work on
     * a kernel they need. Then about {@code measureMs} of calls timed one by one (at least 10, at most 2000). The
     * count comes from the fastest warm-up call, not their average: the first calls run interpreted and would
     * make the average many times too slow.
     */
    static Timing time(Engine engine, long warmupMs, long measureMs) throws Exception {
        Latency.JitActivity jit = Latency.JitActivity.ofThisJvm();
        long start = System.nanoTime();
        long warmupNs = warmupMs * 1_000_000;
        long fastestNs = Long.MAX_VALUE;
        long improved = start;
        for (int calls = 0; ; calls++) {
            long before = System.nanoTime();
            engine.run();
            long now = System.nanoTime();
            if (now - before < fastestNs * 0.97) {
                improved = now;
            }
            fastestNs = Math.min(fastestNs, now - before);
            boolean quiet = jit.quietFor(now, warmupNs / 4);
            boolean settled = now - improved >= warmupNs / 2 && quiet || now - start >= 20 * warmupNs;
            if (calls >= 2 && now - start >= warmupNs && settled) {
                break;
            }
        }
        int iterations = (int) Math.max(10, Math.min(2000, measureMs / (fastestNs / 1e6)));
        Latency.Result r = Latency.measure(engine::run, 0, iterations);
        return new Timing(r.medianMs(), r.p90Ms(), r.samples());
    }

    /** Median of the rounds' medians; NaN when there are none. */
    static double median(List<? extends Measurement> runs) {
        double[] ms = runs.stream().mapToDouble(Measurement::medianMs).sorted().toArray();
        if (ms.length == 0) {
            return Double.NaN;
        }
        return ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
    }

    /** {@code median (min … max)} of the rounds' medians with {@code number} (e.g. "%6.1f"), left-aligned in {@code width}. */
    static String cell(List<? extends Measurement> runs, String number, int width) {
        String text = "-";
        if (!runs.isEmpty()) {
            double min = runs.stream().mapToDouble(Measurement::medianMs).min().orElseThrow();
            double max = runs.stream().mapToDouble(Measurement::medianMs).max().orElseThrow();
            text = String.format(Locale.ROOT, number + " (" + number + " … " + number + ")", median(runs), min, max);
        }
        return String.format(Locale.ROOT, "%-" + width + "s", text);
    }

    /** mnv2's median over the other engine's, or n/a where either did not run. */
    static String ratio(List<? extends Measurement> mine, List<? extends Measurement> other) {
        return mine.isEmpty() || other.isEmpty() ? "     n/a"
                : String.format(Locale.ROOT, "%8.2f", median(mine) / median(other));
    }

    /** The largest measured activation memory over the rounds, 0 if unknown. */
    static long peakBytes(List<? extends Measurement> runs) {
        return runs.stream().mapToLong(Measurement::peakBytes).max().orElse(0);
    }
}
