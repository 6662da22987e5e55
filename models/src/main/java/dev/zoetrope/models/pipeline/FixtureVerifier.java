package dev.zoetrope.models.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.sampling.FlowSchedule;

/**
 * Finds the checks a golden-tensor directory holds and runs them. The directory is laid out like the project's
 * fixtures: a {@code README.json} names the files and the config of each part ({@code dit}, {@code vae},
 * {@code pipeline} for Linum; {@code dit}, {@code sampler} for Wan). Dims and settings are read from it, never
 * assumed, so other shapes and configs in the same format work too.
 */
public final class FixtureVerifier {
    /** One named check; {@code run} loads what it needs and frees it before returning. */
    public record Check(String name, Supplier<List<Comparison>> run) {}

    private static final Pattern STEPS_KEY = Pattern.compile("timesteps_(\\d+)");
    private static final Pattern WAN_STEPS_KEY = Pattern.compile("timesteps_(\\d+)_shift(\\d+(?:\\.\\d+)?)");

    private FixtureVerifier() {}

    /** The checks in {@code dir}; an error names what is missing when nothing can be checked. */
    public static List<Check> discover(Path dir) {
        if (!Files.isDirectory(dir)) throw new ConfigException(dir + ": not a directory");
        List<Check> checks = new ArrayList<>();
        Path readme = dir.resolve("README.json");
        if (Files.isRegularFile(readme)) {
            JsonNode root = Json.readTree(readme);
            if (root.has("pipeline")) linumSchedule(dir, root.get("pipeline"), checks);
            if (root.has("sampler")) wanSchedule(dir, root.get("sampler"), checks);
        }
        TextFixtures.discover(dir, checks);
        if (checks.isEmpty())
            throw new ConfigException(dir + ": found nothing to verify; expected a README.json naming the parts "
                    + "(dit, vae, pipeline, sampler), or T5 fixtures (NAME_config.json + NAME_encoder.safetensors + "
                    + "NAME_io.safetensors) or tokenizer_cases.json with spiece.model/tokenizer.json");
        return checks;
    }

    /** Linum's pipeline file holds the diffusers schedule for its step count and for others (timesteps_N). */
    private static void linumSchedule(Path dir, JsonNode cfg, List<Check> checks) {
        Path io = dir.resolve(text(cfg, "io", dir));
        int steps = cfg.path("steps").asInt(0);
        double shift = cfg.path("shift").asDouble(3.0);
        int train = cfg.path("num_train_timesteps").asInt(1000);
        checks.add(new Check("pipeline schedule (shift " + shift + ")", () -> {
            List<Comparison> out = new ArrayList<>();
            try (Weights w = Weights.open(io)) {
                for (String name : w.names()) {
                    Matcher m = STEPS_KEY.matcher(name);
                    int n = name.equals("timesteps") ? steps : m.matches() ? Integer.parseInt(m.group(1)) : -1;
                    if (n < 1) continue;
                    String suffix = name.substring("timesteps".length());
                    FlowSchedule s = FlowSchedule.shiftedEuler(n, shift, train);
                    out.add(compareDoubles(w, name, s.timesteps()));
                    if (w.contains("sigmas" + suffix)) out.add(compareDoubles(w, "sigmas" + suffix, toDoubles(s.sigmas())));
                }
            }
            return out;
        }));
    }

    /** Wan's integer timesteps must match exactly: the run's (timesteps) and any timesteps_N_shiftS. */
    private static void wanSchedule(Path dir, JsonNode cfg, List<Check> checks) {
        Path io = wanIo(dir, cfg);
        int steps = cfg.path("steps").asInt(0);
        double shift = cfg.path("shift").asDouble(5.0);
        checks.add(new Check("sampler integer timesteps", () -> {
            List<Comparison> out = new ArrayList<>();
            try (Weights w = Weights.open(io)) {
                for (String name : w.names()) {
                    Matcher m = WAN_STEPS_KEY.matcher(name);
                    FlowSchedule s;
                    if (name.equals("timesteps") && steps > 0) s = FlowSchedule.wan(steps, shift, 1000);
                    else if (m.matches()) s = FlowSchedule.wan(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)), 1000);
                    else continue;
                    long[] got = new long[s.steps()];
                    for (int k = 0; k < got.length; k++) got[k] = (long) s.timestep(k);
                    long[] expected = Scopes.value(() -> Tensors.toLongs(w.load(name)));
                    out.add(Comparison.exact(name, got, expected));
                }
            }
            return out;
        }));
    }

    static Path wanIo(Path dir, JsonNode sampler) {
        String io = sampler.path("io").asText("");
        if (!io.isEmpty()) return dir.resolve(io);
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith("_io.safetensors")).sorted().findFirst()
                    .orElseThrow(() -> new ConfigException(dir + ": README.json's sampler has no \"io\" file and no *_io.safetensors is here"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Comparison compareDoubles(Weights w, String name, double[] got) {
        double[] expected = Scopes.value(() -> Tensors.toDoubles(w.load(name)));
        if (expected.length != got.length)
            return Comparison.failed(name, got.length + " values, expected " + expected.length, false);
        double diff = 0, max = 0;
        for (int i = 0; i < got.length; i++) {
            diff = Math.max(diff, Math.abs(got[i] - expected[i]));
            max = Math.max(max, Math.abs(expected[i]));
        }
        return new Comparison(name, diff, max, false, null);
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static String text(JsonNode cfg, String field, Path dir) {
        JsonNode n = cfg.get(field);
        if (n == null || !n.isTextual())
            throw new ConfigException(dir.resolve("README.json") + ": field \"" + field + "\" (a file name) is missing");
        return n.asText();
    }
}
