package dev.zoetrope.curate.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.curate.filter.Features;
import dev.zoetrope.curate.filter.LogisticModel;
import dev.zoetrope.curate.filter.Reason;
import dev.zoetrope.train.shards.ShardSet;

/**
 * The driver's last step: assembles the run's files from what the workers wrote under {@code work/run/} (verdicts,
 * source reports, one shard set per shard): manifest.jsonl, features.jsonl, shards/, summary.json and report.html. The
 * summary counts what was written, not what some step remembers.
 */
public final class Finalizer {
    private final CurateOptions options;
    private final Path out;
    private final PrintStream log;

    public Finalizer(CurateOptions options, PrintStream log) {
        this.options = options;
        this.out = Path.of(options.out());
        this.log = log;
    }

    /** Summary numbers of a run. */
    public record Summary(int sources, int sourcesOk, Map<String, Integer> sourceProblems, int shots, int clips,
                          int accepted, Map<String, Integer> rejectedBy, long shardClips) {}

    /** Reads the workers' parts in {@code run} and writes the run's files. */
    public Summary assemble(Path run) throws IOException {
        List<SourceReport> reports = new ArrayList<>();
        for (Path f : CuratePipeline.parts(run.resolve("reports"), "part"))
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8))
                if (!line.isBlank()) reports.add(Json.PLAIN.readValue(line, SourceReport.class));
        reports.sort(Comparator.comparing(SourceReport::source));
        for (SourceReport r : reports)
            if (!r.status().equals("ok"))
                log.println((r.clipIds().isEmpty() ? "skipped " : "kept " + r.clipIds().size() + " clip(s) of ") + r.source() + ": "
                        + r.status() + (r.message().isEmpty() ? "" : " (" + r.message() + ")"));
        List<Verdict> verdicts = new ArrayList<>();
        for (Path f : CuratePipeline.parts(run.resolve("verdicts"), "part"))
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8))
                if (!line.isBlank()) verdicts.add(Json.PLAIN.readValue(line, Verdict.class));
        verdicts.sort(Comparator.comparing(v -> v.decision().clip().clipId()));
        List<Decision> decisions = verdicts.stream().map(Verdict::decision).toList();

        Manifest.write(out.resolve("manifest.jsonl"), decisions);
        writeFeatures(verdicts);
        long shardClips = mergeShards(run.resolve("shards"));
        Summary summary = summarize(reports, decisions, shardClips);
        AtomicFiles.writeString(out.resolve("summary.json"), Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
        Report.write(out.resolve("report.html"), summary, reports, decisions);
        return summary;
    }

    /**
     * The workers' shard sets, one per shard, become {@code shards/}: built beside it, then put in its place, so a
     * reader sees the old set or the new one.
     */
    private long mergeShards(Path parts) throws IOException {
        Path dir = out.resolve("shards"), fresh = out.resolve("work").resolve("shards.new");
        if (Files.exists(fresh)) deleteTree(fresh);
        List<Path> sets = CuratePipeline.parts(parts, "shard-");
        ShardSet merged = ShardSet.merge(sets, fresh);
        if (Files.exists(dir)) deleteTree(dir);
        Files.move(fresh, dir, StandardCopyOption.ATOMIC_MOVE);
        return merged.clips();
    }

    /**
     * A filter model is applied only to features like those it was fitted on: the same signals, plus latent statistics
     * of a VAE with as many channels (or none). Checked before any clip is cut, so a mismatch costs nothing.
     */
    public static void checkFilterModel(CurateOptions options, int runExtra) {
        if (options.modelPath() == null) return;
        LogisticModel model = LogisticModel.load(Path.of(options.modelPath()));
        int want = model.weights().length, modelExtra = want - Features.BASE - Features.COLORS;
        List<String> base = Features.names(0);
        if (model.features().size() < base.size() || !model.features().subList(0, base.size()).equals(base))
            throw new InvalidRequestException(options.modelPath() + ": the filter model was fitted on other signals ("
                    + String.join(", ", model.features().subList(0, Math.min(base.size(), model.features().size())))
                    + ") than this version measures (" + String.join(", ", base)
                    + "); train it again with label train on a features.jsonl written by this version");
        if (modelExtra == runExtra) return;
        throw new InvalidRequestException(options.modelPath() + ": the filter model was fitted on " + want + " features ("
                + (modelExtra == 0 ? "no latent statistics" : modelExtra + " latent statistics") + "), this run gives "
                + (Features.BASE + Features.COLORS + runExtra) + " (" + (runExtra == 0 ? "no VAE" : runExtra + " latent statistics")
                + "); curate with the same VAE (or none) as the run whose features.jsonl trained it");
    }

    private void writeFeatures(List<Verdict> verdicts) throws IOException {
        AtomicFiles.writeStream(out.resolve("features.jsonl"), o -> {
            for (Verdict v : verdicts) {
                ClipResult c = v.decision().clip();
                ObjectNode line = Json.PLAIN.createObjectNode().put("clip_id", c.clipId());
                var x = line.putArray("x");
                for (double value : Features.of(c.signals(), v.visual())) x.add(value);
                o.write(Json.PLAIN.writeValueAsString(line).getBytes(StandardCharsets.UTF_8));
                o.write('\n');
            }
        });
    }

    private static Summary summarize(List<SourceReport> reports, List<Decision> decisions, long shardClips) {
        Map<String, Integer> problems = new LinkedHashMap<>();
        int ok = 0, shots = 0;
        for (SourceReport r : reports) {
            shots += r.shots();
            // A truncated source is usable (its decodable part gave clips) and still a problem to report.
            if (r.status().equals("ok") || !r.clipIds().isEmpty()) ok++;
            if (!r.status().equals("ok")) problems.merge(r.status(), 1, Integer::sum);
        }
        Map<String, Integer> by = new LinkedHashMap<>();
        for (Reason reason : Reason.values()) by.put(reason.code(), 0);
        int accepted = 0;
        for (Decision d : decisions) {
            if (d.accepted()) accepted++;
            for (Reason r : d.reasons()) by.merge(r.code(), 1, Integer::sum);
        }
        return new Summary(reports.size(), ok, problems, shots, decisions.size(), accepted, by, shardClips);
    }

    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
