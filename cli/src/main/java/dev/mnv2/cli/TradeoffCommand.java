package dev.mnv2.cli;

import dev.mnv2.experiment.PublishedVariants;
import dev.mnv2.experiment.TradeoffExperiment;
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

/** {@code mnv2 experiment tradeoff}: published top-1 of the 22 variants against MACs and measured latency. */
@Command(name = "tradeoff", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fig. 5 style: the reference implementation's 22 width x resolution variants, their published "
                + "ImageNet top-1 against mnv2's MAC count and the batch-1 latency measured here.")
final class TradeoffCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--variants", paramLabel = "W/R,...", split = ",",
            description = "Only these variants of the table, e.g. 1.0/224,0.35/96. Default: all 22.")
    List<String> variants;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "5",
            description = "Untimed runs per variant. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "15",
            description = "Timed runs per variant (the median is reported). Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Write top-1 against MACs and latency.")
    Path plot;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Default: ${DEFAULT-VALUE}.")
    TrainingOptions.Format format;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        TradeoffExperiment experiment;
        try {
            TradeoffExperiment.Builder b = TradeoffExperiment.builder().threads(threads).warmup(warmup).runs(runs);
            if (variants != null) {
                b.variants(select(variants));
            }
            experiment = b.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        if (plot != null) {
            PlotTarget.check(cl, plot);
        }
        PrintWriter err = cl.getErr();
        List<TradeoffExperiment.Point> points = experiment.run(line -> {
            err.println(line);
            err.flush();
        });
        String latency = String.format(Locale.ROOT, "mnv2 batch-1 latency (ms, %d thread%s, median of %d)", threads,
                threads == 1 ? "" : "s", runs);
        if (plot != null) {
            TradeoffPlot.write(points, latency, plot);
        }
        PrintWriter out = cl.getOut();
        if (format == TrainingOptions.Format.json) {
            List<Object> rows = new ArrayList<>();
            for (TradeoffExperiment.Point p : points) {
                PublishedVariants.Variant v = p.published();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("width", v.width());
                row.put("resolution", v.resolution());
                row.put("publishedTop1", v.top1());
                row.put("publishedMacsMillions", v.macsMillions());
                row.put("macs", p.macs());
                row.put("publishedParametersMillions", v.parametersMillions());
                row.put("parameters", p.parameters());
                row.put("medianMs", p.medianMs());
                row.put("publishedPixel1Ms", v.pixel1Ms());
                rows.add(row);
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("threads", threads);
            json.put("runs", runs);
            json.put("variants", rows);
            out.println(Json.write(json));
        } else {
            TextTable table = new TextTable("variant", "top-1 (published)", "MACs M (published)", "MACs M (mnv2)",
                    "params M (published)", "params M (mnv2)", "latency ms (mnv2)", "Pixel 1 ms (published)");
            for (TradeoffExperiment.Point p : points) {
                PublishedVariants.Variant v = p.published();
                table.row(v.name(), String.format(Locale.ROOT, "%.1f", v.top1()), v.macsMillions(),
                        String.format(Locale.ROOT, "%.1f", p.macs() / 1e6),
                        String.format(Locale.ROOT, "%.2f", v.parametersMillions()),
                        String.format(Locale.ROOT, "%.3f", p.parameters() / 1e6),
                        String.format(Locale.ROOT, "%.2f", p.medianMs()), String.format(Locale.ROOT, "%.1f", v.pixel1Ms()));
            }
            out.print(table.plain());
            out.println(latency);
        }
        return 0;
    }

    private static List<PublishedVariants.Variant> select(List<String> names) {
        List<PublishedVariants.Variant> chosen = new ArrayList<>();
        for (String name : names) {
            String[] parts = name.strip().split("/");
            PublishedVariants.Variant found = null;
            if (parts.length == 2) {
                try {
                    double width = Double.parseDouble(parts[0]);
                    int resolution = Integer.parseInt(parts[1]);
                    for (PublishedVariants.Variant v : PublishedVariants.ALL) {
                        if (v.width() == width && v.resolution() == resolution) {
                            found = v;
                        }
                    }
                } catch (NumberFormatException e) {
                    found = null;
                }
            }
            if (found == null) {
                throw new IllegalArgumentException("--variants: '" + name + "' is not one of the table's WIDTH/RESOLUTION"
                        + " pairs (widths 1.4, 1.3 at 224; 1.0, 0.75, 0.5, 0.35 at 224, 192, 160, 128, 96)");
            }
            chosen.add(found);
        }
        return chosen;
    }
}
