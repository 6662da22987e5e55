package dev.zoetrope.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.models.dit.Lora;

/**
 * The LoRA adapters a request may name ({@code serve --lora-dir DIR}): each {@code DIR/NAME.safetensors}, by its NAME.
 * Requests name adapters, never paths, and a name that resolves outside the folder (a link) is refused, so a client reads
 * only what the operator put there. Adapters apply on the fly per request; the loaded base weights stay shared.
 */
public final class LoraCatalog {
    /** No adapters: requests that name one are refused. */
    public static final LoraCatalog NONE = new LoraCatalog(null);
    /** Adapters one request may stack. */
    public static final int MAX_PER_REQUEST = 4;
    /** The strengths a request may give. */
    public static final double MAX_STRENGTH = 10;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final String SUFFIX = ".safetensors";

    private final Path dir;

    private LoraCatalog(Path dir) {
        this.dir = dir;
    }

    /** The adapters in {@code dir}, which must be a directory; null: none. */
    public static LoraCatalog of(Path dir) {
        if (dir == null) return NONE;
        if (!Files.isDirectory(dir)) throw new InvalidRequestException("--lora-dir " + dir + ": no such directory");
        try {
            return new LoraCatalog(dir.toRealPath());
        } catch (IOException e) {
            throw new InvalidRequestException("--lora-dir " + dir + ": " + e.getMessage());
        }
    }

    /** The names requests may give, sorted. */
    public List<String> names() {
        if (dir == null) return List.of();
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(SUFFIX))
                    .map(n -> n.substring(0, n.length() - SUFFIX.length())).filter(n -> NAME.matcher(n).matches())
                    .filter(n -> file(n).isPresent()).sorted().forEach(out::add);
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    /** The file of adapter {@code name}, if the folder holds one by that name (inside it, links resolved). */
    public Optional<Path> file(String name) {
        if (dir == null || name == null || !NAME.matcher(name).matches()) return Optional.empty();
        Path f = dir.resolve(name + SUFFIX);
        try {
            Path real = f.toRealPath();
            return Files.isRegularFile(real) && real.startsWith(dir) ? Optional.of(real) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A job's adapters as files, in its order; an adapter removed since the job was submitted is named. */
    public List<Lora> resolve(List<JobParams.JobLora> loras) {
        List<Lora> out = new ArrayList<>();
        for (JobParams.JobLora l : loras)
            out.add(new Lora(file(l.name()).orElseThrow(() -> new InvalidRequestException("LoRA adapter '" + l.name()
                    + "' is no longer in the server's adapter folder")), l.strength()));
        return out;
    }
}
