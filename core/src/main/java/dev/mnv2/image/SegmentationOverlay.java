package dev.mnv2.image;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A photo with its segmentation painted on: every pixel not of class 0 (background in PASCAL VOC and
 * DeepLab's other datasets) blended half and half with its class's {@link PascalVoc#color VOC colour}, and
 * below the photo a legend strip, a colour swatch and the label and share of each class present.
 *
 * <pre>{@code
 * BufferedImage overlay = SegmentationOverlay.render(photo, segmenter.segment(photo));
 * ImageIO.write(overlay, "png", file);
 * }</pre>
 */
public final class SegmentationOverlay {
    /** Weight of the class colour in a painted pixel; the photo keeps the rest. */
    public static final double OPACITY = 0.5;

    private SegmentationOverlay() {}

    /** {@code photo} (the size of {@code map}) painted with {@code map}, with the legend below it. */
    public static BufferedImage render(BufferedImage photo, SegmentationMap map) {
        int width = photo.getWidth();
        int height = photo.getHeight();
        if (width != map.width() || height != map.height()) {
            throw new IllegalArgumentException("the photo is " + width + "x" + height + " but the map "
                    + map.width() + "x" + map.height());
        }
        Legend legend = Legend.layOut(map, width);
        BufferedImage out = new BufferedImage(width, height + legend.height(), BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            photo.getRGB(0, y, width, 1, row, 0, width);
            for (int x = 0; x < width; x++) {
                int c = map.at(y, x);
                if (c != 0) {
                    row[x] = blend(row[x], PascalVoc.color(c));
                }
            }
            out.setRGB(0, y, width, 1, row, 0, width);
        }
        legend.draw(out, height);
        return out;
    }

    private static int blend(int photo, int color) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int p = (photo >> shift) & 0xFF;
            int c = (color >> shift) & 0xFF;
            out |= (int) Math.round(p + OPACITY * (c - p)) << shift;
        }
        return out;
    }

    /** The legend's entries placed in rows across the photo's width; text scales with the photo. */
    private record Legend(Font font, int pad, int swatch, int lineHeight, List<Entry> entries, int height) {
        record Entry(int x, int line, int color, String text) {}

        static Legend layOut(SegmentationMap map, int width) {
            int size = Math.max(12, Math.min(72, Math.round(width / 32f)));
            Font font = new Font(Font.SANS_SERIF, Font.PLAIN, size);
            FontMetrics metrics = metrics(font);
            int pad = Math.max(4, size / 2);
            int swatch = metrics.getAscent();
            int lineHeight = metrics.getHeight() + pad / 2;
            List<Entry> entries = new ArrayList<>();
            List<SegmentationMap.ClassArea> painted = map.present().stream().filter(a -> a.index() != 0).toList();
            int x = pad;
            int line = 0;
            if (painted.isEmpty()) {
                entries.add(new Entry(x, 0, -1, "only " + map.labels().get(0)));
            }
            for (SegmentationMap.ClassArea area : painted) {
                String text = String.format(Locale.ROOT, "%s %.1f %%", area.label(), 100 * area.fraction());
                int entryWidth = swatch + pad / 2 + metrics.stringWidth(text);
                if (x > pad && x + entryWidth > width - pad) {
                    x = pad;
                    line++;
                }
                entries.add(new Entry(x, line, PascalVoc.color(area.index()), text));
                x += entryWidth + 2 * pad;
            }
            return new Legend(font, pad, swatch, lineHeight, entries, 2 * pad + (line + 1) * lineHeight - pad / 2);
        }

        private static FontMetrics metrics(Font font) {
            Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
                return g.getFontMetrics(font);
            } finally {
                g.dispose();
            }
        }

        void draw(BufferedImage image, int top) {
            Graphics2D g = image.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
                g.setColor(Color.WHITE);
                g.fillRect(0, top, image.getWidth(), height);
                g.setFont(font);
                FontMetrics metrics = g.getFontMetrics();
                g.setStroke(new BasicStroke(Math.max(1, swatch / 12f)));
                for (Entry e : entries) {
                    int baseline = top + pad + e.line() * lineHeight + metrics.getAscent();
                    int textX = e.x();
                    if (e.color() >= 0) {
                        g.setColor(new Color(e.color()));
                        g.fillRect(e.x(), baseline - swatch, swatch, swatch);
                        g.setColor(Color.DARK_GRAY);
                        g.drawRect(e.x(), baseline - swatch, swatch, swatch);
                        textX += swatch + pad / 2;
                    }
                    g.setColor(Color.BLACK);
                    g.drawString(e.text(), textX, baseline);
                }
            } finally {
                g.dispose();
            }
        }
    }
}
