package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.curate.filter.Reason;

/**
 * {@code manifest.jsonl}: one line per clip considered, accepted or rejected, with exactly the fields
 * clip_id, source, start_s, end_s, width, height, fps, signals {motion, sharpness, brightness, text, border,
 * aesthetic}, duplicate_of, decision, reasons.
 */
public final class Manifest {
    private Manifest() {}

    public static ObjectNode line(Decision d) {
        ClipResult c = d.clip();
        ObjectNode o = Json.PLAIN.createObjectNode();
        o.put("clip_id", c.clipId());
        o.put("source", c.source());
        o.put("start_s", round(c.startS()));
        o.put("end_s", round(c.endS()));
        o.put("width", c.width());
        o.put("height", c.height());
        o.put("fps", c.fps());
        ObjectNode s = o.putObject("signals");
        s.put("motion", round(c.signals().motion()));
        s.put("sharpness", round(c.signals().sharpness()));
        s.put("brightness", round(c.signals().brightness()));
        s.put("visible", round(c.signals().visible()));
        s.put("text", round(c.signals().text()));
        s.put("border", round(c.signals().border()));
        if (d.aesthetic() == null) s.putNull("aesthetic");
        else s.put("aesthetic", round(d.aesthetic()));
        if (d.duplicateOf() == null) o.putNull("duplicate_of");
        else o.put("duplicate_of", d.duplicateOf());
        o.put("decision", d.accepted() ? "accept" : "reject");
        ArrayNode r = o.putArray("reasons");
        for (Reason reason : d.reasons()) r.add(reason.code());
        return o;
    }

    public static void write(Path file, List<Decision> decisions) throws IOException {
        AtomicFiles.writeStream(file, out -> {
            for (Decision d : decisions) {
                out.write(Json.PLAIN.writeValueAsString(line(d)).getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
        });
    }

    static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}
