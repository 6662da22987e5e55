package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.safetensors.SafetensorsFile;
import dev.zoetrope.core.safetensors.TensorInfo;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitKeyLayout;
import dev.zoetrope.models.nn.KeyLayout;
import dev.zoetrope.models.nn.ModelLoadException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Describe a safetensors file (tensors, dtypes, shapes, parameter count) or a checkpoint directory "
                + "(its layout and each part)."})
final class InfoCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A .safetensors file, a *.safetensors.index.json, or a checkpoint directory.")
    Path path;

    @Option(names = "--limit", description = "List at most this many tensors per file (default: all).")
    int limit = Integer.MAX_VALUE;

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(path)) throw new InvalidRequestException(path + ": no such file or directory");
        if (Files.isDirectory(path)) {
            describeDirectory(path);
        } else {
            try (Weights w = Weights.open(path)) {
                listTensors(w);
                ditSummary(w).forEach(System.out::println);
            }
        }
        return 0;
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

    private void describeDirectory(Path dir) throws IOException {
        ModelDirectories.Layout layout = ModelDirectories.detect(dir);
        System.out.println(dir + ": " + layout.description());
        if (layout.model()) ModelDirectories.family(dir).forEach(l -> System.out.println("  " + l));
        for (ModelDirectories.Part part : layout.parts()) {
            System.out.println("[" + part.role() + "] " + part.path());
            if (part.weights() != null) {
                try (Weights w = Weights.open(part.weights())) {
                    System.out.println("  " + summary(w));
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
