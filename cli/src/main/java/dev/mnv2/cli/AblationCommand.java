package dev.mnv2.cli;

import dev.mnv2.data.ImageFolder;
import dev.mnv2.experiment.AblationExperiment;
import dev.mnv2.util.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mnv2 experiment ablation}: Fig. 6, the linear bottleneck and the shortcut's placement, on CIFAR-10. */
@Command(name = "ablation", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fig. 6: train the CIFAR variant on CIFAR-10 in each arm of a study with one recipe, budget and "
                + "seeds (linear vs ReLU6 bottleneck; shortcut between bottlenecks, expansions or none); curves, final "
                + "top-1 mean and deviation, Welch's t-test against the paper's design.")
final class AblationCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--study", paramLabel = "bottleneck|shortcut", required = true, description = "Fig. 6a or 6b.")
    String study;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Training folder (DIR/<class>/*.jpg). Default: $MNV2_DATA/datasets/cifar10/train.")
    Path data;

    @Option(names = "--val", paramLabel = "DIR",
            description = "Test folder, the same classes. Default: $MNV2_DATA/datasets/cifar10/test.")
    Path val;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "3",
            description = "Seeds per arm (the t-test needs 2). Default: ${DEFAULT-VALUE}.")
    int seeds;

    @Option(names = "--epochs", paramLabel = "E", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--width", paramLabel = "ALPHA", defaultValue = "0.5", description = "Default: ${DEFAULT-VALUE}.")
    double width;

    @Option(names = "--limit-per-class", paramLabel = "N",
            description = "Train on N images of each class (the same ones in every arm).")
    Integer limitPerClass;

    @Option(names = "--test-limit-per-class", paramLabel = "N",
            description = "Evaluate on N test images of each class (for quick runs). Default: all.")
    Integer testLimitPerClass;

    @Option(names = "--evaluations", paramLabel = "N", defaultValue = "10",
            description = "Test evaluations per run, evenly spaced, the last at the end. Default: ${DEFAULT-VALUE}.")
    int evaluations;

    @Option(names = "--threads", paramLabel = "N", description = "Default: all cores.")
    Integer threads;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Write the curves (mean and range per arm).")
    Path plot;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Default: ${DEFAULT-VALUE}.")
    TrainingOptions.Format format;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        AblationExperiment.Study which;
        try {
            which = AblationExperiment.Study.parse(study);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--" + e.getMessage());
        }
        if (plot != null) {
            PlotTarget.check(cl, plot);
        }
        Path trainDir = data != null ? data : defaultFolder(cl, "--data", "train");
        Path testDir = val != null ? val : defaultFolder(cl, "--val", "test");
        ImageFolder train = ImageFolder.open(trainDir);
        ImageFolder test = ImageFolder.open(testDir);
        AblationExperiment experiment;
        try {
            if (limitPerClass != null) {
                train = train.limitPerClass(limitPerClass, 0);
            }
            if (testLimitPerClass != null) {
                test = test.limitPerClass(testLimitPerClass, 0);
            }
            AblationExperiment.Builder b = AblationExperiment.builder(which, train, test).seeds(seeds).epochs(epochs)
                    .width(width).evaluations(evaluations);
            if (threads != null) {
                b.threads(threads);
            }
            experiment = b.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        PrintWriter err = cl.getErr();
        long start = System.nanoTime();
        List<AblationExperiment.Run> runs = experiment.run(line -> {
            err.println(line);
            err.flush();
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        AblationStatistics stats = new AblationStatistics(which, runs);
        String title = String.format(Locale.ROOT, "Fig. 6%s on CIFAR-10: %s, α %s, %d epochs, %d seeds",
                which == AblationExperiment.Study.BOTTLENECK ? "a" : "b", which.name().toLowerCase(Locale.ROOT),
                width, epochs, seeds);
        if (plot != null) {
            AblationPlot.write(which, runs, title, plot);
        }
        PrintWriter out = cl.getOut();
        if (format == TrainingOptions.Format.json) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("study", which.name().toLowerCase(Locale.ROOT));
            json.put("epochs", epochs);
            json.put("width", width);
            json.put("trainImages", train.size());
            json.put("testImages", test.size());
            json.putAll(stats.toJson());
            List<Object> curves = new ArrayList<>();
            for (AblationExperiment.Run r : runs) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("arm", r.arm().name());
                row.put("seed", r.seed());
                List<Object> points = new ArrayList<>();
                for (AblationExperiment.Point p : r.curve()) {
                    points.add(List.of(p.step(), p.top1()));
                }
                row.put("curve", points);
                row.put("seconds", r.seconds());
                curves.add(row);
            }
            json.put("runs", curves);
            json.put("seconds", seconds);
            out.println(Json.write(json));
        } else {
            out.println(title + String.format(Locale.ROOT, " (%d training, %d test images, %.0f s)", train.size(),
                    test.size(), seconds));
            TextTable table = new TextTable("arm", "final top-1 per seed (%)", "mean (%)", "std");
            for (AblationStatistics.ArmSummary a : stats.arms) {
                StringBuilder finals = new StringBuilder();
                for (double f : a.finals()) {
                    finals.append(finals.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", 100 * f));
                }
                table.row(a.name(), finals, String.format(Locale.ROOT, "%.2f", 100 * a.mean()),
                        String.format(Locale.ROOT, "%.2f", 100 * a.std()));
            }
            out.print(table.plain());
            for (AblationStatistics.Comparison c : stats.comparisons) {
                out.println(Double.isNaN(c.pValue())
                        ? String.format(Locale.ROOT, "%s - %s: %+.2f points (one seed: no test)", c.arm(), c.reference(),
                                100 * c.difference())
                        : String.format(Locale.ROOT, "%s - %s: %+.2f points, 95 %% CI [%+.2f, %+.2f], Welch p = %.3g: %s",
                                c.arm(), c.reference(), 100 * c.difference(), 100 * c.low(), 100 * c.high(), c.pValue(),
                                c.significant() ? "a real difference at this budget" : "not distinguishable at this budget"));
            }
            out.println("the paper's ordering (" + String.join(" > ", which.arms().stream().map(AblationExperiment.Arm::name)
                    .toList()) + ") " + (stats.paperOrderHolds() ? "holds" : "does not hold") + " in the means");
        }
        return 0;
    }

    private static Path defaultFolder(CommandLine cl, String option, String split) {
        String root = System.getenv("MNV2_DATA");
        if (root == null || root.isBlank()) {
            throw new CommandLine.ParameterException(cl, option + " is needed (or set MNV2_DATA to the folder that holds "
                    + "datasets/cifar10/" + split + ")");
        }
        return Path.of(root, "datasets", "cifar10", split);
    }
}
