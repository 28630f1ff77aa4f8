package dev.mnv2.cli;

import dev.mnv2.data.ClassificationMetrics;
import dev.mnv2.interop.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * The confusion matrix as a PNG heat map (JFreeChart's block renderer): true classes down, predicted
 * across, each cell coloured by the share of its row (its class's images) and labelled with its count when
 * there are few enough classes to read it.
 */
final class ConfusionPlot {
    /** Classes up to which every cell carries its count. */
    private static final int LABELLED_CELLS_UP_TO = 20;

    private ConfusionPlot() {}

    static void write(ClassificationMetrics metrics, String title, Path target) throws IOException {
        BufferedImage image = render(metrics, title);
        AtomicFiles.write(target, channel -> ImageIO.write(image, "png", Channels.newOutputStream(channel)));
    }

    static BufferedImage render(ClassificationMetrics metrics, String title) {
        List<String> classes = metrics.classes();
        int n = classes.size();
        long[][] counts = metrics.confusion();
        long[] perClass = metrics.imagesPerClass();
        double[][] xyz = new double[3][n * n];
        for (int t = 0; t < n; t++) {
            for (int p = 0; p < n; p++) {
                int i = t * n + p;
                xyz[0][i] = p;
                xyz[1][i] = t;
                xyz[2][i] = perClass[t] == 0 ? 0 : (double) counts[t][p] / perClass[t];
            }
        }
        DefaultXYZDataset dataset = new DefaultXYZDataset();
        dataset.addSeries("confusion", xyz);

        String[] names = classes.toArray(new String[0]);
        SymbolAxis predicted = new SymbolAxis("predicted class", names);
        predicted.setVerticalTickLabels(true);
        SymbolAxis truth = new SymbolAxis("true class", names);
        truth.setInverted(true); // the first class at the top, as the matrix is read
        XYBlockRenderer renderer = new XYBlockRenderer();
        PaintScale scale = new WhiteToBlue();
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(dataset, predicted, truth, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        if (n <= LABELLED_CELLS_UP_TO) {
            Font font = new Font(Font.SANS_SERIF, Font.PLAIN, n <= 10 ? 12 : 9);
            for (int t = 0; t < n; t++) {
                for (int p = 0; p < n; p++) {
                    XYTextAnnotation cell = new XYTextAnnotation(Long.toString(counts[t][p]), p, t);
                    cell.setFont(font);
                    cell.setPaint(xyz[2][t * n + p] > 0.5 ? Color.WHITE : Color.BLACK);
                    plot.addAnnotation(cell);
                }
            }
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        NumberAxis shareAxis = new NumberAxis("share of the true class");
        shareAxis.setRange(0, 1);
        PaintScaleLegend legend = new PaintScaleLegend(scale, shareAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        chart.addSubtitle(legend);
        int side = Math.max(600, Math.min(2400, 300 + 40 * n));
        return chart.createBufferedImage(side + 120, side);
    }

    /** Share 0 white, 1 dark blue. */
    private static final class WhiteToBlue implements PaintScale {
        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            double v = Math.max(0, Math.min(1, value));
            return new Color((int) Math.round(255 - 247 * v), (int) Math.round(255 - 207 * v),
                    (int) Math.round(255 - 148 * v));
        }
    }

    static String title(String model, Path data, ClassificationMetrics metrics) {
        String modelName = Path.of(model).getFileName().toString();
        Path folder = data.toAbsolutePath().normalize();
        String dataName = folder.getFileName() == null ? folder.toString() : folder.getFileName().toString();
        return String.format(Locale.ROOT, "%s on %s: top-1 %.2f %% (%d images)", modelName, dataName,
                100 * metrics.top1(), metrics.images());
    }
}
