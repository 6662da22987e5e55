package dev.zoetrope.models.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

import dev.zoetrope.core.InvalidRequestException;

/**
 * Where a model named on the command line (or through the Java API) is: an existing path as given, else a Hugging Face
 * repo id ({@code Linum-AI/linum-v2-360p}) looked up in the local hub cache, laid out as {@code huggingface-cli
 * download} leaves it:
 * <pre>
 *   CACHE/models--ORG--NAME/refs/main             the commit hash the branch or tag points at
 *   CACHE/models--ORG--NAME/snapshots/HASH/...    the files, as symlinks into ../../blobs/
 * </pre>
 * CACHE is {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub}, else
 * {@code ~/.cache/huggingface/hub}: the hub library's own order. Nothing is ever downloaded; a model that is not
 * there is an {@link InvalidRequestException} naming what was looked for and the command that would fetch it.
 */
public final class HubCache {
    /** Stands for {@code HF_HUB_CACHE} when set: a JVM cannot change its own environment, tests can set this. */
    public static final String CACHE_PROPERTY = "zoetrope.hf.hub.cache";

    // The hub's rules for repo ids: ORG/NAME of letters, digits, '-', '_', '.', without "--" or "..".
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private HubCache() {}

    /** The process environment, with {@value #CACHE_PROPERTY} as {@code HF_HUB_CACHE} when that property is set. */
    public static Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        String cache = System.getProperty(CACHE_PROPERTY);
        if (cache != null && !cache.isBlank()) env.put("HF_HUB_CACHE", cache);
        return env;
    }

    /** {@link #resolve(String, String, Map)} in this process's {@link #environment()}. */
    public static Path resolve(String dirOrRepoId, String revision) {
        return resolve(dirOrRepoId, revision, environment());
    }

    /**
     * The path {@code dirOrRepoId} names: itself when it exists, else the snapshot of that repo id in the hub cache.
     *
     * @param revision a branch or tag ({@code refs/REVISION} holds its commit) or a 40-hex commit hash; null for
     *                 {@code main}. Only a repo id has revisions.
     * @param env      the environment variables to find the cache by (a parameter, so tests can fake them)
     */
    public static Path resolve(String dirOrRepoId, String revision, Map<String, String> env) {
        if (dirOrRepoId == null || dirOrRepoId.isBlank()) throw new InvalidRequestException("no model directory or repo id given");
        if (revision != null && revision.isBlank()) revision = null;
        Path local = asPath(dirOrRepoId);
        if (local != null && Files.exists(local)) {
            if (revision != null)
                throw new InvalidRequestException("--revision " + revision + " applies to a Hugging Face repo id, and "
                        + dirOrRepoId + " is a local path");
            return local;
        }
        if (!isRepoId(dirOrRepoId))
            throw new InvalidRequestException(dirOrRepoId + ": no such file or directory, nor a Hugging Face repo id (ORG/NAME)");
        if (revision != null && (revision.contains("..") || revision.startsWith("/") || revision.contains("\\")))
            throw new InvalidRequestException("--revision '" + revision + "' is not a branch, tag or commit hash");
        Location cache = cacheRoot(env);
        Path repo = cache.path().resolve(repoFolder(dirOrRepoId));
        String ref = revision == null ? "main" : revision;
        String fetch = "; fetch it with: huggingface-cli download " + dirOrRepoId + (revision == null ? "" : " --revision " + revision);
        if (!Files.isDirectory(repo))
            throw new InvalidRequestException(dirOrRepoId + ": not a local path, and not in the Hugging Face cache (looked for "
                    + repo + ", the cache from " + cache.source() + ")" + fetch);
        String commit;
        if (COMMIT.matcher(ref).matches()) {
            commit = ref;
        } else {
            Path refFile = repo.resolve("refs").resolve(ref);
            if (!Files.isRegularFile(refFile))
                throw new InvalidRequestException(dirOrRepoId + ": the Hugging Face cache has " + repo + " but no revision '"
                        + ref + "' (looked for " + refFile + ")" + fetch);
            commit = read(refFile);
            if (!COMMIT.matcher(commit).matches())
                throw new InvalidRequestException(refFile + ": should hold a 40-hex commit hash, not '" + commit + "'" + fetch);
        }
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(snapshot))
            throw new InvalidRequestException(dirOrRepoId + ": revision '" + ref + "' is commit " + commit + ", but the Hugging "
                    + "Face cache has no " + snapshot + fetch);
        return snapshot;
    }

    /** Whether {@code s} has the form of a Hugging Face repo id, {@code ORG/NAME}. */
    public static boolean isRepoId(String s) {
        return REPO_ID.matcher(s).matches() && !s.contains("--") && !s.contains("..") && !s.endsWith(".git");
    }

    /** The cache's folder for a repo id: {@code models--ORG--NAME}. */
    public static String repoFolder(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    /** The cache directory, and which setting named it (for messages). */
    public record Location(Path path, String source) {}

    public static Location cacheRoot(Map<String, String> env) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (nonBlank(hubCache)) return new Location(expand(hubCache, env), "HF_HUB_CACHE");
        String hfHome = env.get("HF_HOME");
        if (nonBlank(hfHome)) return new Location(expand(hfHome, env).resolve("hub"), "HF_HOME");
        String xdg = env.get("XDG_CACHE_HOME");
        if (nonBlank(xdg)) return new Location(expand(xdg, env).resolve("huggingface/hub"), "XDG_CACHE_HOME");
        return new Location(home(env).resolve(".cache/huggingface/hub"), "the default ~/.cache/huggingface/hub");
    }

    private static Path asPath(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    // The hub expands a leading ~ in these variables; so do we.
    private static Path expand(String value, Map<String, String> env) {
        if (value.equals("~")) return home(env);
        if (value.startsWith("~/")) return home(env).resolve(value.substring(2));
        return Path.of(value);
    }

    private static Path home(Map<String, String> env) {
        String home = env.get("HOME");
        return Path.of(nonBlank(home) ? home : System.getProperty("user.home"));
    }

    private static boolean nonBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
