package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurateLabelCommandsTest {
    @TempDir
    Path dir;

    @Test
    void curateWithoutInputsIsAUserError() {
        assertEquals(2, Main.run("curate"));
        assertEquals(2, Main.run("curate", "--in", dir.toString(), "--out", dir.resolve("o").toString(), "--resolution", "wide"));
    }

    @Test
    void labelImportAgreementAndExportRoundTrip() throws Exception {
        Path in = dir.resolve("ls.json");
        Files.writeString(in, """
                [{"data":{"video":"clips/a.mp4","clip_id":"a"},"annotations":[
                   {"completed_by":{"email":"ann"},"result":[{"from_name":"overall","to_name":"video","type":"rating","value":{"rating":4}}]},
                   {"completed_by":7,"result":[{"from_name":"overall","to_name":"video","type":"rating","value":{"rating":4}}]}]}]""");
        Path db = dir.resolve("labels.sqlite");
        assertEquals(0, Main.run("label", "import", "--db", db.toString(), "--in", in.toString()));
        assertEquals(0, Main.run("label", "agreement", "--db", db.toString()));
        Path out = dir.resolve("out.json");
        assertEquals(0, Main.run("label", "export", "--db", db.toString(), "--out", out.toString()));
        String text = Files.readString(out);
        assertTrue(text.contains("\"user-7\"") && text.contains("\"ann\"") && text.contains("\"rating\" : 4"), text);
    }
}
