package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.zoetrope.core.engine.DType;

/** Every kind of bad file gives one {@link SafetensorsException} that names the file and the problem. */
class CorruptFilesTest {
    @TempDir
    Path dir;

    /** A file made of the given header length, header bytes and data bytes, exactly as given. */
    private Path rawFile(String name, long declaredHeaderLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLength).put(header).put(data);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private Path withHeader(String name, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return rawFile(name, h.length, h, new byte[dataBytes]);
    }

    /** Opening {@code file} fails with a message naming it and containing every one of {@code problem}. */
    private static SafetensorsException refused(Path file, String... problem) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> {
            try (Weights w = Weights.open(file)) {
                fail("opened " + file + " with " + w.names());
            }
        });
        assertTrue(e.getMessage().contains(file.getFileName().toString()), "names the file: " + e.getMessage());
        for (String p : problem) assertTrue(e.getMessage().contains(p), "says '" + p + "': " + e.getMessage());
        return e;
    }

    private Path validFile() throws IOException {
        Path p = dir.resolve("valid.safetensors");
        byte[] a = new byte[4 * 6], b = new byte[2 * 3];
        new Random(1).nextBytes(a);
        new Random(2).nextBytes(b);
        SafetensorsWriter.writeEntries(p, List.of(SafetensorsWriter.Entry.of("a", DType.F32, new long[]{2, 3}, a),
                SafetensorsWriter.Entry.of("b", DType.BF16, new long[]{3}, b)), Map.of("format", "pt"));
        return p;
    }

    @Test
    void truncatedAtEveryKindOfPlace() throws IOException {
        Path valid = validFile();
        byte[] bytes = Files.readAllBytes(valid);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int[] cuts = {0, 1, 7, 8, 8 + (int) headerLen / 2, 8 + (int) headerLen - 1, 8 + (int) headerLen,
                8 + (int) headerLen + 5, bytes.length - 1};
        for (int cut : cuts) {
            Path p = dir.resolve("cut" + cut + ".safetensors");
            Files.write(p, Arrays.copyOf(bytes, cut));
            refused(p, "truncated");
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 62, Long.MAX_VALUE, -1L, Long.MIN_VALUE, -8L, SafetensorsFile.MAX_HEADER_BYTES + 1})
    void hugeOrNegativeHeaderLengthIsRefusedWithoutAllocating(long declared) throws IOException {
        Path p = rawFile("huge.safetensors", declared, "{}".getBytes(StandardCharsets.UTF_8), new byte[16]);
        refused(p, "header length " + Long.toUnsignedString(declared), "over the limit");
    }

    @Test
    void headerTooSmallForJson() throws IOException {
        refused(rawFile("tiny.safetensors", 1, "{".getBytes(StandardCharsets.UTF_8), new byte[0]), "too small");
    }

    @Test
    void negativeOffsets() throws IOException {
        refused(withHeader("neg.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8),
                "'a'", "negative data offset");
        refused(withHeader("neg2.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 8),
                "'a'", "negative data offset");
    }

    @Test
    void endBeforeBegin() throws IOException {
        refused(withHeader("back.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8),
                "'a'", "before begin");
    }

    @Test
    void overlappingOffsets() throws IOException {
        refused(withHeader("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "'a'", "'b'", "overlap");
        refused(withHeader("same.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "overlap");
    }

    @ParameterizedTest
    @ValueSource(strings = {"F17", "U32", "F8_E4M3FNUZ", "F8_E8M0", "float32", ""})
    void unknownDtype(String dtype) throws IOException {
        refused(withHeader("dtype.safetensors", "{\"a\":{\"dtype\":\"" + dtype + "\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "'a'", "unsupported dtype '" + dtype + "'", "BF16");
    }

    @Test
    void shapeAndLengthDisagree() throws IOException {
        refused(withHeader("short.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                "'a'", "needs 12 bytes", "span 8");
        refused(withHeader("long.safetensors", "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16),
                "'a'", "needs 8 bytes", "span 16");
    }

    @Test
    void shapeThatOverflowsOrIsNotWhole() throws IOException {
        refused(withHeader("big.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                + "\"data_offsets\":[0,4]}}", 4), "'a'", "overflows");
        refused(withHeader("frac.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4),
                "'a'", "shape entry 1.5");
        refused(withHeader("negshape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "'a'", "shape entry -1");
    }

    @Test
    void nonUtf8Header() throws IOException {
        byte[] h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        h[2] = (byte) 0xFF;
        refused(rawFile("latin.safetensors", h.length, h, new byte[4]), "not valid UTF-8");
    }

    @Test
    void malformedJson() throws IOException {
        refused(withHeader("cut.safetensors", "{\"a\": {\"dtype\": ", 0), "not well-formed JSON");
        refused(withHeader("trailing.safetensors", "{} {}", 0), "not well-formed JSON");
        refused(withHeader("array.safetensors", "[1, 2]", 0), "not a JSON object");
        refused(withHeader("entry.safetensors", "{\"a\": 3}", 0), "'a'", "not an object");
        refused(withHeader("meta.safetensors", "{\"__metadata__\": {\"k\": 1}}", 0), "__metadata__", "'k'");
        refused(withHeader("offs.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
                "data_offsets must be [begin, end]");
    }

    @Test
    void duplicateKeys() throws IOException {
        refused(withHeader("dup.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "Duplicate", "'a'");
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        refused(withHeader("past.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12),
                "'a'", "past the data section of 12 bytes");
        refused(withHeader("far.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[9223372036854775800,9223372036854775804]}}", 4), "'a'", "past the data section");
    }

    @Test
    void missingFileAndEmptyDirectory() throws IOException {
        refused(dir.resolve("absent.safetensors"), "no such file");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        refused(empty, "no .safetensors");
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        Path shard = validFile();
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{\"a\":\""
                + shard.getFileName() + "\",\"c\":\"model-00002-of-00002.safetensors\"}}");
        refused(dir.resolve("model.safetensors.index.json"), "model-00002-of-00002.safetensors", "'c'", "missing");
        refused(dir, "model-00002-of-00002.safetensors", "missing");
    }

    @Test
    void indexPlacingATensorInTheWrongShard() throws IOException {
        Path shard = validFile();
        Files.writeString(dir.resolve("m.safetensors.index.json"), "{\"weight_map\":{\"zz\":\"" + shard.getFileName() + "\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Weights.open(dir.resolve("m.safetensors.index.json")));
        assertTrue(e.getMessage().contains("valid.safetensors") && e.getMessage().contains("'zz'"), e.getMessage());
    }

    @Test
    void malformedIndex() throws IOException {
        Path idx = dir.resolve("bad.safetensors.index.json");
        Files.writeString(idx, "{\"weight_map\": {\"a\": ");
        refused(idx, "not well-formed JSON");
        Files.writeString(idx, "{\"metadata\": {}}");
        refused(idx, "no weight_map");
        Files.writeString(idx, "{\"weight_map\": {\"a\": 7}}");
        refused(idx, "'a'", "not a file name");
        Files.writeString(idx, "{\"weight_map\": {\"a\": \"../elsewhere.safetensors\"}}");
        refused(idx, "outside the checkpoint directory");
        Files.writeString(idx, "{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"y.safetensors\"}}");
        refused(idx, "Duplicate");
    }

    /** Random damage to a valid header: the file either still opens or is refused cleanly, never anything else. */
    @Test
    void randomHeaderDamageNeverEscapesAsAnotherException() throws IOException {
        byte[] good = Files.readAllBytes(validFile());
        Random rnd = new Random(42);
        int refusedCount = 0;
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            int flips = 1 + rnd.nextInt(3);
            for (int f = 0; f < flips; f++) bad[rnd.nextInt(Math.min(bad.length, 8 + 160))] = (byte) rnd.nextInt(256);
            Path p = dir.resolve("fuzz.safetensors");
            Files.write(p, bad);
            try (Weights w = Weights.open(p)) {
                assertNotNull(w.names());
            } catch (SafetensorsException e) {
                assertTrue(e.getMessage().contains("fuzz.safetensors"), e.getMessage());
                refusedCount++;
            }
        }
        assertTrue(refusedCount > 100, "most random damage is detected, got " + refusedCount);
    }
}
