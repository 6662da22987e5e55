package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.models.pipeline.ClipMetadata;
import dev.zoetrope.models.pipeline.GenerationRequest;
import dev.zoetrope.video.VideoProbe;

/** {@code generate --prompts FILE}: one model load for many clips, every line checked first, resumable. */
class GeneratePromptsTest {
    @TempDir
    Path tmp;

    private static List<Path> mp4s(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".mp4")).sorted().toList();
        }
    }

    @Test
    void oneClipPerLineFromOneModelLoadAndARerunSkipsWhatIsDone() throws IOException {
        Path model = GenerateCommandTest.tinyModel(tmp);
        Path file = tmp.resolve("prompts.txt"), out = tmp.resolve("clips");
        Files.writeString(file, """
                # three clips
                a red fox in the snow

                {"prompt": "a blue whale", "seed": 7, "steps": 3, "output": "whale.mp4"}
                {"prompt": "Waves, at dusk!", "cfg": 2.5}
                """);
        CliRun r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString(), "--output-dir", out.toString(),
                "--seed", "-1", "--gif");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(List.of(out.resolve("001-a-red-fox-in-the-snow.mp4"), out.resolve("003-waves-at-dusk.mp4"), out.resolve("whale.mp4")),
                mp4s(out));
        assertTrue(Files.exists(out.resolve("whale.gif")), "--gif beside each clip");
        assertTrue(r.out().contains("model loads: DiT 1, VAE 1, text encoder 3"), r.out());
        assertTrue(r.err().contains("loading the model once for 3 clips"), r.err());

        GenerationRequest whale = ClipMetadata.request(dev.zoetrope.video.VideoProbe.metadata(out.resolve("whale.mp4")));
        assertEquals("a blue whale", whale.prompt());
        assertEquals(7L, whale.seed(), "the line's seed beats the flag's");
        assertEquals(3, whale.steps());
        GenerationRequest waves = ClipMetadata.request(dev.zoetrope.video.VideoProbe.metadata(out.resolve("003-waves-at-dusk.mp4")));
        assertEquals(2.5, waves.guidanceScale());
        assertEquals(2, waves.steps(), "the model's default");
        // --seed -1: each clip drew its own seed, printed and recorded
        GenerationRequest fox = ClipMetadata.request(dev.zoetrope.video.VideoProbe.metadata(out.resolve("001-a-red-fox-in-the-snow.mp4")));
        Matcher printed = Pattern.compile("001-a-red-fox-in-the-snow.mp4: .* seed (\\d+),").matcher(r.out());
        assertTrue(printed.find(), r.out());
        assertEquals(Long.parseLong(printed.group(1)), fox.seed());
        assertNotEquals(fox.seed(), waves.seed());
        assertEquals(model.getFileName().toString(), ClipMetadata.read(dev.zoetrope.video.VideoProbe.metadata(out.resolve("whale.mp4"))).get("model"));
        assertEquals(9, VideoProbe.probe(out.resolve("whale.mp4")).frameCount());
        CliRun info = CliRun.of("info", out.resolve("whale.mp4").toString());
        assertEquals(0, info.exit(), info.toString());
        assertTrue(info.out().contains("  seed: 7\n") && info.out().contains("  prompt: a blue whale\n")
                && info.out().contains("  steps: 3\n"), info.out());

        // the same command again: every clip is there with its settings, nothing is made or touched
        FileTime before = Files.getLastModifiedTime(out.resolve("whale.mp4"));
        r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString(), "--output-dir", out.toString(),
                "--seed", "-1");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("3 already made (skipped), 0 to make"), r.err());
        assertFalse(r.out().contains("model loads"), r.out());
        assertEquals(before, Files.getLastModifiedTime(out.resolve("whale.mp4")));

        // a removed clip is made again, alone
        Files.delete(out.resolve("003-waves-at-dusk.mp4"));
        r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString(), "--output-dir", out.toString(),
                "--seed", "-1");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("1 clip in") && r.out().contains("DiT 1, VAE 1, text encoder 1"), r.out());

        // a changed setting is not silently skipped, nor the old clip overwritten
        Files.writeString(file, Files.readString(file).replace("\"seed\": 7", "\"seed\": 8"));
        r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString(), "--output-dir", out.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("line 4: ") && r.err().contains("whale.mp4 exists, made with another seed (7, not 8)"), r.err());
        // without --seed -1 the other lines ask for the model's seed, which their clips were not made with: all are named
        assertTrue(r.err().contains("line 2: ") && r.err().contains("line 5: ") && r.err().contains("these 3 lines"), r.err());
        assertEquals(before, Files.getLastModifiedTime(out.resolve("whale.mp4")));
    }

    @Test
    void badLinesAreRefusedTogetherByLineNumberBeforeAnyWork() throws IOException {
        Path model = GenerateCommandTest.tinyModel(tmp);
        Path file = tmp.resolve("prompts.jsonl"), out = tmp.resolve("clips");
        Files.writeString(file, String.join("\n",
                "a good line",
                "{\"prompt\": \"broken\"",
                "{\"prompt\": \"x\", \"sead\": 3}",
                "{\"prompt\": \"x\", \"steps\": 5000}",
                "{\"prompt\": \"x\", \"seed\": \"nine\"}",
                "{\"steps\": 3}",
                "{\"prompt\": \"x\", \"output\": \"../escape.mp4\"}",
                "{\"prompt\": \"a\", \"output\": \"same.mp4\"}",
                "{\"prompt\": \"b\", \"output\": \"same.mp4\"}",
                "{\"prompt\": \"x\", \"resolution\": \"4k\"}"));
        CliRun r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString(), "--output-dir", out.toString());
        assertEquals(2, r.exit(), r.toString());
        String err = r.err();
        for (String expected : List.of("line 2: not valid JSON", "line 3: unknown field 'sead'", "line 4: --num-steps 5000 is out of range",
                "line 5: \"seed\" must be a whole number", "line 6: no \"prompt\"", "line 7: \"output\" must be a file name",
                "line 9: writes", "line 10: unknown resolution '4k'"))
            assertTrue(err.contains(expected), expected + " in\n" + err);
        assertTrue(err.contains("these 8 lines"), err);
        assertFalse(err.contains("line 1:") || err.contains("line 8:"), err);
        assertTrue(err.indexOf("line 2:") < err.indexOf("line 10:"), "in file order");
        assertFalse(Files.exists(out), "nothing was written");
        assertFalse(r.err().contains("model:"), "no model was loaded");
    }

    @Test
    void theBatchFlagsGoTogether() throws IOException {
        Path model = GenerateCommandTest.tinyModel(tmp);
        Path file = tmp.resolve("p.txt");
        Files.writeString(file, "a cat\n");
        CliRun r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString(), "-o", tmp.resolve("x.mp4").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("with --prompts use --output-dir"), r.err());
        r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString(), "a dog");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not both"), r.err());
        r = CliRun.of("generate", "--model-dir", model.toString(), "a dog", "--output-dir", tmp.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--output-dir goes with --prompts"), r.err());
        Files.writeString(file, "# only a comment\n\n");
        r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", file.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("holds no prompts"), r.err());
        r = CliRun.of("generate", "--model-dir", model.toString(), "--prompts", tmp.resolve("missing.txt").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("missing.txt: cannot read it"), r.err());
    }

    @Test
    void namesComeFromThePromptsFirstWords() {
        assertEquals("a-red-fox-in-the-snow", PromptsFile.slug("A red fox, in the snow!"));
        assertEquals("été-à-paris", PromptsFile.slug("Été à Paris"));
        assertEquals("clip", PromptsFile.slug("!!!"));
        String longOne = PromptsFile.slug("one two three four five six seven eight nine ten eleven");
        assertTrue(longOne.length() <= 40 && longOne.startsWith("one-two-three") && !longOne.endsWith("-"), longOne);
        assertEquals(40, PromptsFile.slug("x".repeat(60)).length());
    }
}
