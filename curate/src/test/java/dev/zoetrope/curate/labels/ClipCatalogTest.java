package dev.zoetrope.curate.labels;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.curate.pipeline.SourceScanner;

class ClipCatalogTest {
    @TempDir
    Path dir;

    @Test
    void findsClipsFromADirectoryOrAManifestWithStripsAndSidecarCaptions() throws Exception {
        Path clips = Files.createDirectories(dir.resolve("clips"));
        Files.write(clips.resolve("b.mp4"), new byte[]{1});
        Files.write(clips.resolve("b.png"), new byte[]{1});
        Files.writeString(clips.resolve("b.json"), "{\"caption\": \"a caption\"}");
        Files.write(clips.resolve("a.mp4"), new byte[]{1});
        ClipCatalog fromDir = ClipCatalog.of(clips);
        assertEquals(List.of(new LabelStore.Clip("a", "a.mp4", null, null), new LabelStore.Clip("b", "b.mp4", "b.png", "a caption")),
                fromDir.clips());

        Path manifest = dir.resolve("manifest.jsonl");
        Files.writeString(manifest, "{\"clip_id\": \"b\", \"decision\": \"accept\"}\n{\"clip_id\": \"gone\"}\n");
        ClipCatalog fromManifest = ClipCatalog.of(manifest);
        assertEquals(List.of(new LabelStore.Clip("b", "clips/b.mp4", "clips/b.png", "a caption")), fromManifest.clips());
        assertThrows(LabelException.class, () -> ClipCatalog.of(dir.resolve("nothing.txt")));
    }

    @Test
    void scannerWalksDirectoriesReadsListsAndKeepsNamedFiles() throws Exception {
        Path v = Files.createDirectories(dir.resolve("v/sub"));
        Files.write(v.resolve("x.MKV"), new byte[]{1});
        Files.write(v.resolve("notes.txt"), new byte[]{1});
        Files.write(dir.resolve("v/y.webm"), new byte[]{1});
        Files.writeString(dir.resolve("list.txt"), "# sources\nv/y.webm\nmissing.mov\n");
        List<String> found = SourceScanner.scan(List.of(dir.resolve("v").toString(), dir.resolve("list.txt").toString()));
        assertEquals(List.of(dir.resolve("missing.mov").toString(), v.resolve("x.MKV").toString(), dir.resolve("v/y.webm").toString()), found);
    }
}
