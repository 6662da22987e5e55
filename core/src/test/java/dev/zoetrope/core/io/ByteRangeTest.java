package dev.zoetrope.core.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteRangeTest {
    @Test
    void parsesTheThreeFormsAndClampsToTheFile() throws Exception {
        assertEquals(new ByteRange(0, 99), ByteRange.parse("bytes=0-99", 1000));
        assertEquals(new ByteRange(500, 999), ByteRange.parse("bytes=500-", 1000));
        assertEquals(new ByteRange(900, 999), ByteRange.parse("bytes=-100", 1000));
        assertEquals(new ByteRange(0, 999), ByteRange.parse("bytes=-5000", 1000));
        assertEquals(new ByteRange(990, 999), ByteRange.parse("bytes=990-2000", 1000));
        assertEquals(100, ByteRange.parse("bytes=0-99", 1000).length());
    }

    @Test
    void ignoresWhatItNeedNotServe() throws Exception {
        assertNull(ByteRange.parse(null, 1000));
        assertNull(ByteRange.parse("items=0-1", 1000));
        assertNull(ByteRange.parse("bytes=0-1,5-6", 1000));
        assertNull(ByteRange.parse("bytes=abc-", 1000));
        assertNull(ByteRange.parse("bytes=9-3", 1000));
    }

    @Test
    void rangesOutsideTheFileAreUnsatisfiable() {
        assertThrows(ByteRange.UnsatisfiableException.class, () -> ByteRange.parse("bytes=1000-", 1000));
        assertThrows(ByteRange.UnsatisfiableException.class, () -> ByteRange.parse("bytes=2000-3000", 1000));
        assertThrows(ByteRange.UnsatisfiableException.class, () -> ByteRange.parse("bytes=-0", 1000));
    }

    @Test
    void copiesExactlyTheRangeAndRefusesAShrunkFile(@TempDir Path dir) throws Exception {
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + i / 256);
        Path file = Files.write(dir.resolve("f.bin"), data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteRange r = ByteRange.parse("bytes=70000-", data.length);
        r.copy(file, out);
        assertArrayEquals(Arrays.copyOfRange(data, 70_000, data.length), out.toByteArray());
        assertEquals("bytes 70000-199999/200000", r.contentRange(data.length));
        out.reset();
        ByteRange.whole(data.length).copy(file, out);
        assertArrayEquals(data, out.toByteArray());
        assertThrows(IOException.class, () -> new ByteRange(199_990, 200_009).copy(file, new ByteArrayOutputStream()));
    }
}
