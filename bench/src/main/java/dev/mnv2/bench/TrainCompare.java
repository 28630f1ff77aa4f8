package dev.mnv2.bench;

import dev.mnv2.model.Network;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Training-step time of mnv2 and PyTorch on the same network, batch and threads, each engine in a JVM of its own,
 * in interleaved rounds (the engine order alternates from round to round), reporting the median over rounds of
 * each round's median step. Runs {@link TrainReferee} first (the referee's self-checks, later the gradient
 * comparison itself) in a JVM of its own too. Last line: {@code mnv2/pytorch-train=X grad-rel-diff=Y} for α 1.0/224,
 * batch 16, 2 threads ({@code n/a} while mnv2 has no trainer).
 *
 * <p>Options: {@code --rounds N} (3), {@code --steps N} timed steps per JVM (5, after 3 warm-up steps),
 * {@code --quick} (α 1.0/224 batch 16 at 2 threads only, one round, the referee's quick mode),
 * {@code --no-referee}.
 */
public final class TrainCompare {
    private static final Pattern RESULT = Pattern.compile("^result engine=(\\S+) median_ms=(\\S+) .*forward_mb=(\\S+) "
            + "rss_growth_mb=(\\S+)$");

    private record Case(TrainingCase training, int threads) {
        boolean headline() {
            return training.width() == 1.0 && training.resolution() == 224 && !training.cifar()
                    && training.batch() == 16 && threads == 2;
        }
    }

    /** What one child JVM measured. */
    private record Sample(double medianMs, double forwardMb, double rssGrowthMb) {}

    private int rounds = 3;
    private int steps = 5;
    private boolean quick;
    private boolean referee = true;
    private boolean mnv2Available = Mnv2Training.available();

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
        if (!mnv2Available) {
            System.out.println(Mnv2Training.UNAVAILABLE);
        }
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
                Matcher m = Pattern.compile("grad-rel-diff=(\\S+)").matcher(line);
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
        Map<Case, List<Sample>> torch = new LinkedHashMap<>();
        Map<Case, List<Sample>> mnv2 = new LinkedHashMap<>();
        for (int round = 0; round < roundCount; round++) {
            for (Case c : cases) {
                List<String> order = round % 2 == 0 ? List.of("pytorch", "mnv2") : List.of("mnv2", "pytorch");
                for (String engine : order) {
                    if (engine.equals("mnv2") && !mnv2Available) {
                        continue;
                    }
                    Sample s = time(engine, c);
                    if (s == null) {
                        continue;
                    }
                    (engine.equals("pytorch") ? torch : mnv2).computeIfAbsent(c, k -> new ArrayList<>()).add(s);
                    System.out.printf(Locale.ROOT, "round %d %-7s %s, %d threads: %.1f ms/step%n", round + 1, engine,
                            c.training().label(), c.threads(), s.medianMs());
                }
            }
        }
        String headline = table(cases, torch, mnv2);
        System.out.println();
        System.out.println("mnv2/pytorch-train=" + headline + " grad-rel-diff=" + gradientDifference);
        return status;
    }

    /** Prints the summary table; returns the headline ratio ("n/a" without mnv2 timings). */
    private String table(List<Case> cases, Map<Case, List<Sample>> torch, Map<Case, List<Sample>> mnv2) {
        System.out.println();
        System.out.println("Median over rounds of each JVM's median step (forward, loss, backward, SGD-momentum update); "
                + "images/s = batch / step; GFLOP/s = 2 x training MACs (forward, weight and input gradients) / step; "
                + "activation MB = the forward's tensors autograd holds for the backward; RSS MB = the process's peak "
                + "resident growth over the steps.");
        System.out.println();
        System.out.println("| case | threads | PyTorch ms/step | img/s | GFLOP/s | activation MB | RSS MB | mnv2 ms/step "
                + "| img/s | GFLOP/s | mnv2/PyTorch |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        String headline = "n/a";
        for (Case c : cases) {
            Network network = c.training().network(TrainReferee.SEED);
            double gflop = 2.0 * TrainingCase.trainingMacs(network) * c.training().batch() / 1e9;
            double torchMs = median(torch.get(c), Sample::medianMs);
            double mnv2Ms = median(mnv2.get(c), Sample::medianMs);
            String ratio = Double.isNaN(mnv2Ms) || Double.isNaN(torchMs) ? "n/a"
                    : String.format(Locale.ROOT, "%.2f", mnv2Ms / torchMs);
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    c.training().label(), c.threads(), number(torchMs, "%.0f"),
                    number(c.training().batch() * 1000 / torchMs, "%.1f"), number(gflop / torchMs * 1000, "%.1f"),
                    number(median(torch.get(c), Sample::forwardMb), "%.0f"),
                    number(median(torch.get(c), Sample::rssGrowthMb), "%.0f"), number(mnv2Ms, "%.0f"),
                    number(c.training().batch() * 1000 / mnv2Ms, "%.1f"), number(gflop / mnv2Ms * 1000, "%.1f"), ratio);
            if (c.headline()) {
                headline = ratio;
            }
        }
        return headline;
    }

    private Sample time(String engine, Case c) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        int exit = child(TrainStepTimer.class, List.of("--engine", engine, "--case", c.training().arguments(),
                "--threads", Integer.toString(c.threads()), "--steps", Integer.toString(steps)), lines, false);
        if (exit == TrainStepTimer.UNAVAILABLE_EXIT) {
            mnv2Available = false;
            return null;
        }
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
