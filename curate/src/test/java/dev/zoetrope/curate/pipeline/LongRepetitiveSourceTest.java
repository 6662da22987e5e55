package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.curate.signals.NearDuplicates;
import dev.zoetrope.curate.signals.NearDuplicatesTest;
import dev.zoetrope.video.SyntheticSources;

/**
 * Two hours at 1 fps, 64×64, curated at 64×64: 1439 five-second clips nearly all alike. All-pairs search held some
 * 16 million pairs here and ran out of a 6 GB heap; grouping per bucket must finish with the same duplicate decisions
 * in a JVM whose heap is limited to 384 MB.
 */
@Tag("slow")
class LongRepetitiveSourceTest {
    static final String HEAP = "-Xmx384m";

    @TempDir
    Path dir;

    /** Runs one curation and prints its duplicate count; started in a JVM of its own, so its heap can be limited. */
    public static void main(String[] args) throws Exception {
        CurateOptions o = CurateOptions.defaults(List.of(args[0]), args[1]).withSize(64, 64);
        Finalizer.Summary s = CuratePipeline.run(o, "DirectRunner", List.of(), ShardExtras.NONE, new PrintStream(new ByteArrayOutputStream()));
        System.out.println("clips=" + s.clips() + " duplicates=" + s.rejectedBy().get("duplicate"));
        System.exit(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"black", "testsrc2"})
    void aTwoHourRepetitiveSourceIsCuratedWithTheSameDuplicatesInALimitedHeap(String content) throws Exception {
        Path video = dir.resolve(content + ".mp4");
        int seconds = 7200;
        SyntheticSources.render(content.equals("black") ? SyntheticSources.color("black", 64, 64, 1, seconds)
                : SyntheticSources.testsrc2(64, 64, 1, seconds), video, seconds, 23, "ultrafast");
        Path out = dir.resolve("out");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
                "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                LongRepetitiveSourceTest.class.getName(), video.toString(), out.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);

        // The done marker gives back every clip's signature: the decisions must be those of all pairs.
        CurateOptions o = CurateOptions.defaults(List.of(video.toString()), out.toString()).withSize(64, 64);
        Map<String, long[]> signatures = new HashMap<>();
        for (ClipResult c : new ClipExtractor(o).extract(video.toString()).clips()) signatures.put(c.clipId(), c.signals().hashes());
        Map<String, String> expected = NearDuplicatesTest.allPairs(signatures, NearDuplicates.DEFAULT_MAX_DISTANCE, null);
        assertEquals(1439, signatures.size());
        assertTrue(expected.size() > 1300, "a repetitive source: " + expected.size() + " duplicates");
        assertTrue(output.contains("clips=1439 duplicates=" + expected.size()), output);
        System.out.printf("%s: 1439 clips, %d duplicates, in a %s heap%n", content, expected.size(), HEAP);
    }
}
