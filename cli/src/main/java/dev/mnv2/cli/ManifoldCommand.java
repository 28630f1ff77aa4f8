package dev.mnv2.cli;

import dev.mnv2.experiment.ManifoldExperiment;
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

/** {@code mnv2 experiment manifold}: Fig. 1, ReLU on a low-dimensional manifold embedded in n dimensions. */
@Command(name = "manifold", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fig. 1: a 2-D spiral embedded in n dimensions by a random Gaussian T, through ReLU, recovered "
                + "by T's pseudo-inverse; the relative error per n (after the best scale) over seeds.")
final class ManifoldCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dims", paramLabel = "N,N,...", split = ",", defaultValue = "2,3,5,15,30",
            description = "Embedding dimensions, each at least 2. Default: ${DEFAULT-VALUE} (the paper's).")
    List<Integer> dims;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "10",
            description = "Random matrices per dimension. Default: ${DEFAULT-VALUE}.")
    int seeds;

    @Option(names = "--points", paramLabel = "N", defaultValue = "1000",
            description = "Points along the spiral. Default: ${DEFAULT-VALUE}.")
    int points;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--plot", paramLabel = "FILE.png",
            description = "Write the figure: the spiral, then its recovery for each n (the first seed's).")
    Path plot;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Default: ${DEFAULT-VALUE}.")
    TrainingOptions.Format format;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        ManifoldExperiment experiment;
        try {
            experiment = ManifoldExperiment.builder().dimensions(dims).seeds(seeds).points(points).seed(seed).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        if (plot != null) {
            PlotTarget.check(cl, plot);
        }
        ManifoldExperiment.Result result = experiment.run();
        if (plot != null) {
            ManifoldPlot.write(result, plot);
        }
        PrintWriter out = cl.getOut();
        if (format == TrainingOptions.Format.json) {
            List<Object> rows = new ArrayList<>();
            for (ManifoldExperiment.Dimension d : result.dimensions()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("n", d.n());
                row.put("error", d.error());
                row.put("std", d.std());
                row.put("unscaledError", d.unscaledError());
                rows.add(row);
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("dims", rows);
            json.put("seeds", seeds);
            json.put("points", points);
            out.println(Json.write(json));
        } else {
            out.printf(Locale.ROOT, "spiral of %d points, %d random T per n; error = relative RMS of T+ ReLU(T x) "
                    + "against x after the best scale%n", points, seeds);
            TextTable table = new TextTable("n", "error", "std", "unscaled");
            for (ManifoldExperiment.Dimension d : result.dimensions()) {
                table.row(Integer.toString(d.n()), String.format(Locale.ROOT, "%.4f", d.error()),
                        String.format(Locale.ROOT, "%.4f", d.std()), String.format(Locale.ROOT, "%.4f", d.unscaledError()));
            }
            out.print(table.plain());
        }
        if (plot != null && format != TrainingOptions.Format.json) {
            out.println("plot: " + plot);
        }
        return 0;
    }
}
