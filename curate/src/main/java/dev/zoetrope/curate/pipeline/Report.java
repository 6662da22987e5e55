package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.curate.filter.Reason;

/**
 * The run's HTML report, one self-contained page beside the clips: counts per stage, a histogram per signal (inline
 * SVG, accepted and rejected clips stacked), and frame strips of accepted clips and of rejected clips per reason.
 */
public final class Report {
    private static final int BINS = 24;
    private static final int EXAMPLES = 6;

    private Report() {}

    private record Signal(String name, String unit, boolean log, ToDoubleFunction<Decision> value) {}

    public static void write(Path file, Finalizer.Summary s, List<SourceReport> reports, List<Decision> decisions) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("""
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Zoetrope curation report</title><style>
                body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
                h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
                table{border-collapse:collapse;font-size:14px}td,th{padding:4px 10px;border-bottom:1px solid #e4e4e4;text-align:left}
                td.n{text-align:right;font-variant-numeric:tabular-nums}
                .hists{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:14px}
                .hist{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px}
                .hist h3{font-size:14px;margin:0 0 4px}.legend{font-size:12px;color:#555}
                .sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
                .strips{display:flex;flex-direction:column;gap:6px}.strip{display:flex;gap:10px;align-items:center;font-size:12px}
                .strip img{height:48px;image-rendering:pixelated;border:1px solid #ccc}.muted{color:#777}
                </style></head><body>
                <h1>Zoetrope curation report</h1>
                """);
        h.append("<h2>Counts per stage</h2><table>");
        row(h, "sources found", s.sources());
        row(h, "sources usable", s.sourcesOk());
        s.sourceProblems().forEach((k, v) -> row(h, "source problems: " + k, v));
        row(h, "shots", s.shots());
        row(h, "clip windows", s.clips());
        s.rejectedBy().forEach((k, v) -> row(h, "rejected: " + k, v));
        row(h, "accepted", s.accepted());
        row(h, "clips in shards", (int) s.shardClips());
        h.append("</table>");

        List<SourceReport> bad = reports.stream().filter(r -> !r.status().equals("ok")).toList();
        if (!bad.isEmpty()) {
            // Skipped sources, and truncated ones whose decodable part was kept.
            h.append("<h2>Source problems</h2><table><tr><th>source</th><th>status</th><th>why</th></tr>");
            for (SourceReport r : bad)
                h.append("<tr><td>").append(esc(Path.of(r.source()).getFileName().toString())).append("</td><td>")
                        .append(esc(r.status())).append("</td><td>").append(esc(r.message())).append("</td></tr>");
            h.append("</table>");
        }

        h.append("<h2>Signals</h2><div class=\"legend\"><span class=\"sw\" style=\"background:#4c9a5e\"></span>accepted"
                + "<span class=\"sw\" style=\"background:#d0674f\"></span>rejected</div><div class=\"hists\">");
        List<Signal> signals = new ArrayList<>(List.of(
                new Signal("motion", "mean |Δluma|", false, d -> d.clip().signals().motion()),
                new Signal("sharpness", "log10 Laplacian variance", true, d -> d.clip().signals().sharpness()),
                new Signal("brightness", "mean luma / 255", false, d -> d.clip().signals().brightness()),
                new Signal("visible", "share with luma ≥ 48", false, d -> d.clip().signals().visible()),
                new Signal("border", "bar fraction", false, d -> d.clip().signals().border()),
                new Signal("text", "persistent stroke density", false, d -> d.clip().signals().text())));
        if (decisions.stream().anyMatch(d -> d.aesthetic() != null))
            signals.add(new Signal("aesthetic", "learned score", false, d -> d.aesthetic() == null ? Double.NaN : d.aesthetic()));
        for (Signal sig : signals) histogram(h, sig, decisions);
        h.append("</div>");

        h.append("<h2>Accepted examples</h2>");
        examples(h, decisions.stream().filter(Decision::accepted).toList());
        for (Reason r : Reason.values()) {
            List<Decision> rej = decisions.stream().filter(d -> d.reasons().contains(r)).toList();
            if (rej.isEmpty()) continue;
            h.append("<h2>Rejected: ").append(r.code()).append(" <span class=\"muted\">(").append(rej.size()).append(")</span></h2>");
            examples(h, rej);
        }
        h.append("</body></html>\n");
        AtomicFiles.writeString(file, h.toString());
    }

    private static void row(StringBuilder h, String name, int n) {
        h.append("<tr><td>").append(esc(name)).append("</td><td class=\"n\">").append(n).append("</td></tr>");
    }

    private static void histogram(StringBuilder h, Signal sig, List<Decision> decisions) {
        List<double[]> vals = new ArrayList<>();
        for (Decision d : decisions) {
            double v = sig.value().applyAsDouble(d);
            if (Double.isNaN(v)) continue;
            if (sig.log()) v = Math.log10(Math.max(v, 1e-3));
            vals.add(new double[]{v, d.accepted() ? 1 : 0});
        }
        h.append("<div class=\"hist\"><h3>").append(esc(sig.name())).append(" <span class=\"muted\">(")
                .append(esc(sig.unit())).append(")</span></h3>");
        if (vals.isEmpty()) {
            h.append("<div class=\"muted\">no values</div></div>");
            return;
        }
        double lo = vals.stream().mapToDouble(v -> v[0]).min().orElse(0), hi = vals.stream().mapToDouble(v -> v[0]).max().orElse(1);
        if (hi - lo < 1e-9) hi = lo + 1;
        int[] acc = new int[BINS], rej = new int[BINS];
        for (double[] v : vals) {
            int b = Math.min(BINS - 1, (int) ((v[0] - lo) / (hi - lo) * BINS));
            if (v[1] == 1) acc[b]++;
            else rej[b]++;
        }
        int max = 1;
        for (int i = 0; i < BINS; i++) max = Math.max(max, acc[i] + rej[i]);
        int w = 310, ht = 120, pad = 18;
        double bw = (double) w / BINS;
        h.append("<svg width=\"").append(w).append("\" height=\"").append(ht + pad).append("\" role=\"img\">");
        for (int i = 0; i < BINS; i++) {
            double ha = (double) acc[i] / max * ht, hr = (double) rej[i] / max * ht;
            double x = i * bw;
            h.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4c9a5e\"/>", x, ht - ha, bw - 1, ha));
            h.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d0674f\"/>", x, ht - ha - hr, bw - 1, hr));
        }
        h.append(String.format(Locale.ROOT, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", ht, w, ht));
        h.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"11\">%s</text>", ht + 14, fmt(lo)));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>", w, ht + 14, fmt(hi)));
        h.append("</svg></div>");
    }

    private static void examples(StringBuilder h, List<Decision> list) {
        if (list.isEmpty()) {
            h.append("<div class=\"muted\">none</div>");
            return;
        }
        h.append("<div class=\"strips\">");
        int step = Math.max(1, list.size() / EXAMPLES);
        for (int i = 0, shown = 0; i < list.size() && shown < EXAMPLES; i += step, shown++) {
            Decision d = list.get(i);
            var c = d.clip();
            h.append("<div class=\"strip\"><img src=\"clips/").append(esc(c.clipId())).append(".png\" alt=\"\"><div><b>")
                    .append(esc(c.clipId())).append("</b><br>")
                    .append(String.format(Locale.ROOT, "motion %.2f · sharpness %.0f · brightness %.2f · visible %.2f · border %.2f · text %.3f",
                            c.signals().motion(), c.signals().sharpness(), c.signals().brightness(), c.signals().visible(),
                            c.signals().border(), c.signals().text()));
            if (d.duplicateOf() != null) h.append(" · duplicate of ").append(esc(d.duplicateOf()));
            if (!d.caption().isBlank()) h.append("<br><i>").append(esc(d.caption())).append("</i>");
            h.append("</div></div>");
        }
        h.append("</div>");
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
