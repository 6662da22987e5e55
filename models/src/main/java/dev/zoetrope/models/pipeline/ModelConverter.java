package dev.zoetrope.models.pipeline;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.io.AtomicFiles;
import dev.zoetrope.core.safetensors.SafetensorsException;
import dev.zoetrope.core.safetensors.SafetensorsStreamWriter.Planned;
import dev.zoetrope.core.safetensors.ShardedSafetensorsWriter;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitCheckpoints;
import dev.zoetrope.models.dit.DitKeyLayout;
import dev.zoetrope.models.dit.DitLoadOptions;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.vae.LatentScale;
import dev.zoetrope.models.vae.VaeCheckpoints;
import dev.zoetrope.models.vae.VaeLayout;
import dev.zoetrope.models.vae.WanVae;

/**
 * Rewrites a model directory ({@link ModelDirectory#detect}), or one DiT checkpoint file, in a target layout:
 * Linum v2 models in the Linum/zoetrope layout, Wan 2.1 models in the Diffusers layout, optionally cast and sharded.
 *
 * <p>Tensor by tensor, so checkpoints larger than memory convert: every part is first {@code plan}ned (its weights
 * opened, its model built over shape-only tensors with every load-time check done, nothing read), so a checkpoint
 * the model would refuse fails before a byte is written; then each declared parameter is read (cast as asked),
 * appended to a {@link ShardedSafetensorsWriter} and freed, and peak memory stays near one tensor.
 *
 * <p>Atomic: everything is written into {@code OUT.part} (marked as ours), which is renamed to {@code OUT} at the
 * end. An existing non-empty {@code OUT} is refused; a failure removes {@code OUT.part}, and one left by a killed run
 * is removed by the next.
 */
public final class ModelConverter {
    /** Hugging Face's default shard size. */
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;
    /** Marks a staging directory as convert's own, so a later run may delete it. */
    static final String MARKER = ".zoetrope-convert";

    private ModelConverter() {}

    /** The layout to write. */
    public enum Target {
        /** Linum's directory layout with zoetrope's JSON configs: dit/, vae/, t5/. */
        LINUM("Linum/zoetrope layout"),
        /** Diffusers': model_index.json, transformer/, vae/, text_encoder/, tokenizer/. */
        DIFFUSERS("Diffusers layout");

        private final String description;

        Target(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }

        public static Target parse(String name) {
            return switch (name.trim().toLowerCase(Locale.ROOT)) {
                case "linum", "zoetrope" -> LINUM;
                case "diffusers" -> DIFFUSERS;
                default -> throw new InvalidRequestException("unknown layout '" + name + "'; use linum or diffusers");
            };
        }

        /** The layout a family's models are published in. */
        static Target of(ModelFamily family) {
            return family == ModelFamily.LINUM ? LINUM : DIFFUSERS;
        }
    }

    /**
     * @param layout     null for the input family's own ({@link Target#of})
     * @param dtype      floating tensors are stored in this dtype; null keeps each tensor's stored dtype
     * @param shardBytes a weights file holds at most this many bytes of tensors; larger parts are sharded
     */
    public record Options(Target layout, DType dtype, long shardBytes) {
        public Options {
            if (dtype != null && !dtype.isFloating())
                throw new InvalidRequestException("the dtype to convert to must be floating, not " + dtype.code());
            if (shardBytes < 1) throw new InvalidRequestException("the shard size must be positive, not " + shardBytes);
        }

        public static Options defaults() {
            return new Options(null, null, DEFAULT_SHARD_BYTES);
        }
    }

    /** Told the bytes of tensors written so far and the total, after each tensor. */
    @FunctionalInterface
    public interface Progress {
        void bytes(long done, long total);
    }

    /**
     * @param description what {@code out} is
     * @param notes       what the user should know: tensors left out, a stale staging directory removed
     */
    public record Result(Path out, String description, int files, int tensors, long bytes, List<String> notes) {}

    /** One tensor to write: its name, dtype and shape in the output, the file key it comes from, and how to read it. */
    private record Item(Planned planned, String source, Supplier<Tensor> read) {}

    /** One weights file set: {@code dir} (relative to the output root), its file name stem and its tensors in order. */
    private record Part(String dir, String stem, List<Item> items, long shardBytes) {}

    @FunctionalInterface
    private interface SideFile {
        void write(Path root) throws IOException;
    }

    /** Everything to write, planned before anything is, and what must stay open meanwhile. */
    private static final class Plan implements AutoCloseable {
        final List<Part> parts = new ArrayList<>();
        final List<SideFile> files = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        private final Deque<AutoCloseable> open = new ArrayDeque<>();
        String description;

        <T extends AutoCloseable> T keep(T c) {
            open.push(c);
            return c;
        }

        long bytes() {
            return parts.stream().flatMap(p -> p.items().stream()).mapToLong(i -> i.planned().byteLength()).sum();
        }

        @Override
        public void close() {
            RuntimeException failure = null;
            while (!open.isEmpty()) {
                try {
                    open.pop().close();
                } catch (Exception e) {
                    if (failure == null) failure = new IllegalStateException("cannot close a converted part", e);
                    else failure.addSuppressed(e);
                }
            }
            if (failure != null) throw failure;
        }
    }

    /**
     * Converts {@code in} (a model directory, or one DiT checkpoint file) to {@code out}. For a DiT file, {@code out}
     * ending in {@code .safetensors} is one unsharded file; any other {@code out} is a folder as the target layout
     * keeps a DiT in (Linum's {@code dit/}: {@code NAME.safetensors} + {@code config.json}; Diffusers'
     * {@code transformer/}: {@code diffusion_pytorch_model.safetensors} + {@code config.json}).
     */
    public static Result convert(Path in, Path out, Options options, Progress progress) throws IOException {
        if (!Files.exists(in)) throw new InvalidRequestException(in + ": no such file or directory");
        Engine.init();
        Path src = in.toAbsolutePath().normalize(), dst = out.toAbsolutePath().normalize();
        boolean singleFile = !Files.isDirectory(src);
        boolean fileOut = singleFile && dst.getFileName().toString().endsWith(".safetensors");
        checkOut(src, dst, fileOut);
        Path staging = dst.resolveSibling(dst.getFileName() + ".part");
        List<String> notes = new ArrayList<>();
        removeStale(staging, notes);
        try (Plan plan = singleFile ? planFile(src, dst, fileOut, options) : planDirectory(src, options)) {
            notes.addAll(plan.notes);
            long total = plan.bytes();
            requireSpace(dst, total);
            Files.createDirectories(staging);
            Files.writeString(staging.resolve(MARKER), "unfinished zoetrope convert of " + src + "\n");
            boolean done = false;
            int files = 0, tensors = 0;
            try {
                long written = 0;
                progress.bytes(0, total);
                for (Part part : plan.parts) {
                    Path dir = staging.resolve(part.dir());
                    Files.createDirectories(dir);
                    List<Planned> planned = part.items().stream().map(Item::planned).toList();
                    try (ShardedSafetensorsWriter w = ShardedSafetensorsWriter.open(dir, part.stem(), planned, part.shardBytes(),
                            Map.of("format", "pt"))) {
                        for (Item item : part.items()) {
                            // the tensor (and any cast of it) is freed before the next is read
                            try (PointerScope scope = new PointerScope()) {
                                w.write(item.planned().name(), item.read().get());
                            }
                            written += item.planned().byteLength();
                            tensors++;
                            progress.bytes(written, total);
                        }
                        w.commit();
                        files += w.files().size();
                    }
                }
                for (SideFile f : plan.files) f.write(staging);
                if (fileOut) {
                    move(staging.resolve(dst.getFileName().toString()), dst);
                    deleteTree(staging);
                } else {
                    if (Files.isDirectory(dst)) Files.delete(dst); // checked empty above
                    move(staging, dst);
                    Files.delete(dst.resolve(MARKER));
                }
                syncDirectory(dst.getParent());
                done = true;
            } finally {
                if (!done) deleteQuietly(staging);
            }
            return new Result(dst, plan.description, files, tensors, total, List.copyOf(notes));
        }
    }

    // ------------------------------------------------------------------ planning

    private static Plan planDirectory(Path src, Options options) {
        ModelDirectory md = ModelDirectory.detect(src);
        Target target = target(options.layout(), md.family(), src);
        boolean linum = target == Target.LINUM;
        DType dtype = options.dtype();
        Plan plan = new Plan();
        try {
            plan.description = "a " + md.family().displayName() + " model in the " + target.description();

            Weights dw = plan.keep(open(md.ditWeights()));
            DiffusionTransformer dit = plan.keep(DiffusionTransformer.plan(dw,
                    DitLoadOptions.defaults().withOverrides(md.ditSettings()).withCast(dtype)));
            List<Item> ditItems = items(dit.params(), dw, linum ? DitKeyLayout.LINUM : DitKeyLayout.WAN_DIFFUSERS, dtype);
            if (linum) latentBuffers(dw, ditItems, plan);
            noteLeftOut(plan, dw, "DiT", ditItems);
            plan.parts.add(new Part(linum ? "dit" : "transformer", linum ? md.resolution() : "diffusion_pytorch_model", ditItems,
                    options.shardBytes()));
            // the input's own config is kept (extra fields included) when it is already in the target's format
            boolean sameFormat = linum ? md.layout() == ModelDirectory.Layout.ZOETROPE : md.layout() == ModelDirectory.Layout.WAN_DIFFUSERS;
            ObjectNode ditConfig = overlay(sameFormat ? md.ditSettings() : null,
                    linum ? Json.PLAIN.valueToTree(dit.config().toJson()) : DitCheckpoints.diffusersConfig(dit.config()));
            plan.files.add(root -> writeJson(root.resolve(linum ? "dit/config.json" : "transformer/config.json"), ditConfig));

            Weights vw = plan.keep(open(md.vaeWeights()));
            WanVae vae = plan.keep(WanVae.plan(vw, md.vaeSettings(), String.valueOf(md.vaeConfig())));
            List<Item> vaeItems = items(vae.params(), vw, (linum ? VaeLayout.ORIGINAL : VaeLayout.DIFFUSERS).keys(vae.config()), dtype);
            noteLeftOut(plan, vw, "VAE", vaeItems);
            plan.parts.add(new Part("vae", linum ? "vae" : "diffusion_pytorch_model", vaeItems, options.shardBytes()));
            if (!linum) {
                LatentScale norm = vae.latentNormalization().filter(n -> n.mean() != null).orElseThrow(() -> new ModelLoadException(
                        md.vaeWeights() + ": a Diffusers VAE config needs the latent mean and std (latents_mean, latents_std), and this "
                                + vae.config().zDim() + "-channel VAE has no config giving them"));
                ObjectNode vaeConfig = overlay(md.vaeSettings(), VaeCheckpoints.diffusersConfig(vae.config(), norm));
                plan.files.add(root -> writeJson(root.resolve("vae/config.json"), vaeConfig));
            } else if (md.vaeSettings() != null) {
                ObjectNode vaeConfig = overlay(md.vaeSettings(), Json.CONFIG.valueToTree(vae.config()));
                plan.files.add(root -> writeJson(root.resolve("vae/config.json"), vaeConfig));
            }

            Weights tw = plan.keep(open(md.textEncoder()));
            T5Encoder t5 = plan.keep(T5Encoder.plan(md.textConfig(), tw, dtype));
            List<Item> textItems = items(t5.params(), tw, KeyLayout.SAME, dtype);
            noteLeftOut(plan, tw, "text encoder", textItems);
            String textDir = linum ? "t5/text_encoder" : "text_encoder";
            plan.parts.add(new Part(textDir, "model", textItems, options.shardBytes()));
            Path textJson = md.textEncoder().resolve("config.json");
            ObjectNode textConfig = overlay(Files.isRegularFile(textJson) ? Json.readTree(textJson) : null, t5.config().toHuggingFace());
            if (dtype != null && textConfig.has("torch_dtype")) textConfig.put("torch_dtype", torchName(dtype));
            plan.files.add(root -> writeJson(root.resolve(textDir + "/config.json"), textConfig));

            plan.files.add(root -> copyTree(md.tokenizer(), root.resolve(linum ? "t5/tokenizer" : "tokenizer")));
            if (linum) {
                if (md.zoetropeConfig() != null)
                    plan.files.add(root -> Files.copy(md.zoetropeConfig(), root.resolve(ModelDirectory.ZOETROPE_CONFIG)));
            } else if (md.layout() == ModelDirectory.Layout.WAN_DIFFUSERS) {
                plan.files.add(root -> {
                    Files.copy(src.resolve("model_index.json"), root.resolve("model_index.json"));
                    if (Files.isDirectory(src.resolve("scheduler"))) copyTree(src.resolve("scheduler"), root.resolve("scheduler"));
                });
            } else {
                plan.files.add(root -> writeJson(root.resolve("model_index.json"), modelIndex()));
            }
            return plan;
        } catch (RuntimeException e) {
            plan.close();
            throw e;
        }
    }

    private static Plan planFile(Path src, Path dst, boolean fileOut, Options options) {
        Plan plan = new Plan();
        try {
            Weights w = plan.keep(open(src));
            DitKeyLayout.Detected found = DitKeyLayout.find(w);
            ModelFamily family = found.layout().family();
            Target target = target(options.layout(), family, src);
            boolean linum = target == Target.LINUM;
            DiffusionTransformer dit = plan.keep(DiffusionTransformer.plan(w, DitLoadOptions.defaults().withCast(options.dtype())));
            List<Item> items = items(dit.params(), w, linum ? DitKeyLayout.LINUM : DitKeyLayout.WAN_DIFFUSERS, options.dtype());
            if (linum) latentBuffers(w, items, plan);
            if (!found.wrapper().isEmpty()) plan.notes.add("unwrapped the DiT from under '" + found.wrapper() + "'");
            noteLeftOut(plan, w, "DiT", items);
            String stem = fileOut ? dst.getFileName().toString().replaceFirst("\\.safetensors$", "")
                    : linum ? stem(src) : "diffusion_pytorch_model";
            plan.parts.add(new Part(".", stem, items, fileOut ? Long.MAX_VALUE : options.shardBytes()));
            if (!fileOut) {
                ObjectNode config = linum ? Json.PLAIN.valueToTree(dit.config().toJson()) : DitCheckpoints.diffusersConfig(dit.config());
                plan.files.add(root -> writeJson(root.resolve("config.json"), config));
            }
            plan.description = "a " + family.displayName() + " DiT " + (fileOut ? "file" : linum ? "folder (as dit/)" : "folder (as transformer/)")
                    + " in " + (linum ? "Linum" : "Diffusers") + " names";
            return plan;
        } catch (RuntimeException e) {
            plan.close();
            throw e;
        }
    }

    private static Target target(Target asked, ModelFamily family, Path in) {
        Target natural = Target.of(family);
        if (asked == null || asked == natural) return natural;
        throw new InvalidRequestException(switch (family) {
            case LINUM -> in + " is a Linum v2 model, which has no Diffusers layout: no Diffusers pipeline runs it, and its latent "
                    + "scale (video_data_scale, video_data_bias) lives in its DiT checkpoint, where Diffusers' names have no place "
                    + "for it. Use --layout linum";
            case WAN -> in + " is a Wan 2.1 model, which has no Linum layout: that layout is Linum v2's (its DiT carries Linum's "
                    + "latent scale and its text encoder is T5 v1.1; Wan's latent scale lives in the VAE config). Use --layout diffusers";
        });
    }

    /**
     * The declared parameters of a planned model, in declaration order, named by {@code to}. Floating tensors are
     * stored in {@code dtype} (null: as stored). A part whose model loads in another dtype than the output wants
     * (the VAE always loads float32) is read with one cast from the stored tensor, so a kept bf16 stays bit-exact.
     */
    private static List<Item> items(Params p, Weights w, KeyLayout to, DType dtype) {
        List<Item> out = new ArrayList<>();
        for (Params.Declared d : p.declared()) {
            String key = d.key(), file = p.fileKey(key);
            TensorInfo info = w.info(file).orElseThrow();
            // fp8 weights mean something only with their scales (scale_weight), which no target layout names
            if (dtype == null && info.dtype().isFloat8())
                throw new InvalidRequestException(w.source() + " stores '" + file + "' as " + info.dtype().code() + "; fp8 weights are "
                        + "kept only with their scales, which the target layout has no names for: convert with --dtype bf16 or f32");
            DType want = dtype != null && info.dtype().isFloating() ? dtype : info.dtype();
            Supplier<Tensor> read = Tensors.dtype(p.tensor(key)) == want ? () -> p.read(key) : () -> w.load(file, want);
            out.add(new Item(new Planned(to.fileKey(key), want, info.shape()), file, read));
        }
        return out;
    }

    /** Linum's latent scale beside {@code model.*}, copied as stored: it is tiny, and the latents depend on it exactly. */
    private static void latentBuffers(Weights w, List<Item> items, Plan plan) {
        boolean any = false;
        for (String name : List.of(LatentScale.SCALE_KEY, LatentScale.BIAS_KEY)) {
            TensorInfo info = w.info(name).orElse(null);
            if (info == null) continue;
            items.add(new Item(new Planned(name, info.dtype(), info.shape()), name, () -> w.load(name)));
            any = true;
        }
        if (!any) plan.notes.add(w.source() + " has no " + LatentScale.SCALE_KEY + "/" + LatentScale.BIAS_KEY
                + ": a Linum model directory needs them beside the DiT's tensors");
    }

    private static void noteLeftOut(Plan plan, Weights w, String part, List<Item> items) {
        Set<String> used = new HashSet<>();
        for (Item i : items) used.add(i.source());
        // fp8 scales and markers went into the dequantized weights: they are written, as part of them
        List<String> left = w.names().stream().filter(n -> !used.contains(n) && !n.endsWith(".scale_weight")
                && !n.endsWith(".scale_input") && !n.endsWith("scaled_fp8")).toList();
        if (!left.isEmpty())
            plan.notes.add(part + ": left out " + left.size() + " tensor(s) of " + w.source().getFileName() + " that are not the "
                    + part + "'s, e.g. " + left.subList(0, Math.min(3, left.size())));
    }

    /**
     * Opens a part's weights. Until this build reads PyTorch checkpoints, a {@code .pth} fails as a safetensors file
     * would; say what it is instead.
     */
    private static Weights open(Path path) {
        try {
            return Weights.open(path);
        } catch (SafetensorsException e) {
            String name = path.getFileName().toString();
            if (e.getClass() == SafetensorsException.class && Stream.of(".pth", ".pt", ".bin", ".ckpt").anyMatch(name::endsWith))
                throw new ModelLoadException(path + " is a PyTorch checkpoint, which this build cannot read; convert it to "
                        + "safetensors first (" + e.getMessage() + ")", e);
            throw e;
        }
    }

    /** {@code ours} over a copy of {@code base} (extra fields of the input's config kept), or {@code ours} alone. */
    private static ObjectNode overlay(JsonNode base, ObjectNode ours) {
        if (base == null || !base.isObject()) return ours;
        ObjectNode n = (ObjectNode) base.deepCopy();
        n.setAll(ours);
        return n;
    }

    private static ObjectNode modelIndex() {
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("_class_name", "WanPipeline");
        index.put("_diffusers_version", "0.33.0");
        index.put("text_encoder", List.of("transformers", "UMT5EncoderModel"));
        index.put("tokenizer", List.of("transformers", "T5TokenizerFast"));
        index.put("transformer", List.of("diffusers", "WanTransformer3DModel"));
        index.put("vae", List.of("diffusers", "AutoencoderKLWan"));
        return Json.PLAIN.valueToTree(index);
    }

    private static String torchName(DType d) {
        return switch (d) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F64 -> "float64";
            default -> "float32";
        };
    }

    /** A file's name without its weights extension ({@code 360p.safetensors}, {@code x.safetensors.index.json}, {@code x.pth}). */
    private static String stem(Path file) {
        String n = file.getFileName().toString().replaceFirst("\\.index\\.json$", "");
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    // ------------------------------------------------------------------ the output directory

    private static void checkOut(Path src, Path dst, boolean fileOut) throws IOException {
        if (dst.equals(src) || dst.startsWith(src))
            throw new InvalidRequestException(dst + ": the output must lie outside the input " + src);
        if (!Files.exists(dst)) return;
        if (fileOut || !Files.isDirectory(dst))
            throw new InvalidRequestException(dst + " already exists; convert writes a new " + (fileOut ? "file" : "directory"));
        try (Stream<Path> s = Files.list(dst)) {
            if (s.findAny().isPresent())
                throw new InvalidRequestException(dst + " already exists and is not empty; convert writes a new directory");
        }
    }

    /** Removes a staging directory a killed run left (it carries the marker); anything else by that name is refused. */
    private static void removeStale(Path staging, List<String> notes) throws IOException {
        if (!Files.exists(staging)) return;
        if (!Files.isDirectory(staging) || !Files.isRegularFile(staging.resolve(MARKER)))
            throw new InvalidRequestException(staging + " exists and was not left by zoetrope convert; remove or rename it");
        deleteTree(staging);
        notes.add("removed " + staging + ", left by an interrupted convert");
    }

    private static void requireSpace(Path dst, long bytes) throws IOException {
        Path existing = dst.getParent();
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return;
        long free = Files.getFileStore(existing).getUsableSpace();
        if (free < bytes)
            throw new InvalidRequestException(String.format(Locale.ROOT, "%s: the converted model needs %.2f GB, only %.2f GB are free",
                    existing, bytes / 1e9, free / 1e9));
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, Json.PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted().toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else if (Files.isRegularFile(p)) Files.copy(p, target);
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Makes the rename itself durable; where a directory cannot be opened for that, the rename stands unsynced. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not supported on every platform
        }
    }

    /** Deletes {@code root} with everything in it, its marker last: a deletion cut short is still recognised as ours. */
    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        Path marker = root.resolve(MARKER);
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList())
                if (!p.equals(root) && !p.equals(marker)) Files.delete(p);
        }
        Files.deleteIfExists(marker);
        Files.delete(root);
    }

    private static void deleteQuietly(Path root) {
        try {
            deleteTree(root);
        } catch (IOException e) {
            // the marker stays, so the next run removes what is left
        }
    }
}
