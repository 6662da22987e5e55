package dev.zoetrope.train.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.train.synth.SynthSpec;

/**
 * An adherence run's results: accuracy per axis for held-out and seen combinations, the detector
 * validation they rest on, and every clip. Printed as a table and written as {@value #JSON},
 * {@value #MARKDOWN} and {@value #SHEET}.
 */
public record AdherenceReport(AdherenceEval.DetectorValidation validation, AdherenceEval.Run run) {
    public static final String JSON = "adherence.json", MARKDOWN = "adherence.md", SHEET = "contact-sheet.png";

    /** The targets on held-out combinations (docs/model-card.md), shown beside the results: each axis in the canonical template, and in held-out phrasings. */
    public static final double TARGET_COLOR = 0.95, TARGET_DIRECTION = 0.95, TARGET_SHAPE = 0.95, TARGET_PHRASING = 0.90;

    private record Row(String name, long prompts, Accuracy accuracy, AdherenceEval.Speed speed) {}

    /** Held-out, seen, all; and the held-out phrasings when the plan has them. */
    private List<Row> rows() {
        List<AdherencePrompt> prompts = run.plan().prompts();
        if (run.plan().written()) return List.of(new Row(WRITTEN_ROW, prompts.size(), run.written(), run.speed(null)));
        long held = run.plan().heldOutPrompts(), worded = run.plan().heldOutPhrasingPrompts();
        boolean novel = run.plan().novel();
        List<Row> rows = new java.util.ArrayList<>(List.of(new Row(novel ? "novel, held-out" : "held-out", held, run.heldOut(), run.speed(true)),
                new Row(novel ? "novel, taught" : "seen", prompts.size() - held - worded, run.seen(), run.speed(false)),
                new Row(novel ? "novel, all" : "all", prompts.size(), run.all(), run.speed(null))));
        if (worded > 0) rows.add(1, new Row(HELD_OUT_PHRASING_ROW, worded, run.heldOutPhrasings(), run.heldOutPhrasingSpeed()));
        return rows;
    }

    /** The row of held-out combinations prompted in held-out phrasings. */
    static final String HELD_OUT_PHRASING_ROW = "held-out words";
    /** The one row of a run of prompts people wrote. */
    static final String WRITTEN_ROW = "written";

    /** Mean DiT forwards per clip, or "-" when not counted. */
    private static String forwards(AdherenceEval.Speed s) {
        return Double.isNaN(s.forwardsPerClip()) ? "-" : String.format(Locale.ROOT, "%.1f", s.forwardsPerClip());
    }

    /** Mean wall seconds per clip, or "-" when no clip was timed. */
    private static String seconds(AdherenceEval.Speed s) {
        return Double.isNaN(s.secondsPerClip()) ? "-" : String.format(Locale.ROOT, "%.2f", s.secondsPerClip());
    }

    /** Settings, then the accuracy table, for the terminal. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(settingsLine()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-15s %7s %6s %7s %7s %10s %10s %11s %14s %8s%n", "split", "prompts", "clips", "color",
                "shape", "direction", "all three", "background", "forwards/clip", "s/clip"));
        for (Row r : rows()) {
            Accuracy a = r.accuracy();
            sb.append(String.format(Locale.ROOT, "%-15s %7d %6d %7s %7s %10s %10s %11s %14s %8s%n", r.name(), r.prompts(), a.clips(),
                    Accuracy.percent(a.colorRate()), Accuracy.percent(a.shapeRate()), Accuracy.percent(a.directionRate()),
                    Accuracy.percent(a.jointRate()), Accuracy.percent(a.backgroundRate()), forwards(r.speed()), seconds(r.speed())));
        }
        return sb.toString();
    }

    private String settingsLine() {
        AdherencePlan p = run.plan();
        return String.format(Locale.ROOT, "%s: %d prompts x %d clips (seed %d, %s, steps %s, guidance %s)",
                run.generator(), p.prompts().size(), p.k(), p.seed(), p.written() ? "prompts written by people"
                        : p.novel() ? novelty(p) : p.seenSample() + " seen combinations sampled",
                run.sampling().steps() == null ? "default" : run.sampling().steps(),
                run.sampling().guidance() == null ? "default" : run.sampling().guidance());
    }

    /** What a novel plan asks for: the novel colours, backgrounds or motions. */
    private static String novelty(AdherencePlan p) {
        SynthSpec.Novelty n = p.novelty().orElseThrow();
        List<String> names = switch (n) {
            case COLOR -> SynthSpec.NOVEL_COLORS.stream().map(SynthSpec.Rgb::name).toList();
            case BACKGROUND -> SynthSpec.NOVEL_BACKGROUNDS.stream().map(SynthSpec.Rgb::name).toList();
            case MOTION -> SynthSpec.NOVEL_DIRECTIONS.stream().map(SynthSpec.Direction::word).toList();
        };
        String what = switch (n) {
            case COLOR -> "colours";
            case BACKGROUND -> "backgrounds";
            case MOTION -> "motions";
        };
        return "the novel " + what + " (" + String.join(", ", names) + ")";
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder("# Prompt adherence\n\n");
        sb.append(settingsLine()).append(".\n\n");
        sb.append("Detector: ").append(validation.line()).append(".\n\n");
        sb.append("| split | prompts | clips | color | shape | direction | all three | background | DiT forwards / clip | s / clip |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows()) {
            Accuracy a = r.accuracy();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |%n", r.name(), r.prompts(), a.clips(),
                    Accuracy.percent(a.colorRate()), Accuracy.percent(a.shapeRate()), Accuracy.percent(a.directionRate()),
                    Accuracy.percent(a.jointRate()), Accuracy.percent(a.backgroundRate()), forwards(r.speed()), seconds(r.speed())));
        }
        if (!run.plan().written()) sb.append(String.format(Locale.ROOT, "%nTargets on held-out combinations: color >= %s, direction >= %s, shape >= %s; "
                        + "in held-out phrasings (the %s row: templates and words no training caption has) each axis >= %s.%n",
                Accuracy.percent(TARGET_COLOR), Accuracy.percent(TARGET_DIRECTION), Accuracy.percent(TARGET_SHAPE), HELD_OUT_PHRASING_ROW,
                Accuracy.percent(TARGET_PHRASING)));
        sb.append("\n## Clips\n\n| clip | split | prompt | seed | detected | color | shape | direction |\n|---|---|---|---|---|---|---|---|\n");
        for (ClipScore s : run.scores()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %s | %s | %s | %s |%n", s.clip().id(),
                    s.clip().prompt().split(), s.clip().prompt().caption(), s.clip().seed(), s.detected(), mark(s.colorOk()),
                    mark(s.shapeOk()), mark(s.directionOk())));
        }
        return sb.toString();
    }

    private static String mark(boolean ok) {
        return ok ? "ok" : "**wrong**";
    }

    /** The report as JSON; clip videos are named relative to {@code reportDir}, where the report is written. */
    public ObjectNode json(Path reportDir) {
        ObjectNode root = Json.PLAIN.createObjectNode();
        AdherencePlan p = run.plan();
        root.put("generator", run.generator()).put("seed", p.seed()).put("k", p.k()).put("seen_sample", p.seenSample())
                .put("novel", p.novel());
        if (p.novelty().isPresent()) root.put("novelty", p.novelty().get().word());
        if (run.sampling().steps() != null) root.put("steps", run.sampling().steps());
        else root.putNull("steps");
        if (run.sampling().guidance() != null) root.put("guidance", run.sampling().guidance());
        else root.putNull("guidance");
        ObjectNode v = accuracy(root.putObject("detector_validation"), validation.run().all());
        v.put("threshold", AdherenceEval.DETECTOR_THRESHOLD).put("passed", validation.passed());
        for (Row row : rows()) {
            String key = switch (row.name()) {
                case HELD_OUT_PHRASING_ROW -> "heldout_phrasing";
                case WRITTEN_ROW -> "written";
                case "held-out", "novel, held-out" -> "heldout";
                case "seen", "novel, taught" -> "seen";
                default -> "all";
            };
            ObjectNode split = accuracy(root.putObject(key), row.accuracy()).put("prompts", row.prompts());
            AdherenceEval.Speed speed = row.speed();
            split.put("timed_clips", speed.clips());
            if (Double.isNaN(speed.forwardsPerClip())) split.putNull("dit_forwards_per_clip");
            else split.put("dit_forwards_per_clip", speed.forwardsPerClip());
            if (Double.isNaN(speed.secondsPerClip())) split.putNull("seconds_per_clip");
            else split.put("seconds_per_clip", speed.secondsPerClip());
        }
        ArrayNode clips = root.putArray("clips");
        for (ClipScore s : run.scores()) {
            ObjectNode c = clips.addObject();
            c.put("id", s.clip().id())
                    .put("video", relative(reportDir, AdherenceEval.mp4(run.clipsDir(), s.clip())))
                    .put("split", s.clip().prompt().split()).put("prompt", s.clip().prompt().caption())
                    .put("replica", s.clip().replica()).put("seed", s.clip().seed());
            AdherenceEval.ClipCost cost = run.costs().get(s.clip().id());
            if (cost != null)
                c.putObject("cost").put("dit_forwards", cost.ditForwards()).put("skipped_forwards", cost.skippedForwards())
                        .put("seconds", cost.seconds());
            var want = s.clip().prompt().combination();
            c.putObject("expected").put("color", SynthSpec.PALETTE.get(want.color()).name())
                    .put("shape", SynthSpec.SHAPES.get(want.shape()).word())
                    .put("direction", SynthSpec.MOTIONS.get(want.direction()).word());
            c.putObject("detected").put("color", s.detection().colorName()).put("shape", s.detection().shapeName())
                    .put("direction", s.detection().directionName()).put("background", s.detection().backgroundName())
                    .put("frames_with_object", s.detection().framesWithObject());
            c.put("color_ok", s.colorOk()).put("shape_ok", s.shapeOk()).put("direction_ok", s.directionOk())
                    .put("all_ok", s.allOk());
        }
        return root;
    }

    private static String relative(Path from, Path file) {
        Path base = from.toAbsolutePath().normalize(), target = file.toAbsolutePath().normalize();
        return (target.startsWith(base) ? base.relativize(target) : target).toString().replace('\\', '/');
    }

    private static ObjectNode accuracy(ObjectNode node, Accuracy a) {
        node.put("clips", a.clips()).put("color", a.colorRate()).put("shape", a.shapeRate())
                .put("direction", a.directionRate()).put("all_three", a.jointRate()).put("background", a.backgroundRate());
        return node;
    }

    /** Writes {@value #JSON}, {@value #MARKDOWN} and {@value #SHEET} into {@code dir}, each atomically. */
    public void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(JSON), Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(json(dir)) + "\n");
        AtomicFiles.writeString(dir.resolve(MARKDOWN), markdown());
        ContactSheet.write(dir.resolve(SHEET), run);
    }
}
