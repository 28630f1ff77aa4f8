package dev.mnv2.cli;

import dev.mnv2.cli.progress.ChartFiles;
import dev.mnv2.experiment.AblationExperiment;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * Fig. 6 as a PNG: test top-1 against the training step, one line per arm (the mean over seeds) in a band
 * from the lowest to the highest seed, drawn by JFreeChart's deviation renderer.
 */
final class AblationPlot {
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

    private AblationPlot() {}

    static void write(AblationExperiment.Study study, List<AblationExperiment.Run> runs, String title, Path target)
            throws IOException {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (AblationExperiment.Arm arm : study.arms()) {
            List<AblationExperiment.Run> armRuns = runs.stream().filter(r -> r.arm().equals(arm)).toList();
            YIntervalSeries series = new YIntervalSeries(arm.name());
            int points = armRuns.stream().mapToInt(r -> r.curve().size()).min().orElse(0);
            for (int p = 0; p < points; p++) {
                double sum = 0;
                double low = Double.POSITIVE_INFINITY;
                double high = Double.NEGATIVE_INFINITY;
                for (AblationExperiment.Run r : armRuns) {
                    double top1 = 100 * r.curve().get(p).top1();
                    sum += top1;
                    low = Math.min(low, top1);
                    high = Math.max(high, top1);
                }
                series.add(armRuns.get(0).curve().get(p).step(), sum / armRuns.size(), low, high);
            }
            data.addSeries(series);
        }
        DeviationRenderer renderer = new DeviationRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            Color c = COLOURS[i % COLOURS.length];
            renderer.setSeriesPaint(i, c);
            renderer.setSeriesFillPaint(i, c);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        renderer.setAlpha(0.2f);
        NumberAxis steps = new NumberAxis("training step");
        NumberAxis accuracy = new NumberAxis("test top-1 (%)");
        accuracy.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, steps, accuracy, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartFiles.writePng(chart, target, 900, 560);
    }
}
