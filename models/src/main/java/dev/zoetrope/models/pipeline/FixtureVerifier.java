package dev.zoetrope.models.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.sampling.ApgGuidance;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.sampling.CfgGuidance;
import dev.zoetrope.models.sampling.FlowMatchEulerScheduler;
import dev.zoetrope.models.sampling.FlowSampler;
import dev.zoetrope.models.sampling.FlowSchedule;
import dev.zoetrope.models.sampling.FlowScheduler;
import dev.zoetrope.models.sampling.GuidedVelocity;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.models.vae.WanVae;

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

    /**
     * The checks of {@code dir}, to run on {@code device} (resolved): models load onto it, golden inputs go to it, and
     * outputs come back to the host to be compared.
     */
    public static List<Check> discover(Path dir, ComputeDevice device) {
        return discover(dir, device.target());
    }

    /** The checks in {@code dir}, on the CPU; an error names what is missing when nothing can be checked. */
    public static List<Check> discover(Path dir) {
        return discover(dir, (org.bytedeco.pytorch.Device) null);
    }

    private static List<Check> discover(Path dir, org.bytedeco.pytorch.Device device) {
        if (!Files.isDirectory(dir)) throw new ConfigException(dir + ": not a directory");
        List<Check> checks = new ArrayList<>();
        Path readme = dir.resolve("README.json");
        if (Files.isRegularFile(readme)) {
            JsonNode root = Json.readTree(readme);
            JsonNode dit = root.get("dit");
            if (dit != null && root.has("lora_kohya")) checks.addAll(loraChecks(dir, root, device));
            else if (dit != null) checks.add(ditForward(dir, dit, device));
            if (root.has("vae")) checks.add(vaeRoundTrip(dir, root.get("vae"), device));
            if (root.has("dit_fp8")) checks.add(ditForward(dir, root.get("dit_fp8"), DType.F32, "dit forward (fp8 weights)", device));
            if (root.has("umt5")) checks.add(wanUmt5(dir, root.get("umt5"), device));
            if (root.has("refuse")) root.get("refuse").properties().forEach(e -> checks.add(refusal(dir, e.getKey(), e.getValue().asText())));
            if (root.has("pipeline")) {
                linumSchedule(dir, root.get("pipeline"), checks);
                checks.add(linumPipeline(dir, root, device));
            }
            if (root.has("sampler")) {
                wanSchedule(dir, root.get("sampler"), checks);
                checks.add(wanTrajectory(dir, root, device));
            }
        }
        TextFixtures.discover(dir, checks, device);
        if (checks.isEmpty())
            throw new ConfigException(dir + ": found nothing to verify; expected a README.json naming the parts "
                    + "(dit, vae, pipeline, sampler), or T5 fixtures (NAME_config.json + NAME_encoder.safetensors + "
                    + "NAME_io.safetensors) or tokenizer_cases.json with spiece.model/tokenizer.json");
        return checks;
    }


    /**
     * The DiT forward: Linum's io has a batch {@code x} with per-sample {@code text_i} and {@code frame_lens};
     * Wan's has one sample {@code x} [C,F,H,W] with {@code context}. Dims come from README.json's dit section.
     */
    private static Check ditForward(Path dir, JsonNode cfg, org.bytedeco.pytorch.Device device) {
        return ditForward(dir, cfg, null, "dit forward", device);
    }

    /** @param cast the compute dtype to load in (fp8 weights are dequantized to it); null keeps the stored one */
    private static Check ditForward(Path dir, JsonNode cfg, DType cast, String name, org.bytedeco.pytorch.Device device) {
        Path io = cfg.has("io") ? dir.resolve(cfg.get("io").asText()) : wanIo(dir, cfg);
        return ditForward(dir, cfg, DitLoadOptions.defaults().withOverrides(cfg).withCast(cast).withDevice(device), io,
                "expected_velocity", name, device);
    }

    /**
     * LoRA adapters merged as the DiT loads (the fixture's rules: kohya's {@code alpha / rank}, PEFT's scale 1): the base,
     * kohya at its strength, and kohya with PEFT stacked.
     */
    private static List<Check> loraChecks(Path dir, JsonNode root, org.bytedeco.pytorch.Device device) {
        JsonNode cfg = root.get("dit"), kohya = root.get("lora_kohya"), peft = root.get("lora_peft");
        Path io = dir.resolve(text(root.path("io"), "file", dir));
        Lora k = new Lora(dir.resolve(text(kohya, "file", dir)), kohya.path("strength").asDouble(1.0));
        DitLoadOptions base = DitLoadOptions.defaults().withOverrides(cfg).withDevice(device);
        List<Check> checks = new ArrayList<>(List.of(
                ditForward(dir, cfg, base, io, "expected_velocity_base", "dit forward, no LoRA", device),
                ditForward(dir, cfg, base.withLoras(List.of(k), false), io, "expected_velocity_kohya",
                        "dit forward, kohya LoRA at " + k.strength(), device)));
        if (peft != null) {
            Lora p = new Lora(dir.resolve(text(peft, "file", dir)), peft.path("strength").asDouble(1.0));
            checks.add(ditForward(dir, cfg, base.withLoras(List.of(k, p), false), io, "expected_velocity_kohya_peft",
                    "dit forward, kohya at " + k.strength() + " + PEFT LoRA at " + p.strength(), device));
        }
        return checks;
    }

    private static Check ditForward(Path dir, JsonNode cfg, DitLoadOptions options, Path io, String expected, String name,
                                    org.bytedeco.pytorch.Device device) {
        Path weights = dir.resolve(cfg.has("file") ? cfg.get("file").asText() : cfg.path("weights").asText(firstMatching(dir, "dit.safetensors")));
        return new Check(name, () -> {
            try (PointerScope scope = new PointerScope();
                 DiffusionTransformer dit = DiffusionTransformer.load(weights, options);
                 Weights w = Weights.open(io)) {
                Tensor x = Ops.toDevice(w.load("x", DType.F32), device);
                boolean single = x.dim() == 4;
                if (single) x = x.unsqueeze(0);
                List<Tensor> text = new ArrayList<>();
                if (w.contains("context")) text.add(Ops.toDevice(w.load("context", DType.F32), device));
                for (int b = 0; w.contains("text_" + b); b++) text.add(Ops.toDevice(w.load("text_" + b, DType.F32), device));
                Tensor t = w.load("t", DType.F64);
                long[] frameLens = w.contains("frame_lens") ? Tensors.toLongs(w.load("frame_lens")) : null;
                Tensor v = dit.forward(x, t, text, frameLens);
                if (single) v = v.squeeze(0);
                return List.of(Comparison.of(expected, v, w.load(expected, DType.F32)));
            }
        });
    }

    /** VAE encoder mean and decoder (chunked, as generation runs them). */
    private static Check vaeRoundTrip(Path dir, JsonNode cfg, org.bytedeco.pytorch.Device device) {
        Path weights = dir.resolve(text(cfg, cfg.has("file") ? "file" : "weights", dir));
        Path io = dir.resolve(text(cfg, "io", dir));
        return new Check("vae encode/decode", () -> {
            try (PointerScope scope = new PointerScope(); WanVae vae = vae(weights, device); Weights w = Weights.open(io)) {
                List<Comparison> out = new ArrayList<>();
                if (w.contains("video") && w.contains("expected_mu"))
                    out.add(Comparison.of("expected_mu", vae.encode(Ops.toDevice(w.load("video", DType.F32), device)),
                            w.load("expected_mu", DType.F32)));
                if (w.contains("z") && w.contains("expected_decoded"))
                    out.add(Comparison.of("expected_decoded", vae.decode(Ops.toDevice(w.load("z", DType.F32), device)),
                            w.load("expected_decoded", DType.F32)));
                return out;
            }
        });
    }

    /** Linum's whole sampling path: noise → Euler + APG over cond/null → latents → denormalise → VAE → pixels. */
    private static Check linumPipeline(Path dir, JsonNode root, org.bytedeco.pytorch.Device device) {
        JsonNode cfg = root.get("pipeline"), ditCfg = root.path("dit"), vaeCfg = root.path("vae");
        Path io = dir.resolve(text(cfg, "io", dir));
        Path ditWeights = dir.resolve(text(ditCfg, "weights", dir));
        int steps = cfg.path("steps").asInt();
        double shift = cfg.path("shift").asDouble(3.0), scale = cfg.path("guide_scale").asDouble();
        return new Check("pipeline (" + steps + " Euler steps, APG " + scale + ")", () -> {
            try (PointerScope scope = new PointerScope(); Weights w = Weights.open(io)) {
                List<Comparison> out = new ArrayList<>();
                Tensor latents;
                LatentScale latentScale;
                try (DitVelocity dit = new DitVelocity(DiffusionTransformer.load(ditWeights,
                        DitLoadOptions.defaults().withOverrides(ditCfg).withDevice(device)));
                     Weights ditFile = Weights.open(ditWeights);
                     FlowMatchEulerScheduler euler = new FlowMatchEulerScheduler(
                             FlowSchedule.shiftedEuler(steps, shift, cfg.path("num_train_timesteps").asInt(1000)));
                     ApgGuidance apg = new ApgGuidance(scale, cfg.path("apg_momentum").asDouble(ApgGuidance.LINUM_MOMENTUM),
                             cfg.path("apg_rescale").asDouble(ApgGuidance.LINUM_RESCALE), cfg.path("apg_eta").asDouble(0))) {
                    Tensor noise = Ops.toDevice(w.load("noise", DType.F32), device);
                    latentScale = LatentScale.fromDit(ditFile, (int) noise.size(1));
                    GuidedVelocity model = TextToVideo.guided(dit, Ops.toDevice(w.load("cond", DType.F32), device),
                            Ops.toDevice(w.load("null", DType.F32), device), false);
                    latents = new FlowSampler(euler, apg).sample(noise, model, FlowSampler.StepListener.NONE);
                }
                out.add(Comparison.of("expected_latents", latents, w.load("expected_latents", DType.F32)));
                if (w.contains("expected_pixels") && vaeCfg.has("weights")) {
                    try (WanVae vae = vae(dir.resolve(vaeCfg.get("weights").asText()), device)) {
                        Tensor pixels = Pixels.fromVae(vae.decode(latentScale.toVae(latents)));
                        out.add(Comparison.of("expected_pixels", pixels, w.load("expected_pixels", DType.F32)));
                    }
                }
                return out;
            }
        });
    }

    /** Wan's sampler run: noise → FlowUniPC with CFG over context/null_context → latents. */
    private static Check wanTrajectory(Path dir, JsonNode root, org.bytedeco.pytorch.Device device) {
        JsonNode cfg = root.get("sampler"), ditCfg = root.path("dit");
        Path io = wanIo(dir, cfg);
        Path weights = dir.resolve(ditCfg.path("weights").asText(firstMatching(dir, "dit.safetensors")));
        int steps = cfg.path("steps").asInt();
        double shift = cfg.path("shift").asDouble(5.0), scale = cfg.path("guide_scale").asDouble(5.0);
        boolean euler = cfg.path("solver").asText("unipc").toLowerCase(java.util.Locale.ROOT).contains("euler");
        return new Check("sampler run (" + steps + " " + (euler ? "Euler" : "UniPC") + " steps, CFG " + scale + ")", () -> {
            try (PointerScope scope = new PointerScope(); Weights w = Weights.open(io);
                 DitVelocity dit = new DitVelocity(DiffusionTransformer.load(weights,
                         DitLoadOptions.defaults().withOverrides(ditCfg).withDevice(device)));
                 FlowScheduler solver = (euler ? FlowScheduler.Kind.EULER : FlowScheduler.Kind.UNIPC)
                         .create(FlowSchedule.wan(steps, shift, 1000));
                 CfgGuidance cfgGuidance = new CfgGuidance(scale)) {
                Tensor noise = Ops.toDevice(w.load("noise", DType.F32), device).unsqueeze(0);
                GuidedVelocity model = TextToVideo.guided(dit, Ops.toDevice(w.load("context", DType.F32), device),
                        Ops.toDevice(w.load("null_context", DType.F32), device), false);
                Tensor latents = new FlowSampler(solver, cfgGuidance).sample(noise, model, FlowSampler.StepListener.NONE).squeeze(0);
                return List.of(Comparison.of("expected_latents", latents, w.load("expected_latents", DType.F32)));
            }
        });
    }

    /** The one file in {@code dir} whose name ends with {@code suffix}. */
    /**
     * Wan's own umT5 (its key names, no config.json: the config comes from the shapes), computing in float32:
     * {@code input_ids}, {@code attention_mask} → {@code expected_hidden} on the unmasked positions.
     */
    private static Check wanUmt5(Path dir, JsonNode cfg, org.bytedeco.pytorch.Device device) {
        Path weights = dir.resolve(text(cfg, "file", dir));
        Path io = dir.resolve(text(cfg, "io", dir));
        return new Check("umt5 encoder (" + weights.getFileName() + ")", () -> {
            try (PointerScope scope = new PointerScope(); Weights w = Weights.open(weights); Weights data = Weights.open(io);
                 T5Encoder enc = T5Encoder.load(null, w, DType.F32, device)) {
                List<Comparison> out = new ArrayList<>();
                if (cfg.has("num_layers")) out.add(Comparison.exact("layers inferred from the shapes",
                        new long[]{enc.config().numLayers(), enc.config().dModel(), enc.config().numHeads()},
                        new long[]{cfg.get("num_layers").asLong(), cfg.path("dim").asLong(), cfg.path("num_heads").asLong()}));
                Tensor mask = data.load("attention_mask");
                Tensor keep = mask.to(DType.F32.scalarType()).unsqueeze(-1);
                Tensor hidden = Ops.toHost(enc.forward(Ops.toDevice(data.load("input_ids"), device),
                        Ops.toDevice(mask, device))).mul(keep);
                out.add(Comparison.of("expected_hidden (unmasked)", hidden, data.load("expected_hidden", DType.F32).mul(keep)));
                return out;
            }
        });
    }

    /**
     * A file that must not load as weights (a pickle that would run code, a format not read): opening and reading it
     * must fail with the project's own error, never run anything.
     */
    private static Check refusal(Path dir, String file, String why) {
        return new Check("refuses " + file, () -> {
            try (Weights w = Weights.open(dir.resolve(file))) {
                for (String n : w.names()) Scopes.run(() -> w.load(n));
                return List.of(Comparison.failed(file, "was read as weights, but should be refused: " + why, true));
            } catch (dev.zoetrope.core.InvalidRequestException | dev.zoetrope.core.safetensors.SafetensorsException e) {
                return List.of(Comparison.exact(file + ": " + e.getMessage(), new long[]{0}, new long[]{0}));
            }
        });
    }

    private static WanVae vae(Path weights, org.bytedeco.pytorch.Device device) {
        return device == null ? WanVae.load(weights) : WanVae.load(weights, null, weights.toString(), device);
    }

    static String firstMatching(Path dir, String suffix) {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).sorted().findFirst()
                    .orElseThrow(() -> new ConfigException(dir + ": no *" + suffix + " file and README.json names none"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
