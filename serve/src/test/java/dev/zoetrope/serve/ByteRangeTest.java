package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

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
}
