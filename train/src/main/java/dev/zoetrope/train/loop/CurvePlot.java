package dev.zoetrope.train.loop;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import dev.zoetrope.core.io.AtomicFiles;

/** Training curves as a PNG: raw values faint, an exponentially smoothed line on top, optional log y axis. */
public final class CurvePlot {
    public record Series(String name, double[] x, double[] y, Color color) {}

    private final String title;
    private final String xLabel;
    private final boolean logY;
    private final List<Series> series = new ArrayList<>();

    public CurvePlot(String title, String xLabel, boolean logY) {
        this.title = title;
        this.xLabel = xLabel;
        this.logY = logY;
    }

    public CurvePlot add(String name, double[] x, double[] y, Color color) {
        if (x.length != y.length) throw new IllegalArgumentException("x and y differ in length");
        series.add(new Series(name, x, y, color));
        return this;
    }

    public void write(Path png) throws IOException {
        int w = 900, h = 500, left = 80, right = 20, top = 40, bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
        for (Series s : series)
            for (int i = 0; i < s.x.length; i++) {
                double y = tf(s.y[i]);
                if (!Double.isFinite(y)) continue;
                x0 = Math.min(x0, s.x[i]);
                x1 = Math.max(x1, s.x[i]);
                y0 = Math.min(y0, y);
                y1 = Math.max(y1, y);
            }
        if (x0 == Double.MAX_VALUE) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) { y1 = y0 + 0.5; y0 -= 0.5; }
        int pw = w - left - right, ph = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(new Color(230, 230, 230));
        for (int i = 0; i <= 5; i++) {
            int yy = top + ph * i / 5;
            g.drawLine(left, yy, left + pw, yy);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 5; i++) {
            double v = y1 - (y1 - y0) * i / 5;
            String label = fmt(logY ? Math.pow(10, v) : v);
            g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), top + ph * i / 5 + 4);
            double xv = x0 + (x1 - x0) * i / 5;
            String xl = fmt(xv);
            g.drawString(xl, left + pw * i / 5 - g.getFontMetrics().stringWidth(xl) / 2, top + ph + 18);
        }
        g.drawString(xLabel, left + pw / 2 - 20, h - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 25);
        int legendY = top + 18;
        for (Series s : series) {
            drawLine(g, s, x0, x1, y0, y1, left, top, pw, ph, false);
            drawLine(g, s, x0, x1, y0, y1, left, top, pw, ph, true);
            g.setColor(s.color);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(s.name, left + pw - 150, legendY);
            legendY += 16;
        }
        g.dispose();
        AtomicFiles.write(png, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
        });
    }

    private void drawLine(Graphics2D g, Series s, double x0, double x1, double y0, double y1, int left, int top, int pw, int ph,
                          boolean smooth) {
        Color c = s.color;
        g.setColor(smooth ? c : new Color(c.getRed(), c.getGreen(), c.getBlue(), 60));
        g.setStroke(new BasicStroke(smooth ? 2f : 1f));
        double alpha = Math.min(1, 20.0 / Math.max(1, s.x.length));
        double ema = Double.NaN;
        int px = -1, py = -1;
        for (int i = 0; i < s.x.length; i++) {
            double y = tf(s.y[i]);
            if (!Double.isFinite(y)) continue;
            ema = Double.isNaN(ema) ? y : ema + alpha * (y - ema);
            double v = smooth ? ema : y;
            int xx = left + (int) Math.round((s.x[i] - x0) / (x1 - x0) * pw);
            int yy = top + (int) Math.round((y1 - v) / (y1 - y0) * ph);
            if (px >= 0) g.drawLine(px, py, xx, yy);
            px = xx;
            py = yy;
        }
    }

    private double tf(double y) {
        return logY ? (y > 0 ? Math.log10(y) : Double.NaN) : y;
    }

    private static String fmt(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 0.01 || a >= 1e5)) return String.format(Locale.ROOT, "%.1e", v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
