package dev.zoetrope.train.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsException;
import dev.zoetrope.core.safetensors.SafetensorsFile;
import dev.zoetrope.core.safetensors.SafetensorsStreamWriter;
import dev.zoetrope.core.safetensors.SafetensorsStreamWriter.Planned;
import dev.zoetrope.models.nn.Ops;

/**
 * Training checkpoints: {@code checkpoints/step-NNNNNNNN.safetensors} in a run directory, each holding the
 * parameters ({@code param.*}), EMA weights ({@code ema.*}), optimizer state ({@code opt.*}) and the step in
 * its metadata. Written atomically, so a killed run always finds a whole checkpoint.
 */
public final class Checkpoints {
    private static final Pattern NAME = Pattern.compile("step-(\\d{8})\\.safetensors");

    private final Path dir;

    public Checkpoints(Path runDir) {
        this.dir = runDir.resolve("checkpoints");
    }

    public Path dir() {
        return dir;
    }

    /** A loaded checkpoint: tensors grouped by prefix, plus metadata. The caller closes it. */
    public record Loaded(int step, Map<String, Tensor> params, Map<String, Tensor> ema, Map<String, Tensor> optimizer,
                         Map<String, String> metadata) implements AutoCloseable {
        /** The weights a model is exported with: the EMA's when the run kept one, else the parameters. */
        public Map<String, Tensor> weights() {
            return ema.isEmpty() ? params : ema;
        }

        @Override
        public void close() {
            for (var m : List.of(params, ema, optimizer)) m.values().forEach(Scopes::release);
        }
    }

    /**
     * Writes a checkpoint from tensors on any device: each comes to the host only to be written, one at a time, so the
     * host never holds more than one of them.
     */
    public void save(int step, Map<String, Tensor> params, Map<String, Tensor> ema, Map<String, Tensor> optimizer,
                     Map<String, String> metadata, int keep) throws IOException {
        Map<String, Tensor> all = new TreeMap<>();
        params.forEach((k, t) -> all.put("param." + k, t));
        if (ema != null) ema.forEach((k, t) -> all.put("ema." + k, t));
        optimizer.forEach((k, t) -> all.put("opt." + k, t));
        Map<String, String> meta = new HashMap<>(metadata);
        meta.put("step", Integer.toString(step));
        List<Planned> plan = all.entrySet().stream()
                .map(e -> new Planned(e.getKey(), Tensors.dtype(e.getValue()), Tensors.shape(e.getValue()))).toList();
        try (SafetensorsStreamWriter out = SafetensorsStreamWriter.open(dir.resolve(String.format("step-%08d.safetensors", step)), plan, meta)) {
            for (var e : all.entrySet())
                try (PointerScope scope = new PointerScope()) {
                    out.write(e.getKey(), Ops.toHost(e.getValue().detach()));
                }
            out.commit();
        }
        prune(keep);
    }

    /** Checkpoint files, oldest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).sorted(Comparator.comparing(Path::toString)).toList();
        }
    }

    /** The newest checkpoint that opens cleanly; a damaged newer one is reported and passed over. */
    public Optional<Loaded> latest() throws IOException {
        List<Path> files = new ArrayList<>(list());
        for (int i = files.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(load(files.get(i)));
            } catch (SafetensorsException e) {
                System.err.println("warning: skipping damaged checkpoint " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    public static Loaded load(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Tensor> params = new LinkedHashMap<>(), ema = new LinkedHashMap<>(), opt = new LinkedHashMap<>();
            for (String name : f.names()) {
                Tensor t = Scopes.pin(f.load(name));
                if (name.startsWith("param.")) params.put(name.substring(6), t);
                else if (name.startsWith("ema.")) ema.put(name.substring(4), t);
                else if (name.startsWith("opt.")) opt.put(name.substring(4), t);
                else Scopes.release(t);
            }
            String step = f.metadata().getOrDefault("step", m.matches() ? m.group(1) : "0");
            return new Loaded(Integer.parseInt(step), params, ema, opt, f.metadata());
        }
    }

    private void prune(int keep) throws IOException {
        List<Path> files = list();
        for (int i = 0; i < files.size() - keep; i++) Files.deleteIfExists(files.get(i));
    }
}
