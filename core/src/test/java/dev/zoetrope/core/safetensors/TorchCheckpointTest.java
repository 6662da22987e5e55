package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.TorchFiles.TensorSpec;

/** The Wan 2.1 release's {@code .pth} files and torch.save's layouts read through {@link Weights}. */
class TorchCheckpointTest {
    @TempDir
    Path dir;

    static Path fixture(String name) {
        return Path.of(System.getProperty("zoetrope.fixtures")).resolve("wan-pth").resolve(name);
    }

    static JsonNode readme() throws IOException {
        return new ObjectMapper().readTree(fixture("README.json").toFile());
    }

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /**
     * Every tensor's bytes as the reader loads them equal the bytes of its storage entry as the JDK's own zip reader
     * gives them (the fixtures' tensors are whole, contiguous storages).
     */
    private static void everyTensorMatchesItsZipEntry(Path file, DType dtype) throws IOException {
        try (Weights w = Weights.open(file); ZipFile zip = new ZipFile(file.toFile()); PointerScope scope = new PointerScope()) {
            assertInstanceOf(TorchCheckpoint.class, w);
            String root = file.getFileName().toString().replaceAll("\\.pth$", "");
            java.util.Set<java.nio.ByteBuffer> storages = new java.util.HashSet<>();
            for (var e : java.util.Collections.list(zip.entries()))
                if (e.getName().startsWith(root + "/data/"))
                    storages.add(java.nio.ByteBuffer.wrap(zip.getInputStream(e).readAllBytes()));
            assertEquals(zip.stream().filter(e -> e.getName().startsWith(root + "/data/")).count(), w.names().size(),
                    "one storage per tensor");
            long bytes = 0;
            for (String name : w.names()) {
                TensorInfo info = w.info(name).orElseThrow();
                assertEquals(dtype, info.dtype(), name);
                try (PointerScope perTensor = new PointerScope()) {
                    Tensor t = w.load(name);
                    assertEquals(dtype, Tensors.dtype(t));
                    assertArrayEquals(info.shape(), Tensors.shape(t), name);
                    byte[] loaded = Tensors.toBytes(t);
                    assertEquals(info.byteLength(), loaded.length, name);
                    bytes += loaded.length;
                    assertTrue(storages.contains(java.nio.ByteBuffer.wrap(loaded)),
                            name + ": loaded bytes are one storage entry's bytes");
                    float[] f = Tensors.toFloats(w.load(name, DType.F32));
                    for (float v : f) assertTrue(Float.isFinite(v), name + " is finite in F32");
                }
            }
            assertEquals(bytes, w.byteCount());
        }
    }

    @Test
    void wanVaePthMatchesItsConfigAndTheSameArchitectureInSafetensors() throws IOException {
        Path file = fixture("Wan2.1_VAE.pth");
        everyTensorMatchesItsZipEntry(file, DType.F32);
        JsonNode cfg = readme().get("vae");
        int dim = cfg.get("dim").asInt(), z = cfg.get("z_dim").asInt();
        JsonNode mult = cfg.get("dim_mult");
        int top = dim * mult.get(mult.size() - 1).asInt();
        try (Weights w = Weights.open(file);
             Weights same = Weights.open(Path.of(System.getProperty("zoetrope.fixtures"), "linum-tiny", "vae.safetensors"))) {
            assertArrayEquals(new long[]{dim, 3, 3, 3, 3}, w.info("encoder.conv1.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{2 * z, 2 * z, 1, 1, 1}, w.info("conv1.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{z, z, 1, 1, 1}, w.info("conv2.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{top, z, 3, 3, 3}, w.info("decoder.conv1.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{3, dim, 3, 3, 3}, w.info("decoder.head.2.weight").orElseThrow().shape());
            // A temporal downsample (time_conv) exactly where the config asks for one: levels 1 and 2, not 0.
            JsonNode temporal = cfg.get("temperal_downsample");
            int blocks = cfg.get("num_res_blocks").asInt();
            for (int level = 0; level < temporal.size(); level++) {
                String resample = "encoder.downsamples." + ((level + 1) * (blocks + 1) - 1);
                assertTrue(w.contains(resample + ".resample.1.weight"), resample);
                assertEquals(temporal.get(level).asBoolean(), w.contains(resample + ".time_conv.weight"), resample);
            }
            // RMS norms' gammas are [C, 1, 1, 1] (3-D convs) or [C, 1, 1] (the 2-D attention).
            for (String n : w.names())
                if (n.endsWith(".gamma")) {
                    long[] s = w.info(n).orElseThrow().shape();
                    for (int i = 1; i < s.length; i++) assertEquals(1, s[i], n);
                }
            // The Linum fixture is the same architecture at the same config (other random weights): same tensors.
            assertEquals(List.copyOf(same.names()), List.copyOf(w.names()));
            for (String n : w.names()) assertArrayEquals(same.info(n).orElseThrow().shape(), w.info(n).orElseThrow().shape(), n);
            assertEquals(same.parameterCount(), w.parameterCount());
        }
    }

    @Test
    void wanUmt5PthInBf16MatchesItsConfig() throws IOException {
        Path file = fixture("models_t5_umt5-xxl-enc-bf16.pth");
        everyTensorMatchesItsZipEntry(file, DType.BF16);
        JsonNode cfg = readme().get("umt5");
        int vocab = cfg.get("vocab").asInt(), d = cfg.get("dim").asInt(), attn = cfg.get("dim_attn").asInt();
        int ffn = cfg.get("dim_ffn").asInt(), heads = cfg.get("num_heads").asInt(), layers = cfg.get("num_layers").asInt();
        int buckets = cfg.get("num_buckets").asInt();
        try (Weights w = Weights.open(file); PointerScope scope = new PointerScope()) {
            List<String> expected = new ArrayList<>(List.of("token_embedding.weight", "norm.weight"));
            for (int b = 0; b < layers; b++)
                for (String s : List.of("norm1.weight", "attn.q.weight", "attn.k.weight", "attn.v.weight", "attn.o.weight",
                        "norm2.weight", "ffn.gate.0.weight", "ffn.fc1.weight", "ffn.fc2.weight", "pos_embedding.embedding.weight"))
                    expected.add("blocks." + b + "." + s);
            assertEquals(expected.stream().sorted().toList(), List.copyOf(w.names()));
            assertArrayEquals(new long[]{vocab, d}, w.info("token_embedding.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{attn, d}, w.info("blocks.0.attn.q.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{d, attn}, w.info("blocks.1.attn.o.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{ffn, d}, w.info("blocks.0.ffn.gate.0.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{d, ffn}, w.info("blocks.1.ffn.fc2.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{buckets, heads}, w.info("blocks.1.pos_embedding.embedding.weight").orElseThrow().shape());
            // The first embedding values, as numpy decodes the stored bf16 bytes; bf16 → f32 is exact.
            float[] emb = Tensors.toFloats(w.load("token_embedding.weight", DType.F32));
            assertArrayEquals(new float[]{-0.09716796875f, -0.06884765625f, -0.1083984375f}, java.util.Arrays.copyOf(emb, 3));
            // RMS-norm scales sit near 1; a misread dtype or offset would not.
            for (String n : w.names())
                if (n.contains("norm")) {
                    double mean = java.util.Arrays.stream(Tensors.toDoubles(w.load(n))).average().orElseThrow();
                    assertTrue(mean > 0.8 && mean < 1.2, n + " mean " + mean);
                }
        }
    }

    @Test
    void hostilePickleIsRefusedAndRunsNothing() throws IOException {
        Path marker = Path.of("/tmp/zoetrope-pickle-executed");
        Files.deleteIfExists(marker);
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class, () -> Weights.open(fixture("hostile.pth")));
        assertTrue(e.getMessage().contains("hostile.pth"), e.getMessage());
        assertTrue(e.getMessage().contains("refuses global 'posix.system'"), e.getMessage());
        assertTrue(e.getMessage().contains("may be hostile"), e.getMessage());
        assertFalse(Files.exists(marker), "the pickle's payload ran");
        assertInstanceOf(SafetensorsException.class, e, "handled wherever a broken weights file is");
    }

    @Test
    void legacyFormatIsRefusedNamingTheFormat() {
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class, () -> Weights.open(fixture("legacy_format_vae.pth")));
        assertTrue(e.getMessage().contains("legacy_format_vae.pth"), e.getMessage());
        assertTrue(e.getMessage().contains("legacy (pre-1.6) serialization format"), e.getMessage());
        assertTrue(e.getMessage().contains("safetensors"), "says how to convert: " + e.getMessage());
    }

    @Test
    void viewsOffsetsAndSharedStoragesAreMaterialisedContiguously() throws IOException {
        // Storage "0": 24 floats 0..23. "w" is all of it as [4, 6]; "wt" its transpose (tied, non-contiguous);
        // "row" row 2 (offset 12); "col" column 1 (stride 6); "tail" a [2, 2] block at offset 16 with row stride 6.
        List<TensorSpec> specs = List.of(
                TensorSpec.contiguous("w", "FloatStorage", "0", 4, 6),
                new TensorSpec("wt", "FloatStorage", "0", 24, 0, new long[]{6, 4}, new long[]{1, 6}),
                new TensorSpec("row", "FloatStorage", "0", 24, 12, new long[]{6}, new long[]{1}),
                new TensorSpec("col", "FloatStorage", "0", 24, 1, new long[]{4}, new long[]{6}),
                new TensorSpec("tail", "FloatStorage", "0", 24, 16, new long[]{2, 2}, new long[]{6, 1}),
                new TensorSpec("scalar", "FloatStorage", "0", 24, 5, new long[]{}, new long[]{}),
                new TensorSpec("empty", "FloatStorage", "0", 24, 0, new long[]{0, 3}, new long[]{3, 1}),
                TensorSpec.contiguous("ids", "LongStorage", "1", 2));
        byte[] ids = new byte[16];
        ids[0] = 7;
        ids[8] = (byte) 0xFF; // 255
        Path p = TorchFiles.write(dir.resolve("views.pt"), "views", TorchFiles.stateDict(specs),
                Map.of("0", TorchFiles.iota(24), "1", ids), false);
        try (Weights w = Weights.open(p); PointerScope scope = new PointerScope()) {
            assertEquals(List.of("col", "empty", "ids", "row", "scalar", "tail", "w", "wt"), List.copyOf(w.names()));
            float[] all = Tensors.toFloats(w.load("w"));
            for (int i = 0; i < 24; i++) assertEquals(i, all[i]);
            Tensor wt = w.load("wt");
            assertTrue(wt.is_contiguous());
            assertArrayEquals(new long[]{6, 4}, Tensors.shape(wt));
            assertArrayEquals(new float[]{0, 6, 12, 18, 1, 7, 13, 19}, java.util.Arrays.copyOf(Tensors.toFloats(wt), 8));
            assertArrayEquals(new float[]{12, 13, 14, 15, 16, 17}, Tensors.toFloats(w.load("row")));
            assertArrayEquals(new float[]{1, 7, 13, 19}, Tensors.toFloats(w.load("col")));
            assertArrayEquals(new float[]{16, 17, 22, 23}, Tensors.toFloats(w.load("tail")));
            assertArrayEquals(new float[]{5}, Tensors.toFloats(w.load("scalar")));
            assertEquals(0, Tensors.shape(w.load("scalar")).length);
            assertArrayEquals(new long[]{0, 3}, Tensors.shape(w.load("empty")));
            assertArrayEquals(new long[]{7, 255}, Tensors.toLongs(w.load("ids")));
            assertEquals(DType.I64, w.info("ids").orElseThrow().dtype());
            assertEquals(4 * 6 * 4, w.info("wt").orElseThrow().byteLength(), "a view's bytes are its own, not its storage's");
        }
    }

    @Test
    void deflatedEntriesAreInflated() throws IOException {
        Path p = TorchFiles.write(dir.resolve("deflated.pth"), "deflated",
                TorchFiles.stateDict(List.of(TensorSpec.contiguous("a", "FloatStorage", "0", 100),
                        new TensorSpec("b", "FloatStorage", "0", 100, 10, new long[]{5, 2}, new long[]{1, 5}))),
                Map.of("0", TorchFiles.iota(100)), true);
        try (Weights w = Weights.open(p); PointerScope scope = new PointerScope()) {
            assertEquals(99f, Tensors.toFloats(w.load("a"))[99]);
            assertArrayEquals(new float[]{10, 15, 11, 16, 12, 17, 13, 18, 14, 19}, Tensors.toFloats(w.load("b")));
        }
    }

    /** torch saves dtypes without a typed storage (float8) as UntypedStorage bytes with _rebuild_tensor_v3. */
    @Test
    void float8TensorsSavedAsUntypedStorage() throws IOException {
        TorchFiles.Pickle pk = new TorchFiles.Pickle().proto().op('}');
        pk.str("w8");
        pk.global("torch._utils", "_rebuild_tensor_v3").op('(');
        pk.op('(').str("storage").global("torch", "UntypedStorage").str("0").str("cpu").integer(4).op('t').op('Q');
        pk.integer(0).tuple(2, 2).tuple(2, 1).op(0x89).global("collections", "OrderedDict").op(')').op('R');
        pk.global("torch", "float8_e4m3fn").op('t').op('R').op('s');
        pk.str("s").global("torch._utils", "_rebuild_parameter").op('(');
        TorchFiles.tensor(pk, TensorSpec.contiguous("s", "FloatStorage", "1", 1));
        pk.op(0x88).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
        pk.op('s').op('.');
        Path p = TorchFiles.write(dir.resolve("fp8.pt"), "fp8", pk.bytes(),
                Map.of("0", new byte[]{0x38, 0x7E, (byte) 0xC0, 0x00}, "1", TorchFiles.floats(0.5f)), false);
        try (Weights w = Weights.open(p); PointerScope scope = new PointerScope()) {
            assertEquals(DType.F8_E4M3, w.info("w8").orElseThrow().dtype());
            assertEquals(DType.F8_E4M3, Tensors.dtype(w.load("w8")));
            assertArrayEquals(new float[]{1, 448, -2, 0}, Tensors.toFloats(w.load("w8", DType.F32)));
            assertArrayEquals(new float[]{0.5f}, Tensors.toFloats(w.load("s")), "a Parameter is its tensor");
        }
    }

    @Test
    void theStateDictIsFoundInsideWrappers() throws IOException {
        // {"epoch": 3, "state_dict": {"net.w": t}, "optimizer": {"state": {0: {"exp_avg": t}}}}
        TorchFiles.Pickle pk = new TorchFiles.Pickle().proto().op('}').op('(');
        pk.str("epoch").integer(3);
        pk.str("state_dict").op('}').str("net.w");
        TorchFiles.tensor(pk, TensorSpec.contiguous("net.w", "FloatStorage", "0", 2));
        pk.op('s');
        pk.str("optimizer").op('}').str("state").op('}').integer(0).op('}').str("exp_avg");
        TorchFiles.tensor(pk, TensorSpec.contiguous("e", "FloatStorage", "1", 2));
        pk.op('s').op('s').op('s');
        pk.op('u').op('.');
        Map<String, byte[]> data = Map.of("0", TorchFiles.floats(1, 2), "1", TorchFiles.floats(3, 4));
        Path p = TorchFiles.write(dir.resolve("lightning.ckpt"), "lightning", pk.bytes(), data, false);
        try (Weights w = Weights.open(p)) {
            assertEquals(List.of("net.w"), List.copyOf(w.names()), "state_dict is chosen over the optimizer");
        }

        // {"generator": {"a": t}, "discriminator": {"b": {"c": t}}}: no wrapper name, so both, with dotted names.
        pk = new TorchFiles.Pickle().proto().op('}').op('(');
        pk.str("generator").op('}').str("a");
        TorchFiles.tensor(pk, TensorSpec.contiguous("a", "FloatStorage", "0", 2));
        pk.op('s').str("discriminator").op('}').str("b").op('}').str("c");
        TorchFiles.tensor(pk, TensorSpec.contiguous("c", "FloatStorage", "1", 2));
        pk.op('s').op('s').op('u').op('.');
        p = TorchFiles.write(dir.resolve("gan.pt"), "gan", pk.bytes(), data, false);
        try (Weights w = Weights.open(p); PointerScope scope = new PointerScope()) {
            assertEquals(List.of("discriminator.b.c", "generator.a"), List.copyOf(w.names()));
            assertArrayEquals(new float[]{3, 4}, Tensors.toFloats(w.load("discriminator.b.c")));
        }
    }

    @Test
    void directoriesAndShardIndexesOfBinFiles() throws IOException {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        TorchFiles.write(repo.resolve("pytorch_model-00001-of-00002.bin"), "archive",
                TorchFiles.stateDict(List.of(TensorSpec.contiguous("a.weight", "FloatStorage", "0", 2))),
                Map.of("0", TorchFiles.floats(1, 2)), false);
        TorchFiles.write(repo.resolve("pytorch_model-00002-of-00002.bin"), "archive",
                TorchFiles.stateDict(List.of(TensorSpec.contiguous("b.weight", "FloatStorage", "0", 3),
                        TensorSpec.contiguous("b.bias", "FloatStorage", "1", 1))),
                Map.of("0", TorchFiles.floats(3, 4, 5), "1", TorchFiles.floats(6)), false);
        Files.writeString(repo.resolve("pytorch_model.bin.index.json"), """
                {"metadata": {"total_size": 24}, "weight_map": {"a.weight": "pytorch_model-00001-of-00002.bin",
                 "b.weight": "pytorch_model-00002-of-00002.bin", "b.bias": "pytorch_model-00002-of-00002.bin"}}""");
        for (Path open : List.of(repo, repo.resolve("pytorch_model.bin.index.json")))
            try (Weights w = Weights.open(open); PointerScope scope = new PointerScope()) {
                assertInstanceOf(ShardedWeights.class, w, open.toString());
                assertEquals(List.of("a.weight", "b.bias", "b.weight"), List.copyOf(w.names()));
                assertArrayEquals(new float[]{1, 2}, Tensors.toFloats(w.load("a.weight")));
                assertArrayEquals(new float[]{3, 4, 5}, Tensors.toFloats(w.load("b.weight")));
                assertArrayEquals(new float[]{6}, Tensors.toFloats(w.load("b.bias", DType.F32)));
                assertEquals(6, w.parameterCount());
            }

        // An index naming a tensor its shard does not hold is refused like a safetensors index.
        Files.writeString(repo.resolve("pytorch_model.bin.index.json"),
                "{\"weight_map\": {\"zz\": \"pytorch_model-00001-of-00002.bin\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Weights.open(repo));
        assertTrue(e.getMessage().contains("'zz'"), e.getMessage());

        // The same weights as safetensors beside them win.
        SafetensorsWriter.writeEntries(repo.resolve("model.safetensors"),
                List.of(SafetensorsWriter.Entry.of("from.safetensors", DType.F32, new long[]{1}, TorchFiles.floats(9))), Map.of());
        try (Weights w = Weights.open(repo)) {
            assertEquals(List.of("from.safetensors"), List.copyOf(w.names()));
        }

        // One checkpoint among training leftovers: pytorch_model.bin is the model.
        Path trainer = Files.createDirectories(dir.resolve("trainer"));
        TorchFiles.write(trainer.resolve("pytorch_model.bin"), "pytorch_model",
                TorchFiles.stateDict(List.of(TensorSpec.contiguous("x", "FloatStorage", "0", 1))),
                Map.of("0", TorchFiles.floats(1)), false);
        Files.copy(fixture("hostile.pth"), trainer.resolve("training_args.bin"));
        try (Weights w = Weights.open(trainer)) {
            assertEquals(List.of("x"), List.copyOf(w.names()));
        }
        // A single .pth in a directory, and a file whose name says nothing: recognised by its first bytes.
        Path single = Files.createDirectories(dir.resolve("single"));
        Files.copy(fixture("Wan2.1_VAE.pth"), single.resolve("Wan2.1_VAE.pth"));
        Files.copy(fixture("Wan2.1_VAE.pth"), dir.resolve("vae-weights"));
        try (Weights a = Weights.open(single); Weights b = Weights.open(dir.resolve("vae-weights"))) {
            assertInstanceOf(TorchCheckpoint.class, a);
            assertEquals(List.copyOf(a.names()), List.copyOf(b.names()));
        }
    }
}
