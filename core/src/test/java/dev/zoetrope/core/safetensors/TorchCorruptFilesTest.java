package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.zoetrope.core.safetensors.TorchFiles.Pickle;
import dev.zoetrope.core.safetensors.TorchFiles.TensorSpec;

/**
 * Damaged, hostile and unsupported PyTorch checkpoints each give one {@link TorchCheckpointException} that names the
 * file and the problem: never another exception, an out-of-memory error or a read outside the file.
 */
class TorchCorruptFilesTest {
    @TempDir
    Path dir;

    /** Opening {@code file} and loading all its tensors fails with a message naming it and every {@code problem}. */
    private static TorchCheckpointException refused(Path file, String... problem) {
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class, () -> openAndLoadAll(file));
        assertTrue(e.getMessage().contains(file.getFileName().toString()), "names the file: " + e.getMessage());
        for (String p : problem) assertTrue(e.getMessage().contains(p), "says '" + p + "': " + e.getMessage());
        return e;
    }

    private static void openAndLoadAll(Path file) {
        try (Weights w = Weights.open(file); PointerScope scope = new PointerScope()) {
            for (String n : w.names())
                try (PointerScope t = new PointerScope()) {
                    w.load(n);
                }
        }
    }

    private Path pth(String name, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        return TorchFiles.write(dir.resolve(name + ".pth"), name, pickle, storages, false);
    }

    /** A state dict pickle holding one tensor built by {@code tensorArgs}, which emits everything after the GLOBAL. */
    private static byte[] oneTensor(Consumer<Pickle> tensorArgs) {
        Pickle p = new Pickle().proto().op('}').str("t").global("torch._utils", "_rebuild_tensor_v2");
        tensorArgs.accept(p);
        return p.op('s').op('.').bytes();
    }

    private static void storage(Pickle p, String cls, String key, long numel) {
        p.op('(').str("storage").global("torch", cls).str(key).str("cpu").integer(numel).op('t').op('Q');
    }

    private static byte[] fixtureBytes() throws IOException {
        return Files.readAllBytes(TorchCheckpointTest.fixture("models_t5_umt5-xxl-enc-bf16.pth"));
    }

    private static int eocd(byte[] zip) {
        for (int i = zip.length - 22; i >= 0; i--)
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 5 && zip[i + 3] == 6) return i;
        throw new AssertionError("no end record");
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void truncatedAnywhere() throws IOException {
        byte[] good = fixtureBytes();
        for (int cut : new int[]{0, 1, 3, 4, 30, 200, good.length / 2, good.length - 100, good.length - 22, good.length - 1}) {
            Path p = dir.resolve("cut" + cut + ".pth");
            Files.write(p, Arrays.copyOf(good, cut));
            refused(p);
        }
    }

    @Test
    void damagedZipDirectory() throws IOException {
        byte[] good = fixtureBytes();
        int end = eocd(good);
        int cd = le(good).getInt(end + 16);

        byte[] b = good.clone();
        b[cd] = 'X'; // first central header's signature
        refused(write("badsig.pth", b), "central directory entry 0");

        b = good.clone();
        le(b).putInt(cd + 42, good.length + 1000); // local header offset past the end
        refused(write("badoffset.pth", b), "outside the file");

        b = good.clone();
        le(b).putInt(cd + 20, 0x7FFFFFF0).putInt(cd + 24, 0x7FFFFFF0); // sizes far past the end
        refused(write("badsize.pth", b), "outside the file");

        // torch writes zip64 end records (as here) beside the classic one; damage to either is caught.
        int z64 = (int) le(good).getLong(end - 20 + 8);
        assertEquals(0x06064b50, le(good).getInt(z64), "a zip64 end record");
        b = good.clone();
        le(b).putInt(end + 16, good.length - 10); // directory offset in the classic record
        refused(write("badcd.pth", b), "end records disagree");
        b = good.clone();
        le(b).putLong(z64 + 48, good.length - 10); // and in the zip64 record
        le(b).putInt(end + 16, good.length - 10);
        refused(write("badcd64.pth", b), "central directory");

        b = good.clone();
        le(b).putLong(z64 + 32, 0xFFF0).putShort(end + 10, (short) 0xFFFF); // more entries than the directory holds
        refused(write("badcount.pth", b), "entries");
        b = good.clone();
        le(b).putLong(z64 + 48, -5).putInt(end + 16, -1); // an offset beyond any long
        refused(write("badcd64neg.pth", b), "out of range");

        b = good.clone();
        le(b).putShort(cd + 8, (short) 1); // encrypted
        refused(write("encrypted.pth", b), "encrypted");
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** Random damage to the zip directory and the pickle: the file still loads or is refused cleanly, nothing else. */
    @Test
    void randomDamageNeverEscapesAsAnotherException() throws IOException {
        byte[] good = fixtureBytes();
        int cd = le(good).getInt(eocd(good) + 16);
        Random rnd = new Random(7);
        int refusedCount = 0;
        for (int i = 0; i < 400; i++) {
            byte[] bad = good.clone();
            // Half the runs hit the directory and end record, half the start of the file (local header, data.pkl).
            int from = i % 2 == 0 ? cd : 0, to = i % 2 == 0 ? bad.length : 3000;
            for (int f = 0, flips = 1 + rnd.nextInt(3); f < flips; f++) bad[from + rnd.nextInt(to - from)] = (byte) rnd.nextInt(256);
            Path p = write("fuzz.pth", bad);
            try {
                openAndLoadAll(p);
            } catch (TorchCheckpointException e) {
                assertTrue(e.getMessage().contains("fuzz.pth"), e.getMessage());
                refusedCount++;
            }
        }
        assertTrue(refusedCount > 200, "most random damage is detected, got " + refusedCount);
    }

    /** Damage inside the pickle with a valid CRC (so the interpreter itself must cope). */
    @Test
    void randomPickleDamageWithAValidCrc() throws IOException {
        List<TensorSpec> specs = List.of(TensorSpec.contiguous("a", "FloatStorage", "0", 2, 3),
                new TensorSpec("b", "FloatStorage", "0", 6, 1, new long[]{2, 2}, new long[]{1, 3}),
                TensorSpec.contiguous("c", "HalfStorage", "1", 4));
        byte[] pickle = TorchFiles.stateDict(specs);
        Map<String, byte[]> data = Map.of("0", TorchFiles.iota(6), "1", new byte[8]);
        Random rnd = new Random(11);
        int loaded = 0;
        for (int i = 0; i < 200; i++) {
            byte[] bad = pickle.clone();
            for (int f = 0, flips = 1 + rnd.nextInt(2); f < flips; f++) bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
            Path p = pth("pfuzz", bad, data);
            try {
                openAndLoadAll(p);
                loaded++;
            } catch (TorchCheckpointException e) {
                assertTrue(e.getMessage().contains("pfuzz.pth"), e.getMessage());
            }
        }
        assertTrue(loaded < 200, "some damage is detected");
    }

    @Test
    void shapesAndStridesThatLeaveTheStorageAreRefused() throws IOException {
        Map<String, byte[]> data = Map.of("0", TorchFiles.iota(4));
        refused(pth("huge", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "0", 4);
            p.integer(0).tuple(1L << 40, 1L << 40).tuple(1L << 40, 1).op(0x89).op('}').op('t').op('R');
        }), data), "overflows");
        refused(pth("big", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "0", 4);
            p.integer(0).tuple(100_000, 100_000).tuple(100_000, 1).op(0x89).op('}').op('t').op('R');
        }), data), "reaches past its storage");
        refused(pth("offset", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "0", 4);
            p.integer(3).tuple(2).tuple(1).op(0x89).op('}').op('t').op('R');
        }), data), "reaches past its storage");
        // An expanded view (stride 0) would turn 4 bytes of file into a 4 GB tensor.
        refused(pth("expanded", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "0", 1);
            p.integer(0).tuple(1L << 30).tuple(0).op(0x89).op('}').op('t').op('R');
        }), data), "reaches past its storage");
        refused(pth("negative", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "0", 4);
            p.integer(0).tuple(-2).tuple(1).op(0x89).op('}').op('t').op('R');
        }), data), "not a non-negative integer");
        refused(pth("dims", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "0", 4);
            long[] ones = new long[65];
            Arrays.fill(ones, 1);
            p.integer(0).tuple(ones).tuple(ones).op(0x89).op('}').op('t').op('R');
        }), data), "65 dimensions");
        // The storage claims more than its entry holds.
        refused(pth("storage", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "0", 1L << 40);
            p.integer(0).tuple(1L << 20).tuple(1).op(0x89).op('}').op('t').op('R');
        }), data), "its entry holds 16");
        refused(pth("missing", oneTensor(p -> {
            p.op('(');
            storage(p, "FloatStorage", "7", 4);
            p.integer(0).tuple(4).tuple(1).op(0x89).op('}').op('t').op('R');
        }), data), "storage '7'", "lacks");
    }

    @ParameterizedTest
    @ValueSource(strings = {"os system", "posix system", "nt system", "builtins eval", "builtins exec", "__builtin__ getattr",
            "subprocess Popen", "torch.nn.modules.linear Linear", "numpy.core.multiarray _reconstruct", "__main__ Model",
            "torch load", "torch._utils _rebuild_qtensor"})
    void everyOtherGlobalIsRefusedByName(String global) throws IOException {
        String[] mn = global.split(" ");
        String name = "g" + Math.abs(global.hashCode());
        refused(pth(name, new Pickle().proto().global(mn[0], mn[1]).op(')').op('R').op('.').bytes(), Map.of()),
                "refuses global '" + mn[0] + "." + mn[1] + "'", "may be hostile");
        // STACK_GLOBAL (protocol 4) names it the same way
        Pickle p = new Pickle().op(0x80, 4).op(0x8c, mn[0].length()).raw(mn[0].getBytes(StandardCharsets.US_ASCII))
                .op(0x8c, mn[1].length()).raw(mn[1].getBytes(StandardCharsets.US_ASCII)).op(0x93).op(')').op('R').op('.');
        refused(pth(name + "s", p.bytes(), Map.of()), "refuses global '" + mn[0] + "." + mn[1] + "'");
    }

    @Test
    void unsupportedStorageTypesAndOpcodes() throws IOException {
        refused(pth("complex", oneTensor(p -> {
            p.op('(');
            storage(p, "ComplexFloatStorage", "0", 2);
        }), Map.of()), "torch.ComplexFloatStorage", "element type");
        // INST, OBJ, text PERSID, EXT1, NEWOBJ_EX: every way of calling or naming things other than GLOBAL
        for (int op : new int[]{'i', 'o', 'P', 0x82, 0x92, 'I', 'S'}) {
            Path p = pth("op" + op, new Pickle().proto().op('(').op(op).op('0', '0').op('.').bytes(), Map.of());
            refused(p, "refuses pickle opcode", String.format("0x%02x", op));
        }
        refused(pth("proto", new Pickle().op(0x80, 9).op('N', '.').bytes(), Map.of()), "protocol 9");
    }

    @Test
    void malformedPicklesAreRefused() throws IOException {
        refused(pth("underflow", new Pickle().proto().op('s').op('.').bytes(), Map.of()), "stack underflow");
        refused(pth("memo", new Pickle().proto().op('h', 3).op('.').bytes(), Map.of()), "memo entry 3");
        refused(pth("nostop", new Pickle().proto().op('}').bytes(), Map.of()), "truncated");
        refused(pth("after", new Pickle().proto().op('}').op('.').op('N').bytes(), Map.of()), "after STOP");
        refused(pth("left", new Pickle().proto().op('}').op('}').op('.').bytes(), Map.of()), "left on the stack");
        refused(pth("string", new Pickle().proto().op('X', 0xFF, 0xFF, 0xFF, 0x7F).op('.').bytes(), Map.of()), "truncated");
        refused(pth("notdict", new Pickle().proto().op(']').op('.').bytes(), Map.of()), "a list, not a dict of tensors");
        refused(pth("notensors", new Pickle().proto().op('}').str("epoch").integer(3).op('s').op('.').bytes(), Map.of()),
                "holds no tensors");
        refused(pth("key", new Pickle().proto().op('}').op(']').integer(1).op('s').op('.').bytes(), Map.of()),
                "not a plain value");
        // A dict that holds itself: d["self"] = d
        Pickle cyclic = new Pickle().proto().op('}');
        int d = cyclic.put();
        refused(pth("cycle", cyclic.str("self").get(d).op('s').op('.').bytes(), Map.of()), "deeper than");
        // The reader refuses a pickle that pushes more values than any state dict needs, before memory runs out.
        byte[] bomb = new byte[StatePickle.MAX_ITEMS + 10];
        Arrays.fill(bomb, (byte) 'N');
        bomb[0] = (byte) 0x80;
        bomb[1] = 2;
        refused(pth("bomb", bomb, Map.of()), "more than " + StatePickle.MAX_ITEMS + " values");
    }

    @Test
    void otherFormatsAreNamed() throws IOException {
        refused(write("plain.pth", new Pickle().proto().op('}').op('.').bytes()), "bare pickle");
        byte[] noise = new byte[5000];
        new Random(3).nextBytes(noise);
        noise[0] = 1;
        refused(write("noise.pth", noise), "not a PyTorch checkpoint");
        refused(write("empty.pth", new byte[0]), "empty");

        Map<String, byte[]> script = new LinkedHashMap<>();
        script.put("m/data.pkl", new Pickle().proto().op('}').op('.').bytes());
        script.put("m/code/__torch__/model.py", "class Model: ...".getBytes(StandardCharsets.UTF_8));
        script.put("m/constants.pkl", new Pickle().proto().op(')').op('.').bytes());
        refused(TorchFiles.zip(dir.resolve("scripted.pt"), script, false), "TorchScript");

        refused(TorchFiles.zip(dir.resolve("other.pth"), Map.of("readme.txt", new byte[3]), false), "data.pkl");

        Map<String, byte[]> big = new LinkedHashMap<>();
        big.put("be/data.pkl", TorchFiles.stateDict(List.of(TensorSpec.contiguous("a", "FloatStorage", "0", 1))));
        big.put("be/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        big.put("be/data/0", new byte[4]);
        refused(TorchFiles.zip(dir.resolve("be.pth"), big, false), "big-endian");
        big.put("be/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        openAndLoadAll(TorchFiles.zip(dir.resolve("le.pth"), big, false));
    }

    @Test
    void deflatedEntryClaimingAHugeSizeIsRefused() throws IOException {
        Path p = TorchFiles.write(dir.resolve("bomb.pth"), "bomb",
                TorchFiles.stateDict(List.of(TensorSpec.contiguous("a", "FloatStorage", "0", 4))),
                Map.of("0", TorchFiles.iota(4)), true);
        byte[] b = Files.readAllBytes(p);
        int cd = le(b).getInt(eocd(b) + 16);
        le(b).putInt(cd + 24, 0x7FFFFFFF); // data.pkl's uncompressed size
        refused(write("bomb.pth", b), "claims");
    }

    /** Sizes and offsets in zip64 extra fields, as a checkpoint over 4 GB has them, read by the JDK and by us alike. */
    @Test
    void zip64ExtraFields() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("z/data.pkl", TorchFiles.stateDict(List.of(TensorSpec.contiguous("a", "FloatStorage", "0", 3),
                TensorSpec.contiguous("b", "FloatStorage", "1", 1))));
        entries.put("z/data/0", TorchFiles.floats(1, 2, 3));
        entries.put("z/data/1", TorchFiles.floats(4));
        Path p = TorchFiles.zip64(dir.resolve("z64.pth"), entries);
        try (java.util.zip.ZipFile jdk = new java.util.zip.ZipFile(p.toFile())) {
            assertArrayEquals(TorchFiles.floats(4), jdk.getInputStream(jdk.getEntry("z/data/1")).readAllBytes(), "a valid zip");
        }
        try (Weights w = Weights.open(p); PointerScope scope = new PointerScope()) {
            assertArrayEquals(new float[]{1, 2, 3}, dev.zoetrope.core.engine.Tensors.toFloats(w.load("a")));
            assertArrayEquals(new float[]{4}, dev.zoetrope.core.engine.Tensors.toFloats(w.load("b")));
        }
        // A zip64 field cut short is refused, not read past.
        byte[] b = Files.readAllBytes(p);
        int cd = (int) le(b).getLong(b.length - 22 - 20 - 56 + 48);
        le(b).putShort(cd + 46 + "z/data.pkl".length() + 2, (short) 8);
        refused(write("z64short.pth", b), "zip64");
    }
}
