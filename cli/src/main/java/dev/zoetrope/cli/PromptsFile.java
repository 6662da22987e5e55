package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.pipeline.ClipMetadata;
import dev.zoetrope.models.pipeline.GenerationPlan;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.models.pipeline.ModelCapabilities;

/**
 * {@code generate --prompts FILE}: one clip per line, as a plain prompt or a JSON object with that clip's settings; blank
 * lines and lines starting with {@code #} are skipped. Every line is read and checked against the model before any clip
 * is made, and a clip whose mp4 is already there with the same settings is not made again, so an interrupted batch
 * resumes by running the same command.
 *
 * <p>A clip's file is {@code DIR/NNN-first-words-of-the-prompt.mp4}, NNN its number among the file's prompts (from 1),
 * unless its line names an {@code output}.
 */
final class PromptsFile {
    /** The JSON fields a line may set, with their aliases (the flags' names). */
    static final Set<String> FIELDS = Set.of("prompt", "negative_prompt", "seed", "steps", "num_steps", "guidance", "cfg",
            "seconds", "duration", "resolution", "output");

    /**
     * One clip of the file.
     *
     * @param number its number among the prompts, from 1
     * @param line its line in the file, from 1
     * @param asked the request as the line and flags give it (a seed of -1 asks for a random one)
     * @param resolved the same with every default filled in and a random seed drawn: what will be made
     */
    record Clip(int number, int line, GenerationRequest asked, GenerationRequest resolved, Path output) {}

    private PromptsFile() {}

    /**
     * The lines of a {@code --prompts} file as UTF-8 text, refused when it is over {@code maxBytes}; every problem is the
     * user's to fix, named with the file. {@code generate} and {@code eval adherence} read their prompts files here.
     */
    static List<String> lines(Path file, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) throw new InvalidRequestException("--prompts " + file + ": " + size + " bytes; at most " + maxBytes);
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException("--prompts " + file + ": not UTF-8 text");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidRequestException("--prompts " + file + ": cannot read it (no such file)", e);
        } catch (IOException e) {
            throw new InvalidRequestException("--prompts " + file + ": cannot read it (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The clips of {@code file}, each line over {@code defaults} (the flags), checked against the model; every bad line
     * is refused together, by its line number, before anything is made.
     */
    static List<Clip> read(Path file, GenerationRequest defaults, ModelCapabilities caps, ModelFamily family, Path dir) {
        List<String> lines = lines(file, Long.MAX_VALUE);
        List<Parsed> parsed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i).strip();
            if (text.isEmpty() || text.startsWith("#")) continue;
            try {
                parsed.add(text.startsWith("{") ? parseJson(text, defaults, i + 1) : new Parsed(i + 1, withPrompt(defaults, text), null));
            } catch (InvalidRequestException e) {
                errors.add("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (parsed.isEmpty() && errors.isEmpty()) throw new InvalidRequestException("--prompts " + file + " holds no prompts");
        int width = Math.max(3, Integer.toString(parsed.size() + errors.size()).length());
        List<Clip> clips = new ArrayList<>();
        Map<Path, Integer> taken = new HashMap<>();
        for (int n = 0; n < parsed.size(); n++) {
            Parsed p = parsed.get(n);
            try {
                GenerationRequest resolved = GenerationPlan.resolve(p.request(), caps, family).asRequest();
                Path out = p.output() != null ? output(dir, p.output())
                        : dir.resolve(String.format(Locale.ROOT, "%0" + width + "d-%s.mp4", n + 1, slug(resolved.prompt())));
                Integer other = taken.putIfAbsent(out.toAbsolutePath().normalize(), p.line());
                if (other != null) throw new InvalidRequestException("writes " + out + ", as line " + other + " does");
                clips.add(new Clip(n + 1, p.line(), p.request(), resolved, out));
            } catch (InvalidRequestException e) {
                errors.add("line " + p.line() + ": " + e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            errors.sort(java.util.Comparator.comparingInt(PromptsFile::lineOf));
            throw new InvalidRequestException("--prompts " + file + ": nothing was generated; fix "
                    + (errors.size() == 1 ? "this line" : "these " + errors.size() + " lines") + ":\n  " + String.join("\n  ", errors));
        }
        return clips;
    }

    private static int lineOf(String error) {
        return Integer.parseInt(error.substring("line ".length(), error.indexOf(':')));
    }

    private static Parsed parseJson(String text, GenerationRequest d, int line) {
        JsonNode n;
        try {
            n = Json.PLAIN.readTree(text);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            int cut = why.indexOf(" (start marker");
            throw new InvalidRequestException("not valid JSON: " + (cut < 0 ? why : why.substring(0, cut)).replace('\n', ' ')
                    + (e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")"));
        }
        if (!n.isObject()) throw new InvalidRequestException("a line starting with { must be one JSON object");
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f))
                throw new InvalidRequestException("unknown field '" + f + "' (known: " + String.join(", ", new java.util.TreeSet<>(FIELDS)) + ")");
        }
        String prompt = text(n, "prompt");
        if (prompt == null || prompt.isBlank()) throw new InvalidRequestException("no \"prompt\"");
        String negative = text(n, "negative_prompt");
        Long seed = whole(n, "seed");
        if (seed != null && seed < 0 && seed != GenerationRequest.RANDOM_SEED)
            throw new InvalidRequestException("seed must be 0 or more, or -1 for a random seed; got " + seed);
        Long steps = whole(n, one(n, "steps", "num_steps"));
        if (steps != null && (steps < 1 || steps > Integer.MAX_VALUE)) throw new InvalidRequestException("steps must be 1 or more, got " + steps);
        Double guidance = number(n, one(n, "guidance", "cfg"));
        Double seconds = number(n, one(n, "seconds", "duration"));
        String resolution = text(n, "resolution");
        String output = text(n, "output");
        GenerationRequest r = new GenerationRequest(prompt, negative != null ? negative : d.negativePrompt(),
                resolution != null ? resolution : d.resolution(), seconds != null ? seconds : d.durationSeconds(),
                seed != null ? seed : d.seed(), guidance != null ? guidance : d.guidanceScale(),
                steps != null ? Integer.valueOf(steps.intValue()) : d.steps());
        return new Parsed(line, r, output);
    }

    private record Parsed(int line, GenerationRequest request, String output) {}

    /** The one of two aliases the line uses; both is refused. */
    private static String one(JsonNode n, String name, String alias) {
        if (n.has(name) && n.has(alias)) throw new InvalidRequestException("\"" + name + "\" and \"" + alias + "\" set the same thing; give one");
        return n.has(alias) ? alias : name;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw new InvalidRequestException("\"" + field + "\" must be a string, not " + v);
        return v.asText();
    }

    private static Long whole(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw new InvalidRequestException("\"" + field + "\" must be a whole number, not " + v);
        return v.asLong();
    }

    private static Double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw new InvalidRequestException("\"" + field + "\" must be a number, not " + v);
        return v.asDouble();
    }

    private static GenerationRequest withPrompt(GenerationRequest d, String prompt) {
        return new GenerationRequest(prompt, d.negativePrompt(), d.resolution(), d.durationSeconds(), d.seed(), d.guidanceScale(), d.steps());
    }

    /** A line's own output: an mp4 name inside the output directory. */
    private static Path output(Path dir, String name) {
        Path p = Path.of(name);
        if (p.isAbsolute() || name.contains("..") || name.isBlank())
            throw new InvalidRequestException("\"output\" must be a file name inside the output directory, not " + name);
        if (!name.toLowerCase(Locale.ROOT).endsWith(".mp4")) throw new InvalidRequestException("\"output\" must end in .mp4, got " + name);
        return dir.resolve(p);
    }

    /** The prompt's first words, lower case, joined by dashes: at most 40 characters. */
    static String slug(String prompt) {
        StringBuilder b = new StringBuilder();
        for (String word : prompt.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (word.isEmpty()) continue;
            if (b.length() + word.length() + 1 > 40) {
                if (b.isEmpty()) b.append(word, 0, 40);
                break;
            }
            if (!b.isEmpty()) b.append('-');
            b.append(word);
        }
        return b.isEmpty() ? "clip" : b.toString();
    }

    /**
     * Whether {@code clip} is already made: its mp4 exists and records the same settings (the seed too, unless the line
     * asked for a random one). An mp4 there with other settings, or not made by zoetrope, is refused: it is not ours to
     * overwrite.
     */
    static boolean done(Clip clip) {
        if (!Files.exists(clip.output())) return false;
        GenerationRequest had;
        try {
            had = ClipMetadata.request(dev.zoetrope.video.VideoProbe.metadata(clip.output()));
        } catch (RuntimeException e) {
            had = null;
        }
        String fix = "; remove it, or choose another --output-dir";
        if (had == null) throw new InvalidRequestException("line " + clip.line() + ": " + clip.output() + " exists and is not a clip "
                + "zoetrope made" + fix);
        GenerationRequest want = clip.resolved();
        boolean anySeed = Objects.equals(clip.asked().seed(), GenerationRequest.RANDOM_SEED);
        List<String> differ = new ArrayList<>();
        differs(differ, "prompt", want.prompt(), had.prompt());
        differs(differ, "negative prompt", want.negativePrompt(), had.negativePrompt());
        differs(differ, "resolution", want.resolution(), had.resolution());
        differs(differ, "seconds", want.durationSeconds(), had.durationSeconds());
        differs(differ, "guidance", want.guidanceScale(), had.guidanceScale());
        differs(differ, "steps", want.steps(), had.steps());
        if (!anySeed) differs(differ, "seed", want.seed(), had.seed());
        if (!differ.isEmpty())
            throw new InvalidRequestException("line " + clip.line() + ": " + clip.output() + " exists, made with another "
                    + String.join(", ", differ) + fix);
        return true;
    }

    private static void differs(List<String> out, String name, Object want, Object had) {
        if (!Objects.equals(want, had)) out.add(name + " (" + had + ", not " + want + ")");
    }
}
