package dev.zoetrope.train.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.video.Frame;
import dev.zoetrope.video.FrameImages;

/**
 * The eval's contact sheet: one row per clip — a label panel (split, prompt, seed, what the detector
 * read, mismatches in red) and the clip's frames side by side. Held-out rows carry an orange bar and tag.
 */
public final class ContactSheet {
    private static final int LINE = 14, MARK = 6, PAD = 8;
    private static final Font FONT = new Font(Font.MONOSPACED, Font.PLAIN, 12);
    private static final Color HELD_OUT = new Color(255, 160, 0), TEXT = new Color(230, 230, 230),
            DIM = new Color(150, 150, 150), OK = new Color(110, 220, 110), WRONG = new Color(255, 80, 80),
            PANEL = new Color(24, 24, 24);

    private ContactSheet() {}

    /** {@code maxFrames} frames side by side, scaled down to at most {@code maxHeight} pixels high. */
    static BufferedImage strip(List<Frame> frames, int maxFrames, int maxHeight) {
        BufferedImage full = FrameImages.strip(frames, maxFrames);
        if (full.getHeight() <= maxHeight) return full;
        int w = Math.max(1, (int) Math.round((double) full.getWidth() * maxHeight / full.getHeight()));
        BufferedImage small = new BufferedImage(w, maxHeight, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = small.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(full, 0, 0, w, maxHeight, null);
        g.dispose();
        return small;
    }

    public static void write(Path file, AdherenceEval.Run run) throws IOException {
        if (run.scores().isEmpty()) throw new IllegalArgumentException(file + ": a contact sheet needs at least one clip");
        int rowHeight = Math.max(4 * LINE + 4, run.strips().stream().mapToInt(BufferedImage::getHeight).max().orElseThrow());
        int labelWidth = labelWidth(run);
        int width = labelWidth + run.strips().stream().mapToInt(BufferedImage::getWidth).max().orElseThrow();
        int gap = 2;
        BufferedImage sheet = new BufferedImage(width, run.scores().size() * (rowHeight + gap), BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(FONT);
        for (int i = 0; i < run.scores().size(); i++) {
            int y = i * (rowHeight + gap);
            ClipScore s = run.scores().get(i);
            g.setColor(PANEL);
            g.fillRect(0, y, labelWidth, rowHeight);
            if (s.clip().prompt().heldOut()) {
                g.setColor(HELD_OUT);
                g.fillRect(0, y, MARK, rowHeight);
            }
            int x = MARK + 6, line = y + LINE;
            g.setColor(s.clip().prompt().heldOut() ? HELD_OUT : DIM);
            g.drawString((s.clip().prompt().heldOut() ? "HELD-OUT" : "seen") + "  k" + s.clip().replica() + "  seed "
                    + s.clip().seed(), x, line);
            g.setColor(TEXT);
            g.drawString(s.clip().prompt().caption(), x, line + LINE);
            drawDetected(g, s, x, line + 2 * LINE);
            g.drawImage(run.strips().get(i), labelWidth, y, null);
        }
        g.dispose();
        AtomicFiles.write(file, tmp -> {
            if (!ImageIO.write(sheet, "png", tmp.toFile())) throw new IOException("no PNG writer available");
        });
    }

    /** Wide enough for the longest caption. */
    private static int labelWidth(AdherenceEval.Run run) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = probe.createGraphics();
        var metrics = g.getFontMetrics(FONT);
        int widest = run.scores().stream().mapToInt(s -> metrics.stringWidth(s.clip().prompt().caption())).max().orElse(0);
        g.dispose();
        return MARK + 6 + widest + PAD;
    }

    /** "read: red circle left", each word green when it matches the prompt and red when not. */
    private static void drawDetected(Graphics2D g, ClipScore s, int x, int y) {
        g.setColor(DIM);
        String head = "read: ";
        g.drawString(head, x, y);
        x += g.getFontMetrics().stringWidth(head);
        String[] words = {s.detection().colorName(), s.detection().shapeName(), s.detection().directionName()};
        boolean[] ok = {s.colorOk(), s.shapeOk(), s.directionOk()};
        for (int i = 0; i < 3; i++) {
            g.setColor(ok[i] ? OK : WRONG);
            g.drawString(words[i] + " ", x, y);
            x += g.getFontMetrics().stringWidth(words[i] + " ");
        }
    }
}
