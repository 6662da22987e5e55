package dev.zoetrope.curate.labels;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelStoreTest {
    @TempDir
    Path dir;

    @Test
    void storesRevisesAndRoundTripsThroughLabelStudioJson() throws Exception {
        LabelConfig config = LabelConfig.defaults();
        try (LabelStore store = LabelStore.open(dir.resolve("a.sqlite"))) {
            assertEquals(2, store.addClips(List.of(new LabelStore.Clip("c1", "c1.mp4", "c1.png", null),
                    new LabelStore.Clip("c2", "c2.mp4", null, "a cap"))));
            assertEquals(0, store.addClips(List.of(new LabelStore.Clip("c1", "c1.mp4", null, null))));
            store.save("c1", "ann", Map.of("overall", "2", "motion", "shaky"));
            store.save("c1", "ann", Map.of("overall", "4"));
            store.save("c1", "bob", Map.of("overall", "5", "text", "yes"));
            assertEquals(Map.of("overall", "4", "motion", "shaky"), store.labelsOf("ann").get("c1"));
            LabelStudioFormat.exportTo(dir.resolve("ls.json"), store, config);
        }
        try (LabelStore other = LabelStore.open(dir.resolve("b.sqlite"))) {
            assertEquals(4, LabelStudioFormat.importFrom(dir.resolve("ls.json"), other, config));
            assertEquals(List.of("c1", "c2"), other.clips().stream().map(LabelStore.Clip::id).toList());
            assertEquals(Map.of("overall", "5", "text", "yes"), other.labelsOf("bob").get("c1"));
            assertEquals("4", other.labelsOf("ann").get("c1").get("overall"));
        }
    }

    @Test
    void importRefusesValuesOutsideTheConfiguration() throws Exception {
        Path f = dir.resolve("bad.json");
        java.nio.file.Files.writeString(f, """
                [{"data":{"video":"x.mp4","clip_id":"x"},"annotations":[{"completed_by":3,
                  "result":[{"from_name":"overall","to_name":"video","type":"rating","value":{"rating":9}}]}]}]""");
        try (LabelStore store = LabelStore.open(dir.resolve("c.sqlite"))) {
            LabelException e = assertThrows(LabelException.class, () -> LabelStudioFormat.importFrom(f, store, LabelConfig.defaults()));
            assertTrue(e.getMessage().contains("overall"), e.getMessage());
        }
    }

    @Test
    void krippendorffAlphaOnKnownCases() {
        // Perfect agreement among varied values: alpha 1.
        var perfect = List.of(List.of("a", "a"), List.of("b", "b", "b"), List.of("c", "c"));
        assertEquals(1.0, Agreement.alpha("x", perfect, false).alpha(), 1e-12);
        // Worked example: two coders, nominal, values agree on 3 of 4 units.
        var some = List.of(List.of("a", "a"), List.of("a", "b"), List.of("b", "b"), List.of("c", "c"));
        // n = 8 values; D_o = 2/8; D_e = pairs disagreeing among {a,a,a,b,b,b,c,c}: (56 - 6 - 6 - 2) / 56.
        double expected = 1 - (2.0 / 8) / (42.0 / 56);
        assertEquals(expected, Agreement.alpha("x", some, false).alpha(), 1e-12);
        // Ratings: near-misses cost less on the interval scale than on the nominal one.
        var ratings = List.of(List.of("1", "2"), List.of("4", "5"), List.of("3", "3"), List.of("5", "5"));
        assertTrue(Agreement.alpha("r", ratings, true).alpha() > Agreement.alpha("r", ratings, false).alpha());
        assertTrue(Double.isNaN(Agreement.alpha("x", List.of(List.of("a")), false).alpha()));
    }
}
