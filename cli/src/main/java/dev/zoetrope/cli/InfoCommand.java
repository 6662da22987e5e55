package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import dev.zoetrope.core.safetensors.SafetensorsFile;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.pipeline.ClipMetadata;
import dev.zoetrope.models.pipeline.HubCache;
import dev.zoetrope.models.pipeline.WeightDtype;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitKeyLayout;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;
import dev.zoetrope.video.VideoProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Describe a weights file, safetensors or PyTorch (tensors, dtypes, shapes, parameter count), a checkpoint directory "
                + "(its layout and each part), or a generated mp4 (the seed and settings it records)."})
final class InfoCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A .safetensors file, a PyTorch checkpoint (.pth, .pt, .bin, .ckpt), "
            + "a shard index (*.index.json), a checkpoint directory, a Hugging Face repo id (ORG/NAME) in the local hub cache, "
            + "or an .mp4 zoetrope made.")
    String target;

    @Option(names = "--revision", paramLabel = "REV", description = "With a repo id: the branch, tag or commit hash (default: main).")
    String revision;

    @Option(names = "--dtype", paramLabel = "auto|bf16|f32", description = "Also show the bytes each part takes once "
            + "loaded at this dtype, as generate --dtype loads it (the VAE loads in f32 unless the dtype is bf16).")
    String dtype;

    @Option(names = "--limit", description = "List at most this many tensors per file (default: all).")
    int limit = Integer.MAX_VALUE;

    /** A clip: what the container holds, then the settings zoetrope recorded in it ({@link ClipMetadata}). */
    private static void describeClip(Path mp4) {
        System.out.println(VideoProbe.probe(mp4).describe());
        Map<String, String> tags = ClipMetadata.read(dev.zoetrope.video.VideoProbe.metadata(mp4));
        if (tags.isEmpty()) {
            System.out.println("no zoetrope settings recorded: not made by zoetrope generate or serve");
            return;
        }
        tags.forEach((k, v) -> System.out.println("  " + k + ": " + v.replace("\n", "\\n")));
    }

    @Override
    public Integer call() throws IOException {
        WeightDtype cast = dtype == null ? null : WeightDtype.parse(dtype);
        if (target.toLowerCase(Locale.ROOT).endsWith(".mp4") && Files.isRegularFile(Path.of(target))) {
            describeClip(Path.of(target));
            return 0;
        }
        Path path = HubCache.resolve(target, revision);
        if (Files.isDirectory(path)) {
            describeDirectory(path, cast);
        } else {
            try (Weights w = Weights.open(path)) {
                listTensors(w);
                if (cast != null) System.out.println(loaded(w, cast));
                ditSummary(w).forEach(System.out::println);
            }
        }
        return 0;
    }

    /** What {@code w} takes in memory once loaded at {@code cast}, beside what is stored. */
    static String loaded(Weights w, WeightDtype cast) {
        Set<String> stored = new TreeSet<>();
        for (String name : w.names()) stored.add(w.info(name).orElseThrow().dtype().code());
        String as = cast == WeightDtype.AUTO ? "as stored" : "at " + cast.id();
        return String.format(Locale.ROOT, "loaded %s: %s (stored: %s, %s)", as, bytes(cast.loadedBytes(w)),
                String.join("+", stored), bytes(w.byteCount()));
    }

    private void listTensors(Weights w) {
        int shown = 0;
        for (String name : w.names()) {
            if (shown++ >= limit) {
                System.out.printf(Locale.ROOT, "  ... %d more%n", w.names().size() - limit);
                break;
            }
            TensorInfo t = w.info(name).orElseThrow();
            System.out.printf(Locale.ROOT, "  %-60s %-5s %s%n", name, t.dtype().code(), shapeText(t.shape()));
        }
        if (w instanceof SafetensorsFile f && !f.metadata().isEmpty()) System.out.println("  metadata: " + f.metadata());
        System.out.println(summary(w));
    }

    /**
     * What {@code convert} makes of a DiT checkpoint file: the key layout it found, the wrapper prefix, the dtypes
     * (fp8 weights with their {@code scale_weight}) and how many tensors are the DiT's; nothing for other files.
     */
    static List<String> ditSummary(Weights w) {
        DitKeyLayout.Detected found;
        try {
            found = DitKeyLayout.find(w);
        } catch (ModelLoadException e) {
            return List.of();
        }
        KeyLayout keys = found.keys();
        Map<String, Integer> dtypes = new TreeMap<>();
        int dit = 0;
        List<String> others = new ArrayList<>();
        for (String name : w.names()) {
            boolean latent = found.layout() == DitKeyLayout.LINUM && name.startsWith("video_data_");
            if (!keys.covers(name) && !latent) {
                others.add(name);
                continue;
            }
            dit++;
            String scale = name.endsWith(".weight") ? name.substring(0, name.length() - 7) + ".scale_weight" : null;
            String dtype = w.info(name).orElseThrow().dtype().code() + (scale != null && w.contains(scale) ? " with scale_weight" : "");
            dtypes.merge(dtype, 1, Integer::sum);
        }
        List<String> lines = new ArrayList<>();
        lines.add("DiT checkpoint: " + found.layout().describe()
                + (found.wrapper().isEmpty() ? ", no wrapper prefix" : ", under the wrapper prefix '" + found.wrapper() + "'"));
        lines.add("  " + dit + " tensors, dtypes " + String.join(", ", dtypes.entrySet().stream().map(e -> e.getKey() + " ×" + e.getValue()).toList())
                + (others.isEmpty() ? "" : "; " + others.size() + " other tensor(s) convert leaves out, e.g. " + others.subList(0, Math.min(3, others.size()))));
        lines.add("  convertible: zoetrope convert " + w.source().getFileName() + " -o OUT  (to "
                + (found.layout().family() == ModelFamily.LINUM ? "Linum" : "Diffusers") + " names)");
        return lines;
    }

    static String summary(Weights w) {
        return String.format(Locale.ROOT, "%d tensors, %s parameters (%,d), %s", w.names().size(), human(w.parameterCount()),
                w.parameterCount(), bytes(w.byteCount()));
    }

    private void describeDirectory(Path dir, WeightDtype cast) throws IOException {
        ModelDirectories.Layout layout = ModelDirectories.detect(dir);
        System.out.println(dir + ": " + layout.description());
        if (layout.model()) ModelDirectories.family(dir).forEach(l -> System.out.println("  " + l));
        for (ModelDirectories.Part part : layout.parts()) {
            System.out.println("[" + part.role() + "] " + part.path());
            if (part.weights() != null) {
                try (Weights w = Weights.open(part.weights())) {
                    System.out.println("  " + summary(w));
                    if (cast != null) {
                        boolean vaeInF32 = part.role().equals("vae") && cast != WeightDtype.BF16;
                        System.out.println("  " + loaded(w, vaeInF32 ? WeightDtype.F32 : cast)
                                + (vaeInF32 ? ", as the VAE loads unless --dtype bf16" : ""));
                    }
                }
            }
            for (String note : part.notes()) System.out.println("  " + note);
        }
    }

    static String shapeText(long[] shape) {
        List<String> s = new ArrayList<>();
        for (long d : shape) s.add(Long.toString(d));
        return "[" + String.join(", ", s) + "]";
    }

    static String human(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        return Long.toString(n);
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", n / 1073741824.0);
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.2f MiB", n / 1048576.0);
        if (n >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        return n + " bytes";
    }

    static boolean hasSafetensors(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
        }
    }
}
