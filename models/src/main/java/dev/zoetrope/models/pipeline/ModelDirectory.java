package dev.zoetrope.models.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitKeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.text.T5Config;

/**
 * A checkpoint directory and where each part of the model lives in it. {@link #detect} recognises:
 * <ul>
 *   <li>Linum v2: {@code dit/360p.safetensors} or {@code dit/720p.safetensors}, {@code vae/vae.safetensors},
 *       {@code t5/text_encoder/}, {@code t5/tokenizer/} (the DiT and VAE may also be sharded, with
 *       {@code dit/360p.safetensors.index.json} or {@code vae/vae.safetensors.index.json});</li>
 *   <li>zoetrope: the Linum layout plus JSON configs ({@code dit/config.json}, optional {@code vae/config.json},
 *       optional {@value #ZOETROPE_CONFIG} with its own resolutions and defaults);</li>
 *   <li>Wan 2.1 original: {@code diffusion_pytorch_model*.safetensors} with Wan's {@code config.json}, the VAE as a
 *       {@code .safetensors} file (or {@code vae/}), an umT5 encoder directory and a tokenizer directory;</li>
 *   <li>Wan 2.1 Diffusers: {@code model_index.json} with {@code transformer/}, {@code vae/}, {@code text_encoder/},
 *       {@code tokenizer/}.</li>
 * </ul>
 *
 * <p>Each config file is parsed once, here: the DiT's JSON travels to the DiT loader as {@link #ditSettings}, and
 * zoetrope's own settings as {@link #zoetrope}.
 *
 * @param ditConfig a JSON config for the DiT, or null when the dims come from the weight shapes
 * @param vaeConfig a JSON config for the VAE, or null for the standard Wan 2.1 VAE
 * @param resolution the resolution the checkpoint was made for (from Linum's file name), or the family default
 * @param ditSettings the parsed {@code ditConfig} (fields over what the weights tell), or null
 * @param zoetrope the parsed {@code zoetropeConfig}, or null
 * @param textConfig the text encoder's parsed {@code config.json}; null for Wan's released {@code .pth}, whose config
 *                   comes from its shapes
 * @param vaeSettings the parsed {@code vaeConfig}, or null
 */
public record ModelDirectory(Path root, ModelFamily family, Layout layout, String resolution, Path ditWeights,
                             Path ditConfig, Path vaeWeights, Path vaeConfig, Path textEncoder, Path tokenizer,
                             Path zoetropeConfig, JsonNode ditSettings, ZoetropeConfig zoetrope, T5Config textConfig,
                             JsonNode vaeSettings) {
    /** A zoetrope model's own settings, overriding the family's: see {@link ZoetropeConfig}. */
    public static final String ZOETROPE_CONFIG = "zoetrope.json";

    public enum Layout {
        LINUM("Linum v2 layout (dit/, vae/, t5/)"),
        ZOETROPE("zoetrope layout (Linum's, with JSON configs)"),
        WAN_ORIGINAL("Wan 2.1 original layout (diffusion_pytorch_model.safetensors + config.json)"),
        WAN_DIFFUSERS("Wan 2.1 Diffusers layout (model_index.json, transformer/, vae/, text_encoder/, tokenizer/)");

        private final String description;

        Layout(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    public ModelCapabilities capabilities() {
        if (zoetrope == null) return family.capabilities(resolution);
        Map<String, int[]> res = zoetrope.resolutionSizes();
        ModelCapabilities base = res.isEmpty() ? family.capabilities(resolution)
                : family.capabilities(family.resolutions().keySet().iterator().next());
        if (res.isEmpty()) res.putAll(base.resolutions());
        String def = zoetrope.defaultResolution() != null ? zoetrope.defaultResolution()
                : res.containsKey(resolution) ? resolution : res.keySet().iterator().next();
        if (!res.containsKey(def))
            throw new ConfigException(zoetropeConfig + ": default_resolution '" + def + "' is not among " + res.keySet());
        ZoetropeConfig z = zoetrope;
        return new ModelCapabilities(family.displayName() + " (zoetrope)", res, def,
                or(z.minSeconds(), base.minSeconds()), or(z.maxSeconds(), base.maxSeconds()),
                or(z.defaultSeconds(), base.defaultSeconds()), or(z.fps(), base.fps()),
                base.minSteps(), base.maxSteps(), or(z.defaultSteps(), base.defaultSteps()),
                or(z.defaultGuidance(), base.defaultGuidance()), or(z.defaultNegativePrompt(), base.defaultNegativePrompt()),
                or(z.defaultSeed(), base.defaultSeed()), base.maxPromptTokens());
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /** The schedule shift to sample with: {@code shift} in {@code zoetrope.json}, else the family's. */
    public double shift() {
        return zoetrope != null && zoetrope.shift() != null ? zoetrope.shift() : family.shift();
    }

    /**
     * The model's name as a user would give it again: {@code ORG/NAME@COMMIT} for a snapshot in the hub cache, else the
     * directory's name.
     */
    public String name() {
        Path abs = root.toAbsolutePath().normalize();
        Path parent = abs.getParent(), repo = parent == null ? null : parent.getParent();
        if (repo != null && repo.getFileName() != null && parent.getFileName().toString().equals("snapshots")
                && repo.getFileName().toString().startsWith("models--")) {
            String id = repo.getFileName().toString().substring("models--".length()).replaceFirst("--", "/");
            return id + "@" + abs.getFileName();
        }
        return abs.getFileName() == null ? abs.toString() : abs.getFileName().toString();
    }

    /** The longest {@code text_len} a DiT config may give: the released models attend to 256 or 512 tokens. */
    public static final int MAX_TEXT_LENGTH = 4096;

    public ModelDirectory {
        // checked when the directory is opened, before anything is allocated for a prompt of that length
        textLength(family, ditConfig, ditSettings);
    }

    /** Prompts are cut to what the DiT attends to: its config's {@code text_len}, else the family's. */
    public int textLength() {
        return textLength(family, ditConfig, ditSettings);
    }

    private static int textLength(ModelFamily family, Path ditConfig, JsonNode ditSettings) {
        JsonNode len = ditSettings == null ? null : ditSettings.get("text_len");
        if (len == null) return family.textLength();
        if (!len.isIntegralNumber() || !len.canConvertToInt() || len.asInt() < 2 || len.asInt() > MAX_TEXT_LENGTH)
            throw new ConfigException(ditConfig + ": text_len must be a whole number from 2 to " + MAX_TEXT_LENGTH + ", not " + len);
        return len.asInt();
    }

    /** One line per part, for {@code zoetrope info}. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("family: " + family.displayName() + ", " + layout.description());
        lines.add("dit: " + shown(ditWeights) + (ditConfig == null ? "" : " (config " + shown(ditConfig) + ")"));
        lines.add("vae: " + shown(vaeWeights) + (vaeConfig == null ? "" : " (config " + shown(vaeConfig) + ")"));
        lines.add("text encoder: " + shown(textEncoder));
        lines.add("tokenizer: " + shown(tokenizer));
        ModelCapabilities c = capabilities();
        lines.add(String.format(Locale.ROOT, "defaults: %s, %d fps, %.4g s, %d steps, %s %.3g, %s sampler with shift %.3g",
                c.defaultResolution(), c.fps(), c.defaultSeconds(), c.defaultSteps(), family.guidance().name(),
                c.defaultGuidance(), family.solver().name(), shift()));
        return lines;
    }

    /** A part inside the directory relative to it; a part given from elsewhere ({@link #withParts}) in full. */
    private Path shown(Path part) {
        return part.startsWith(root) ? root.relativize(part) : part;
    }

    /**
     * The model a user names: a directory, or a Hugging Face repo id found in the local hub cache (see {@link
     * HubCache}), detected as {@link #detect} does.
     *
     * @param revision the repo's branch, tag or commit; null for {@code main}
     */
    public static ModelDirectory resolve(String dirOrRepoId, String revision) {
        return detect(HubCache.resolve(dirOrRepoId, revision));
    }

    /**
     * Parts given separately, replacing the directory's own (Linum's {@code --model-path}, {@code --vae-path},
     * {@code --t5-encoder-path}, {@code --t5-tokenizer-path}); a null part keeps the directory's.
     *
     * @param dit         a DiT weights file, shard index or directory; a {@code config.json} beside it is its config
     * @param vae         a VAE weights file or directory
     * @param textEncoder a text encoder directory ({@code config.json} + weights)
     * @param tokenizer   a tokenizer directory, {@code spiece.model} or {@code tokenizer.json}
     */
    public record Overrides(Path dit, Path vae, Path textEncoder, Path tokenizer) {
        public static final Overrides NONE = new Overrides(null, null, null, null);

        public boolean isEmpty() {
            return dit == null && vae == null && textEncoder == null && tokenizer == null;
        }
    }

    /** This model with some parts from elsewhere; each replaced part's config is read from beside it, once, here. */
    public ModelDirectory withParts(Overrides parts) {
        Path dit = ditWeights, ditCfg = ditConfig, vae = vaeWeights, vaeCfg = vaeConfig;
        Path text = textEncoder, tok = tokenizer;
        String res = resolution;
        JsonNode ditJson = ditSettings, vaeJson = vaeSettings;
        T5Config textCfg = textConfig;
        if (parts.dit() != null) {
            dit = parts.dit();
            if (!Files.exists(dit)) throw new ModelLoadException(dit + ": missing the DiT weights (no such file)");
            ditCfg = optionalFile((Files.isDirectory(dit) ? dit : dit.toAbsolutePath().getParent()).resolve("config.json"));
            ditJson = readOrNull(ditCfg);
            // Linum names its DiT by resolution (dit/360p.safetensors); another name keeps the directory's resolution.
            String stem = stripExtension(dit);
            if (family == ModelFamily.LINUM && (family.resolutions().containsKey(stem)
                    || zoetrope != null && zoetrope.resolutions().containsKey(stem))) res = stem;
        }
        if (parts.vae() != null) {
            vae = parts.vae();
            if (!Files.exists(vae)) throw new ModelLoadException(vae + ": missing the VAE weights (no such file)");
            // a config.json beside a VAE file is the VAE's only in a vae/ folder (beside Wan's VAE file is the DiT's)
            Path folder = Files.isDirectory(vae) ? vae : vae.toAbsolutePath().getParent();
            vaeCfg = Files.isDirectory(vae) || folder.getFileName().toString().equals("vae")
                    ? optionalFile(folder.resolve("config.json")) : null;
            vaeJson = readOrNull(vaeCfg);
        }
        if (parts.textEncoder() != null) {
            text = requireDir(parts.textEncoder(), "the text encoder (config.json + *.safetensors)");
            textCfg = T5Config.read(require(text.resolve("config.json"), "the text encoder's config"));
        }
        if (parts.tokenizer() != null) {
            tok = parts.tokenizer();
            if (!Files.isRegularFile(tok)) requireTokenizer(tok);
        }
        return new ModelDirectory(root, family, layout, res, dit, ditCfg, vae, vaeCfg, text, tok, zoetropeConfig, ditJson,
                zoetrope, textCfg, vaeJson);
    }

    /**
     * The DiT's width, read from the weights' header (nothing is loaded): what tells Wan 2.1's 1.3B from its 14B.
     */
    public int ditDim() {
        try (Weights w = Weights.open(ditWeights)) {
            DitKeyLayout keys = DitKeyLayout.detect(w);
            String patch = keys.fileKey("patch_embedding.weight");
            return w.info(patch).map(i -> (int) i.shape()[0]).orElseThrow(() -> new ModelLoadException(
                    w.source() + ": missing tensor " + patch + ", which every DiT checkpoint has"));
        }
    }

    /** Recognises the layout of {@code dir}; the message of the exception says what is missing. */
    public static ModelDirectory detect(Path dir) {
        if (!Files.isDirectory(dir)) throw new ModelLoadException(dir + ": not a directory");
        try {
            if (Files.isDirectory(dir.resolve("dit"))) return linum(dir);
            if (Files.isRegularFile(dir.resolve("model_index.json"))) return wanDiffusers(dir);
            if (!list(dir, "diffusion_pytorch_model", ".safetensors").isEmpty()
                    || !list(dir, "diffusion_pytorch_model", ".safetensors.index.json").isEmpty()) return wanOriginal(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new ModelLoadException(dir + ": not a model directory I recognise. Expected a Linum/zoetrope layout "
                + "(dit/, vae/, t5/), a Wan 2.1 original layout (diffusion_pytorch_model.safetensors + config.json) or a "
                + "Diffusers layout (model_index.json)");
    }

    private static ModelDirectory linum(Path dir) throws IOException {
        Path ditDir = dir.resolve("dit");
        Path zoetrope = optionalFile(dir.resolve(ZOETROPE_CONFIG));
        ZoetropeConfig settings = zoetrope == null ? null : ZoetropeConfig.read(zoetrope);
        Path dit = null;
        String resolution = null;
        List<String> names = new ArrayList<>(List.of("360p", "720p"));
        if (settings != null) names.addAll(settings.resolutions().keySet());
        for (String r : names) {
            Path p = weightsFile(ditDir, r);
            if (p != null) {
                if (dit != null)
                    throw new ModelLoadException(ditDir + ": holds both " + dit.getFileName() + " and " + p.getFileName()
                            + "; keep one resolution per directory");
                dit = p;
                resolution = r;
            }
        }
        if (dit == null) {
            // Weights under a name no config declares are there, just not recognised: say which config is missing.
            List<Path> others = list(ditDir, "", ".safetensors.index.json");
            if (others.isEmpty()) others = list(ditDir, "", ".safetensors");
            if (!others.isEmpty()) {
                String stem = others.getFirst().getFileName().toString().replaceFirst("\\.safetensors(\\.index\\.json)?$", "");
                throw new ModelLoadException(others.getFirst() + ": the DiT weights are named for resolution '" + stem + "', which "
                        + (settings == null ? "is not Linum v2's (360p, 720p) and no " + ZOETROPE_CONFIG + " declares: "
                        + dir.resolve(ZOETROPE_CONFIG) + " is missing" : zoetrope + " does not declare (it has "
                        + String.join(", ", settings.resolutions().keySet()) + ")"));
            }
            throw new ModelLoadException(ditDir + ": missing the DiT weights: expected "
                    + String.join(" or ", names.stream().distinct().map(n -> n + ".safetensors").toList()));
        }
        Path vae = weightsFile(dir.resolve("vae"), "vae");
        if (vae == null) throw new ModelLoadException(dir.resolve("vae/vae.safetensors") + ": missing the VAE weights");
        Path text = requireDir(dir.resolve("t5/text_encoder"), "the T5 text encoder (config.json + *.safetensors)");
        Path tok = requireTokenizer(dir.resolve("t5/tokenizer"));
        Path ditConfig = optionalFile(ditDir.resolve("config.json"));
        // Linum's own release has no DiT config: its dims follow from the weights and Linum's conventions. A zoetrope
        // model's do not (its head count and text length are not in the weights), so it must have one.
        if (zoetrope != null && ditConfig == null)
            throw new ModelLoadException(ditDir.resolve("config.json") + ": missing the DiT config, which a zoetrope model "
                    + "(it has " + ZOETROPE_CONFIG + ") needs: its head count and text length cannot be read from the weights");
        Path vaeConfig = optionalFile(dir.resolve("vae/config.json"));
        Layout layout = ditConfig != null || zoetrope != null ? Layout.ZOETROPE : Layout.LINUM;
        return new ModelDirectory(dir, ModelFamily.LINUM, layout, resolution, dit, ditConfig, vae, vaeConfig, text, tok, zoetrope,
                readOrNull(ditConfig), settings, T5Config.read(text.resolve("config.json")), readOrNull(vaeConfig));
    }

    private static ModelDirectory wanDiffusers(Path dir) {
        JsonNode index = Json.readTree(dir.resolve("model_index.json"));
        String cls = index.path("_class_name").asText("");
        if (!cls.isEmpty() && !cls.toLowerCase(Locale.ROOT).contains("wan"))
            throw new ModelLoadException(dir.resolve("model_index.json") + ": pipeline class " + cls
                    + " is not a Wan pipeline; only Wan 2.1 Diffusers checkpoints are supported");
        Path transformer = requireDir(dir.resolve("transformer"), "the transformer (config.json + *.safetensors)");
        require(transformer.resolve("config.json"), "the transformer config");
        Path vae = requireDir(dir.resolve("vae"), "the VAE (*.safetensors)");
        Path text = requireDir(dir.resolve("text_encoder"), "the umT5 text encoder (config.json + *.safetensors)");
        Path tok = requireTokenizer(dir.resolve("tokenizer"));
        Path config = transformer.resolve("config.json");
        Path vaeConfig = optionalFile(vae.resolve("config.json"));
        return new ModelDirectory(dir, ModelFamily.WAN, Layout.WAN_DIFFUSERS, wanResolution(), transformer,
                config, vae, vaeConfig, text, tok, null, Json.readTree(config), null, T5Config.read(text.resolve("config.json")),
                readOrNull(vaeConfig));
    }

    private static ModelDirectory wanOriginal(Path dir) throws IOException {
        Path config = require(dir.resolve("config.json"), "Wan's DiT config.json");
        List<Path> index = list(dir, "diffusion_pytorch_model", ".safetensors.index.json");
        Path dit = index.size() == 1 ? index.getFirst() : dir.resolve("diffusion_pytorch_model.safetensors");
        if (!Files.isRegularFile(dit)) {
            List<Path> shards = list(dir, "diffusion_pytorch_model", ".safetensors");
            if (shards.size() != 1)
                throw new ModelLoadException(dir + ": " + shards.size() + " diffusion_pytorch_model*.safetensors shards "
                        + "but no diffusion_pytorch_model.safetensors.index.json to say which tensor is where");
            dit = shards.getFirst();
        }
        Path vae = findVae(dir);
        Map<Path, JsonNode> configs = new HashMap<>();
        // the release ships Wan's own umT5 as one .pth (config from its shapes); a converted one is a HF directory
        Path releasedText = firstFile(dir, "models_t5_", ".pth", ".safetensors");
        Path text = releasedText != null ? releasedText : findSubdir(dir, "the umT5 text encoder (models_t5_umt5-xxl-enc-bf16.pth, "
                + "or a directory with config.json of model_type umt5 and *.safetensors)", p -> isTextEncoder(p, configs));
        Path tok = findSubdir(dir, "the tokenizer (a directory with spiece.model or tokenizer.json, e.g. google/umt5-xxl)",
                p -> Files.isRegularFile(p.resolve("spiece.model")) || Files.isRegularFile(p.resolve("tokenizer.json")));
        Path vaeConfig = Files.isDirectory(vae) ? optionalFile(vae.resolve("config.json")) : null;
        return new ModelDirectory(dir, ModelFamily.WAN, Layout.WAN_ORIGINAL, wanResolution(), dit, config, vae,
                vaeConfig, text, tok, null, Json.readTree(config), null,
                releasedText != null ? null : T5Config.fromJson(configs.get(text), text.resolve("config.json").toString()),
                readOrNull(vaeConfig));
    }

    private static String wanResolution() {
        return "480p";
    }

    private static Path findVae(Path dir) throws IOException {
        if (Files.isDirectory(dir.resolve("vae"))) return dir.resolve("vae");
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> vae = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).contains("vae")).sorted().toList();
            // safetensors first; the release's Wan2.1_VAE.pth is read by the safe PyTorch reader
            for (String ext : List.of(".safetensors", ".pth", ".pt"))
                for (Path p : vae) if (p.getFileName().toString().endsWith(ext)) return p;
        }
        throw new ModelLoadException(dir + ": missing the VAE: expected a *vae*.safetensors or *vae*.pth file (e.g. Wan2.1_VAE.pth)");
    }

    /** A directory whose config.json is a T5 encoder's; the parsed configs are kept in {@code parsed}. */
    private static boolean isTextEncoder(Path p, Map<Path, JsonNode> parsed) {
        Path cfg = p.resolve("config.json");
        if (!Files.isRegularFile(cfg)) return false;
        String type = parsed.computeIfAbsent(p, d -> Json.readTree(cfg)).path("model_type").asText("");
        return type.equals("umt5") || type.equals("t5");
    }

    /** The first directory up to two levels down that satisfies {@code test}. */
    private static Path findSubdir(Path dir, String what, java.util.function.Predicate<Path> test) throws IOException {
        try (Stream<Path> s = Files.walk(dir, 2)) {
            Optional<Path> found = s.filter(p -> !p.equals(dir) && Files.isDirectory(p)).sorted().filter(test).findFirst();
            return found.orElseThrow(() -> new ModelLoadException(dir + ": missing " + what));
        }
    }

    /** The first file of {@code dir} named {@code prefix…ext}, trying the extensions in order; null when there is none. */
    private static Path firstFile(Path dir, String prefix, String... exts) throws IOException {
        for (String ext : exts) {
            List<Path> found = list(dir, prefix, ext);
            if (!found.isEmpty()) return found.getFirst();
        }
        return null;
    }

    private static String stripExtension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /**
     * {@code dir/stem.safetensors}, or its shard index {@code dir/stem.safetensors.index.json} (convert writes one for
     * a large part); null if neither.
     */
    private static Path weightsFile(Path dir, String stem) {
        Path single = dir.resolve(stem + ".safetensors"), index = dir.resolve(stem + ".safetensors.index.json");
        return Files.isRegularFile(single) ? single : Files.isRegularFile(index) ? index : null;
    }

    private static Path require(Path p, String what) {
        if (!Files.isRegularFile(p)) throw new ModelLoadException(p + ": missing " + what);
        return p;
    }

    private static Path requireDir(Path p, String what) {
        if (!Files.isDirectory(p)) throw new ModelLoadException(p + ": missing " + what);
        return p;
    }

    private static Path requireTokenizer(Path p) {
        requireDir(p, "the tokenizer (spiece.model or tokenizer.json)");
        if (!Files.isRegularFile(p.resolve("spiece.model")) && !Files.isRegularFile(p.resolve("tokenizer.json")))
            throw new ModelLoadException(p + ": missing the tokenizer: neither spiece.model nor tokenizer.json");
        return p;
    }

    private static JsonNode readOrNull(Path config) {
        return config == null ? null : Json.readTree(config);
    }

    private static Path optionalFile(Path p) {
        return Files.isRegularFile(p) ? p : null;
    }

    private static List<Path> list(Path dir, String prefix, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(suffix);
            }).sorted().toList();
        }
    }
}
