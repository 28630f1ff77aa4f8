package dev.mnv2.cli.progress;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The training curves of a run as one PNG: loss per epoch above (train, and validation when measured),
 * accuracy per epoch below (train top-1, validation top-1), sharing the epoch axis. Drawn again after every
 * epoch from all rows so far ({@link MetricsCsv#rows()} on a resumed run), so the file always shows the
 * whole run.
 */
public final class TrainingCurves {
    public static final int DEFAULT_WIDTH = 900;
    public static final int DEFAULT_HEIGHT = 700;
    /** Train in blue, validation in orange, in both panels. */
    static final Color TRAIN = new Color(0x1f77b4);
    static final Color VALIDATION = new Color(0xff7f0e);

    private TrainingCurves() {}

    /** Writes the curves of {@code rows} to {@code png} at the default size. */
    public static void write(Path png, String title, List<EpochMetrics> rows) throws TrainingReportException {
        write(png, title, rows, DEFAULT_WIDTH, DEFAULT_HEIGHT);
    }

    public static void write(Path png, String title, List<EpochMetrics> rows, int width, int height)
            throws TrainingReportException {
        ChartFiles.writePng(chart(title, rows), png, width, height);
    }

    /** The chart itself, for callers that draw it elsewhere. */
    public static JFreeChart chart(String title, List<EpochMetrics> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no epochs to draw");
        }
        ChartFiles.useHeadlessAwt();
        NumberAxis epochAxis = new NumberAxis("epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochAxis.setAutoRangeIncludesZero(false);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochAxis);
        plot.setGap(12);
        plot.add(panel("loss", series("train loss", rows, EpochMetrics::trainLoss, 1),
                series("validation loss", rows, EpochMetrics::valLoss, 1)), 1);
        plot.add(panel("accuracy (%)", series("train top-1", rows, EpochMetrics::trainTop1, 100),
                series("validation top-1", rows, EpochMetrics::valTop1, 100)), 1);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static XYPlot panel(String label, XYSeries train, XYSeries validation) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        addSeries(data, renderer, train, TRAIN);
        addSeries(data, renderer, validation, VALIDATION);
        NumberAxis valueAxis = new NumberAxis(label);
        valueAxis.setAutoRangeIncludesZero(false);
        XYPlot panel = new XYPlot(data, null, valueAxis, renderer);
        panel.setBackgroundPaint(Color.WHITE);
        panel.setDomainGridlinePaint(Color.LIGHT_GRAY);
        panel.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return panel;
    }

    private static void addSeries(XYSeriesCollection data, XYLineAndShapeRenderer renderer, XYSeries series,
            Paint paint) {
        if (series.isEmpty()) {
            return; // not measured (no validation): no empty legend entry
        }
        int index = data.getSeriesCount();
        data.addSeries(series);
        renderer.setSeriesPaint(index, paint);
        renderer.setSeriesStroke(index, new BasicStroke(2f));
    }

    private static XYSeries series(String name, List<EpochMetrics> rows, ToDoubleFunction<EpochMetrics> value,
            double scale) {
        XYSeries series = new XYSeries(name, true, false);
        for (EpochMetrics row : rows) {
            double v = value.applyAsDouble(row);
            if (Double.isFinite(v)) {
                series.add(row.epoch(), v * scale);
            }
        }
        return series;
    }
}
