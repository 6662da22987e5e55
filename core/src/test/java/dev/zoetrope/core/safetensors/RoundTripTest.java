package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

/** Write then read gives back the same bytes, for every dtype, through raw entries and through engine tensors. */
class RoundTripTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** Random contents valid for {@code dtype}: any bit pattern for numbers, 0 or 1 for bool. */
    static byte[] randomBytes(DType dtype, long numel, long seed) {
        byte[] b = new byte[Math.toIntExact(numel * dtype.size())];
        Random rnd = new Random(seed);
        if (dtype == DType.BOOL) {
            for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(2);
        } else if (dtype.isFloating()) {
            // Finite values, so comparisons through the engine are meaningful; the bits are still arbitrary.
            ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < numel; i++) {
                float v = (float) (rnd.nextGaussian() * 3);
                switch (dtype) {
                    // fp8: any byte but the NaN (E4M3FN: S.1111.111) and Inf/NaN (E5M2: S.11111.xx) patterns
                    case F8_E4M3 -> buf.put((byte) (rnd.nextInt(127) | (rnd.nextBoolean() ? 0x80 : 0)));
                    case F8_E5M2 -> buf.put((byte) (rnd.nextInt(0x7C) | (rnd.nextBoolean() ? 0x80 : 0)));
                    case F64 -> buf.putDouble(rnd.nextGaussian() * 3);
                    case F32 -> buf.putFloat(v);
                    case BF16 -> buf.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                    case F16 -> buf.putShort(Float.floatToFloat16(v));
                    default -> throw new AssertionError(dtype);
                }
            }
        } else {
            rnd.nextBytes(b);
        }
        return b;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void rawEntriesRoundTripForEveryDtype(DType dtype) throws IOException {
        Path p = dir.resolve(dtype + ".safetensors");
        long[] shape = {3, 5, 2};
        byte[] data = randomBytes(dtype, 30, dtype.ordinal());
        byte[] scalar = randomBytes(dtype, 1, 99);
        SafetensorsWriter.writeEntries(p, List.of(SafetensorsWriter.Entry.of("t", dtype, shape, data),
                SafetensorsWriter.Entry.of("scalar", dtype, new long[0], scalar),
                SafetensorsWriter.Entry.of("empty", dtype, new long[]{0, 4}, new byte[0])), Map.of());
        try (SafetensorsFile f = SafetensorsFile.open(p); PointerScope scope = new PointerScope()) {
            TensorInfo info = f.info("t").orElseThrow();
            assertEquals(dtype, info.dtype());
            assertArrayEquals(shape, info.shape());
            assertArrayEquals(data, f.bytes("t"));
            assertArrayEquals(scalar, f.bytes("scalar"));
            assertEquals(0, f.bytes("empty").length);
            Tensor t = f.load("t");
            assertEquals(dtype, Tensors.dtype(t), "stored dtype is kept");
            assertArrayEquals(shape, Tensors.shape(t));
            assertArrayEquals(data, Tensors.toBytes(t));
            assertEquals(0, Tensors.shape(f.load("scalar")).length);
            assertArrayEquals(scalar, Tensors.toBytes(f.load("scalar")));
            assertArrayEquals(new long[]{0, 4}, Tensors.shape(f.load("empty")));
        }
        assertArrayEquals(data, RawSafetensors.read(p).bytes("t"), "an independent reader sees the same bytes");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void engineTensorsRoundTripKeepingTheirDtype(DType dtype) throws IOException {
        Path p = dir.resolve("engine-" + dtype + ".safetensors");
        byte[] data = randomBytes(dtype, 24, 7 + dtype.ordinal());
        try (PointerScope scope = new PointerScope()) {
            Tensor t = Tensors.fromBytes(data, dtype, 4, 6);
            Tensor transposed = t.t(); // not contiguous: written in its logical row-major order
            SafetensorsWriter.write(p, Map.of("w", t, "wt", transposed));
            try (Weights w = Weights.open(p)) {
                Tensor back = w.load("w");
                assertEquals(dtype, Tensors.dtype(back));
                assertArrayEquals(data, Tensors.toBytes(back));
                Tensor backT = w.load("wt");
                assertArrayEquals(new long[]{6, 4}, Tensors.shape(backT));
                assertArrayEquals(Tensors.toBytes(transposed.contiguous()), Tensors.toBytes(backT));
                Tensor asDouble = w.load("w", DType.F64);
                assertEquals(DType.F64, Tensors.dtype(asDouble), "cast on request");
                assertArrayEquals(Tensors.toDoubles(t), Tensors.toDoubles(asDouble));
            }
        }
    }

    @Test
    void bf16StaysBf16UnlessACastIsAsked() throws IOException {
        Path p = dir.resolve("bf16.safetensors");
        byte[] data = randomBytes(DType.BF16, 8, 3);
        try (PointerScope scope = new PointerScope()) {
            SafetensorsWriter.write(p, Map.of("x", Tensors.fromBytes(data, DType.BF16, 8)));
            try (Weights w = Weights.open(p)) {
                assertEquals(DType.BF16, w.info("x").orElseThrow().dtype());
                assertEquals(DType.BF16, Tensors.dtype(w.load("x")));
                assertEquals(DType.BF16, Tensors.dtype(w.load("x", DType.BF16)));
                float[] asF32 = Tensors.toFloats(w.load("x", DType.F32));
                ByteBuffer raw = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < 8; i++)
                    assertEquals(Float.intBitsToFloat((raw.getShort(2 * i) & 0xFFFF) << 16), asF32[i], "bf16 widening is exact");
            }
        }
    }

    @Test
    void writingWithACastConvertsOnlyFloatingTensors() throws IOException {
        Path p = dir.resolve("cast.safetensors");
        try (PointerScope scope = new PointerScope()) {
            Tensor f = Tensors.fromFloats(new float[]{1.5f, -2.25f, 3.0f}, 3);
            Tensor ids = Tensors.fromLongs(new long[]{1, 2, 3}, 3);
            SafetensorsWriter.write(p, Map.of("f", f, "ids", ids), Map.of(), DType.BF16);
            try (Weights w = Weights.open(p)) {
                assertEquals(DType.BF16, w.info("f").orElseThrow().dtype());
                assertEquals(DType.I64, w.info("ids").orElseThrow().dtype());
                assertArrayEquals(new float[]{1.5f, -2.25f, 3.0f}, Tensors.toFloats(w.load("f")));
                assertArrayEquals(new long[]{1, 2, 3}, Tensors.toLongs(w.load("ids")));
            }
            assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(p, Map.of("f", f), Map.of(), DType.I32));
        }
    }

    @Test
    void headerIsSortedPaddedAndCarriesMetadata() throws IOException {
        Path p = dir.resolve("layout.safetensors");
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String name : List.of("zeta", "alpha", "mid.b", "mid.a", "B"))
            entries.add(SafetensorsWriter.Entry.of(name, DType.F32, new long[]{1 + name.length()}, randomBytes(DType.F32, 1 + name.length(), name.hashCode())));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcode ✓");
        SafetensorsWriter.writeEntries(p, entries, meta);

        RawSafetensors raw = RawSafetensors.read(p);
        assertEquals(0, raw.headerLength() % 8, "header padded to a multiple of 8");
        String header = raw.headerText();
        assertEquals(header.stripTrailing() + " ".repeat(header.length() - header.stripTrailing().length()), header);
        List<Integer> positions = Stream.of("B", "alpha", "mid.a", "mid.b", "zeta").map(n -> header.indexOf("\"" + n + "\"")).toList();
        for (int i = 1; i < positions.size(); i++)
            assertTrue(positions.get(i - 1) >= 0 && positions.get(i - 1) < positions.get(i), "keys sorted: " + header);
        assertTrue(header.startsWith("{\"__metadata__\""), header);
        // Data follows key order, each tensor right after the previous one.
        long expectedBegin = 0;
        for (String n : List.of("B", "alpha", "mid.a", "mid.b", "zeta")) {
            assertEquals(expectedBegin, raw.entries().get(n).begin(), n);
            expectedBegin = raw.entries().get(n).end();
        }
        assertEquals(raw.file().length - raw.dataStart(), expectedBegin);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(meta, f.metadata());
            for (SafetensorsWriter.Entry e : entries)
                assertArrayEquals(e.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), f.bytes(e.name()));
        }
        assertTrue(new String(Files.readAllBytes(p), StandardCharsets.UTF_8).contains("ünïcode ✓"));
    }

    @Test
    void duplicateNamesAndWrongLengthsAreRefusedBeforeWriting() {
        Path p = dir.resolve("never.safetensors");
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.writeEntries(p, List.of(
                SafetensorsWriter.Entry.of("a", DType.U8, new long[]{1}, new byte[1]),
                SafetensorsWriter.Entry.of("a", DType.U8, new long[]{1}, new byte[1])), Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.Entry.of("w", DType.F32, new long[]{2, 2}, new byte[15]));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("16"), e.getMessage());
        assertFalse(Files.exists(p));
    }

    /** A write that fails after the header and the first tensor leaves no partial file and keeps the old one. */
    @Test
    void failureMidWriteLeavesNoPartialFile() throws IOException {
        Path p = dir.resolve("model.safetensors");
        SafetensorsWriter.writeEntries(p, List.of(SafetensorsWriter.Entry.of("old", DType.U8, new long[]{3}, new byte[]{1, 2, 3})), Map.of());
        byte[] before = Files.readAllBytes(p);

        MemorySegment gone;
        try (Arena arena = Arena.ofConfined()) {
            gone = arena.allocate(1 << 20);
        }
        List<SafetensorsWriter.Entry> entries = List.of(
                SafetensorsWriter.Entry.of("a.first", DType.U8, new long[]{1 << 20}, new byte[1 << 20]),
                new SafetensorsWriter.Entry("b.second", DType.F32, new long[]{1 << 18}, gone));
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.writeEntries(p, entries, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(p), "old file untouched");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList(), "no temporary file left behind");
        }

        Path fresh = dir.resolve("fresh.safetensors");
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.writeEntries(fresh, entries, Map.of()));
        assertFalse(Files.exists(fresh), "no partial target");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    @Test
    void interruptedWriteLeavesNoPartialFile() throws IOException {
        Path p = dir.resolve("interrupted.safetensors");
        Thread.currentThread().interrupt();
        try {
            assertThrows(IOException.class, () -> SafetensorsWriter.writeEntries(p,
                    List.of(SafetensorsWriter.Entry.of("a", DType.U8, new long[]{4096}, new byte[4096])), Map.of()));
        } finally {
            Thread.interrupted();
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList());
        }
    }
}
