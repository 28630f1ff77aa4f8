package dev.mnv2.cli;

import dev.mnv2.cli.progress.ChartFiles;
import dev.mnv2.experiment.ManifoldExperiment;
import java.awt.Color;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Fig. 1 as a PNG: the input spiral, then its recovery {@code T⁺·ReLU(T·x)} for each n (the first seed's
 * matrix, at the scale the error takes), side by side on one scale, each point coloured by its place along the
 * spiral so that collapsed arcs show.
 */
final class ManifoldPlot {
    private static final int PANEL_SIZE = 300;
    private static final double RANGE = 1.2;

    private ManifoldPlot() {}

    static void write(ManifoldExperiment.Result result, Path target) throws IOException {
        CombinedRangeXYPlot plot = new CombinedRangeXYPlot(axis(""));
        plot.setGap(12);
        plot.add(panel("input spiral", result.spiral()));
        for (int i = 0; i < result.dimensions().size(); i++) {
            ManifoldExperiment.Dimension d = result.dimensions().get(i);
            plot.add(panel(String.format(Locale.ROOT, "n = %d   error %.3f", d.n(), d.error()),
                    result.firstSeedRecoveries().get(i)));
        }
        JFreeChart chart = new JFreeChart("T⁺·ReLU(T·x): a 2-D spiral through ReLU in n dimensions (paper Fig. 1)",
                JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        ChartFiles.writePng(chart, target, PANEL_SIZE * (1 + result.dimensions().size()), PANEL_SIZE + 70);
    }

    private static XYPlot panel(String label, double[][] points) {
        XYSeries series = new XYSeries(label, false, true);
        for (double[] p : points) {
            series.add(p[0], p[1]);
        }
        int count = points.length;
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true) {
            private static final long serialVersionUID = 1L;

            @Override
            public Paint getItemPaint(int row, int column) {
                return Color.getHSBColor(0.8f * column / Math.max(1, count - 1), 0.9f, 0.85f);
            }
        };
        renderer.setSeriesShape(0, new Ellipse2D.Double(-1.5, -1.5, 3, 3));
        XYPlot plot = new XYPlot(new XYSeriesCollection(series), axis(label), null, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    private static NumberAxis axis(String label) {
        NumberAxis axis = new NumberAxis(label);
        axis.setRange(-RANGE, RANGE);
        return axis;
    }
}
