package dev.mnv2.cli;

import dev.mnv2.cli.progress.ChartFiles;
import dev.mnv2.experiment.TradeoffExperiment;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The Fig. 5-style trade-off as a PNG: published ImageNet top-1 against MACs (left) and against the latency
 * measured here (right), one line per width multiplier through its resolutions, each width one colour in both.
 */
final class TradeoffPlot {
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b)};

    private TradeoffPlot() {}

    static void write(List<TradeoffExperiment.Point> points, String latencyLabel, Path target) throws IOException {
        NumberAxis top1 = new NumberAxis("published ImageNet top-1 (%)");
        top1.setAutoRangeIncludesZero(false);
        CombinedRangeXYPlot plot = new CombinedRangeXYPlot(top1);
        plot.setGap(16);
        plot.add(panel(points, p -> p.macs() / 1e6, "MACs (millions, mnv2's count)", true));
        plot.add(panel(points, TradeoffExperiment.Point::medianMs, latencyLabel, false));
        JFreeChart chart = new JFreeChart("MobileNetV2 width × resolution: accuracy against cost (paper Fig. 5 style)",
                JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartFiles.writePng(chart, target, 1200, 560);
    }

    private static XYPlot panel(List<TradeoffExperiment.Point> points, ToDoubleFunction<TradeoffExperiment.Point> x,
                                String label, boolean inLegend) {
        Map<Double, XYSeries> byWidth = new TreeMap<>();
        for (TradeoffExperiment.Point p : points) {
            byWidth.computeIfAbsent(p.published().width(), w -> new XYSeries("width " + w, true, true))
                    .add(x.applyAsDouble(p), p.published().top1());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        byWidth.values().forEach(data::addSeries);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(1.5f));
            renderer.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
        }
        renderer.setDefaultSeriesVisibleInLegend(inLegend);
        NumberAxis axis = new NumberAxis(label);
        XYPlot plot = new XYPlot(data, axis, null, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
