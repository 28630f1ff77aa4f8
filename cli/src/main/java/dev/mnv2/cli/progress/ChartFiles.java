package dev.mnv2.cli.progress;

import dev.mnv2.interop.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;

/**
 * Writes a JFreeChart as a PNG file atomically (temporary file, fsync, rename), so a run killed while drawing
 * never leaves a truncated image under the name. Any chart of the tool can use it (curves, heat maps).
 */
public final class ChartFiles {
    private ChartFiles() {}

    /**
     * Makes AWT headless unless the user chose otherwise: charts are drawn into images, never shown, so no
     * display is needed, or wanted on a server or CI machine. Call before building a chart.
     */
    public static void useHeadlessAwt() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Draws {@code chart} at {@code width} × {@code height} pixels into {@code target}. */
    public static void writePng(JFreeChart chart, Path target, int width, int height) throws TrainingReportException {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("chart size must be positive, got " + width + "x" + height);
        }
        useHeadlessAwt();
        BufferedImage image = chart.createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null);
        try {
            AtomicFiles.write(target, channel -> ImageIO.write(image, "png", Channels.newOutputStream(channel)));
        } catch (IOException e) {
            throw new TrainingReportException("cannot write chart " + target + ": " + MetricsCsv.reason(e), e);
        }
    }
}
