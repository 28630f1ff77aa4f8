package dev.mnv2.bench;

import dev.mnv2.model.Network;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Training-step time of mnv2 and PyTorch on the same network, batch and threads, each engine in a JVM of its own,
 * in interleaved rounds (the engine order alternates from round to round), reporting the median over rounds of
 * each round's median step. Runs {@link TrainReferee} first (its self-checks, then mnv2's gradients against
 * PyTorch's) in a JVM of its own too. mnv2 is timed in both memory modes for
 * the α 1.0/224 cases. Last line: {@code mnv2/pytorch-train=X grad-rel-diff=Y} for α 1.0/224, batch 16, 2
 * threads: X = mnv2's step / PyTorch's, Y = the referee's largest per-tensor gradient difference of that case
 * ({@code n/a} where the referee did not run).
 *
 * <p>Options: {@code --rounds N} (3), {@code --steps N} timed steps per JVM (5, after 3 warm-up steps),
 * {@code --quick} (α 1.0/224 batch 16 at 2 threads only, one round, the referee's quick mode),
 * {@code --no-referee}.
 */
public final class TrainCompare {
    private static final Pattern RESULT = Pattern.compile("^result engine=(\\S+) median_ms=(\\S+) .*forward_mb=(\\S+) "
            + "rss_growth_mb=(\\S+)$");
    /** The referee's line for the headline case: its largest per-tensor gradient difference from PyTorch float32. */
    private static final Pattern HEADLINE_DIFFERENCE = Pattern.compile("^headline grad-rel-diff=(\\S+)");
    /** mnv2 in its memory-efficient mode, timed beside the others for the α 1.0/224 cases. */
    private static final String RECOMPUTE = "mnv2-recompute";

    private record Case(TrainingCase training, int threads) {
        boolean headline() {
            return recomputeTimed() && training.batch() == 16 && threads == 2;
        }

        /** The issue asks for activation memory and step time both ways at α 1.0/224. */
        boolean recomputeTimed() {
            return training.width() == 1.0 && training.resolution() == 224 && !training.cifar();
        }
    }

    /** What one child JVM measured. */
    private record Sample(double medianMs, double forwardMb, double rssGrowthMb) {}

    private int rounds = 3;
    private int steps = 5;
    private boolean quick;
    private boolean referee = true;

    public static void main(String[] args) throws Exception {
        TrainCompare compare = new TrainCompare();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> compare.rounds = Integer.parseInt(args[++i]);
                case "--steps" -> compare.steps = Integer.parseInt(args[++i]);
                case "--quick" -> compare.quick = true;
                case "--no-referee" -> compare.referee = false;
                default -> {
                    System.err.println("train-compare: unknown option " + args[i]
                            + " (options: --rounds N, --steps N, --quick, --no-referee)");
                    System.exit(2);
                }
            }
        }
        System.exit(compare.run());
    }

    private int run() throws Exception {
        Djl.requireOffline("train-compare");
        System.out.printf(Locale.ROOT, "machine: %s, ISA %s, %d cores available, %.3f GHz (/proc/cpuinfo), java %s, "
                        + "load average %s%n", Machine.cpuModel(), Machine.isa(),
                Runtime.getRuntime().availableProcessors(), Machine.clockGhz(), System.getProperty("java.version"),
                Machine.loadAverage());
        int status = 0;
        String gradientDifference = "n/a";
        if (referee) {
            List<String> lines = new ArrayList<>();
            int exit = child(TrainReferee.class, quick ? List.of("--quick") : List.of(), lines, true);
            if (exit != 0) {
                System.out.println("train-compare: the referee's self-checks failed (exit " + exit + ")");
                status = 1;
            }
            for (String line : lines) {
                Matcher m = HEADLINE_DIFFERENCE.matcher(line);
                if (m.find()) {
                    gradientDifference = m.group(1);
                }
            }
        }
        List<Case> cases = new ArrayList<>();
        List<TrainingCase> trainings = List.of(TrainingCase.imagenet(1.0, 224, 16), TrainingCase.cifar10(0.5, 128));
        for (TrainingCase t : quick ? trainings.subList(0, 1) : trainings) {
            for (int threads : quick ? new int[] {2} : new int[] {1, 2}) {
                cases.add(new Case(t, threads));
            }
        }
        int roundCount = quick ? 1 : rounds;
        Map<String, Map<Case, List<Sample>>> samples = new LinkedHashMap<>();
        for (int round = 0; round < roundCount; round++) {
            System.out.println("round " + (round + 1) + " starts, load average " + Machine.loadAverage());
            for (Case c : cases) {
                List<String> order = new ArrayList<>(List.of("pytorch", "mnv2"));
                if (c.recomputeTimed()) {
                    order.add(RECOMPUTE);
                }
                if (round % 2 == 1) {
                    Collections.reverse(order);
                }
                for (String engine : order) {
                    Sample s = time(engine, c);
                    samples.computeIfAbsent(engine, k -> new LinkedHashMap<>()).computeIfAbsent(c, k -> new ArrayList<>())
                            .add(s);
                    System.out.printf(Locale.ROOT, "round %d %-14s %s, %d threads: %.1f ms/step%n", round + 1, engine,
                            c.training().label(), c.threads(), s.medianMs());
                }
            }
        }
        String headline = table(cases, samples);
        System.out.println("load average at the end " + Machine.loadAverage());
        System.out.println();
        System.out.println("mnv2/pytorch-train=" + headline + " grad-rel-diff=" + gradientDifference);
        return status;
    }

    /** Prints the summary tables; returns the headline ratio. */
    private String table(List<Case> cases, Map<String, Map<Case, List<Sample>>> samples) {
        Map<Case, List<Sample>> torch = samples.getOrDefault("pytorch", Map.of());
        Map<Case, List<Sample>> mnv2 = samples.getOrDefault("mnv2", Map.of());
        Map<Case, List<Sample>> recompute = samples.getOrDefault(RECOMPUTE, Map.of());
        System.out.println();
        System.out.println("Median over rounds of each JVM's median step (forward, loss, backward, SGD-momentum update); "
                + "images/s = batch / step; GFLOP/s = 2 x training MACs (forward, weight and input gradients) / step; "
                + "activation MB = for PyTorch the forward's tensors autograd holds for the backward, for mnv2 the bytes "
                + "its plan's activation buffers were seen to hold (keep-all mode); RSS MB = the process's peak resident "
                + "growth over the steps.");
        System.out.println();
        System.out.println("| case | threads | PyTorch ms/step | img/s | GFLOP/s | activation MB | RSS MB | mnv2 ms/step "
                + "| img/s | GFLOP/s | activation MB | RSS MB | mnv2/PyTorch |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        String headline = "n/a";
        for (Case c : cases) {
            Network network = c.training().network(TrainReferee.SEED);
            double gflop = 2.0 * TrainingCase.trainingMacs(network) * c.training().batch() / 1e9;
            double torchMs = median(torch.get(c), Sample::medianMs);
            double mnv2Ms = median(mnv2.get(c), Sample::medianMs);
            String ratio = Double.isNaN(mnv2Ms) || Double.isNaN(torchMs) ? "n/a"
                    : String.format(Locale.ROOT, "%.2f", mnv2Ms / torchMs);
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    c.training().label(), c.threads(), number(torchMs, "%.0f"),
                    number(c.training().batch() * 1000 / torchMs, "%.1f"), number(gflop / torchMs * 1000, "%.1f"),
                    number(median(torch.get(c), Sample::forwardMb), "%.0f"),
                    number(median(torch.get(c), Sample::rssGrowthMb), "%.0f"), number(mnv2Ms, "%.0f"),
                    number(c.training().batch() * 1000 / mnv2Ms, "%.1f"), number(gflop / mnv2Ms * 1000, "%.1f"),
                    number(median(mnv2.get(c), Sample::forwardMb), "%.0f"),
                    number(median(mnv2.get(c), Sample::rssGrowthMb), "%.0f"), ratio);
            if (c.headline()) {
                headline = ratio;
            }
        }
        System.out.println();
        System.out.println("mnv2's memory-efficient training (--recompute: only the tensors between blocks kept, each "
                + "block's expansion and depthwise tensors recomputed in the backward), same medians:");
        System.out.println();
        System.out.println("| case | threads | keep-all ms/step | activation MB | recompute ms/step | activation MB "
                + "| RSS MB | recompute / keep-all memory | step-time overhead |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (Case c : cases) {
            if (!c.recomputeTimed()) {
                continue;
            }
            double keepMs = median(mnv2.get(c), Sample::medianMs);
            double keepMb = median(mnv2.get(c), Sample::forwardMb);
            double lowMs = median(recompute.get(c), Sample::medianMs);
            double lowMb = median(recompute.get(c), Sample::forwardMb);
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |%n", c.training().label(),
                    c.threads(), number(keepMs, "%.0f"), number(keepMb, "%.0f"), number(lowMs, "%.0f"),
                    number(lowMb, "%.0f"), number(median(recompute.get(c), Sample::rssGrowthMb), "%.0f"),
                    number(100 * lowMb / keepMb, "%.1f %%"), number(100 * (lowMs / keepMs - 1), "%+.1f %%"));
        }
        return headline;
    }

    private Sample time(String engine, Case c) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("--engine", engine.equals(RECOMPUTE) ? "mnv2" : engine, "--case",
                c.training().arguments(), "--threads", Integer.toString(c.threads()), "--steps",
                Integer.toString(steps)));
        if (engine.equals(RECOMPUTE)) {
            args.add("--recompute");
        }
        int exit = child(TrainStepTimer.class, args, lines, false);
        for (String line : lines) {
            Matcher m = RESULT.matcher(line);
            if (m.matches() && m.group(1).equals(engine)) {
                return new Sample(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                        Double.parseDouble(m.group(4)));
            }
        }
        throw new IOException(engine + " for " + c.training().label() + " printed no result (exit " + exit + "): "
                + String.join(" | ", lines));
    }

    /** Runs {@code main} in a JVM of its own, collecting its standard output (echoed if {@code echo}). */
    private static int child(Class<?> main, List<String> args, List<String> lines, boolean echo)
            throws IOException, InterruptedException {
        return ChildJvm.run(main, args, line -> {
            lines.add(line);
            if (echo) {
                System.out.println(line);
            }
        });
    }

    private static double median(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> field) {
        if (samples == null || samples.isEmpty()) {
            return Double.NaN;
        }
        double[] v = samples.stream().mapToDouble(field).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String number(double value, String format) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }
}
