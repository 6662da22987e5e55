package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.pipeline.ModelDirectory;

class ConvertCommandTest {
    @TempDir
    Path tmp;

    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    @Test
    void convertsAWanReleaseToShardedBf16DiffusersWithAProgressBar() {
        Path in = tmp.resolve("wan"), out = tmp.resolve("wan-diffusers");
        CliRun made = CliRun.of("random-model", "--layout", "wan-original", "--tiny", "--tokenizer",
                fixtures().resolve("t5-tiny/spiece.model").toString(), "-o", in.toString());
        assertEquals(0, made.exit(), made.toString());

        CliRun r = CliRun.of("convert", in.toString(), "-o", out.toString(), "--dtype", "bf16", "--shard-size", "100KB");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("convert [") && r.err().contains("kB"), "a progress bar over bytes: " + r.err());
        assertTrue(r.out().contains("wrote " + out) && r.out().contains("Diffusers layout"), r.out());
        ModelDirectory md = ModelDirectory.detect(out);
        assertEquals(ModelDirectory.Layout.WAN_DIFFUSERS, md.layout());
        assertTrue(Files.isRegularFile(out.resolve("vae/diffusion_pytorch_model.safetensors.index.json")));
        try (Weights w = Weights.open(out.resolve("transformer"))) {
            for (String name : w.names()) assertEquals(DType.BF16, w.info(name).orElseThrow().dtype(), name);
        }

        CliRun again = CliRun.of("convert", in.toString(), "-o", out.toString());
        assertEquals(2, again.exit(), again.toString());
        assertTrue(again.err().contains("already exists and is not empty"), again.err());

        CliRun linum = CliRun.of("convert", in.toString(), "-o", tmp.resolve("x").toString(), "--layout", "linum");
        assertEquals(2, linum.exit(), linum.toString());
        assertTrue(linum.err().contains("--layout diffusers"), linum.err());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void badOptionsAreRefusedBeforeAnythingIsRead() {
        Path missing = tmp.resolve("nothing-here");
        for (String[] args : new String[][]{
                {"--dtype", "f16"}, {"--shard-size", "5XB"}, {"--shard-size", "0"}, {"--layout", "comfy"}}) {
            String[] all = new String[args.length + 4];
            all[0] = "convert";
            all[1] = missing.toString();
            all[2] = "-o";
            all[3] = tmp.resolve("out").toString();
            System.arraycopy(args, 0, all, 4, args.length);
            CliRun r = CliRun.of(all);
            assertEquals(2, r.exit(), r.toString());
            assertTrue(r.err().contains(args[0]) || r.err().contains(args[1]), r.err());
        }
        CliRun r = CliRun.of("convert", missing.toString(), "-o", tmp.resolve("out").toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("no such file or directory"), r.err());
    }

    @Test
    void shardSizesReadAsHuggingFaceWritesThem() {
        assertEquals(5_000_000_000L, ConvertCommand.parseSize("5GB"));
        assertEquals(500_000_000L, ConvertCommand.parseSize("500MB"));
        assertEquals(2L << 30, ConvertCommand.parseSize("2GiB"));
        assertEquals(1_500_000L, ConvertCommand.parseSize("1.5 mb"));
        assertEquals(64_000L, ConvertCommand.parseSize("64KB"));
        assertEquals(1000L, ConvertCommand.parseSize("1000"));
        assertEquals(Long.MAX_VALUE, ConvertCommand.parseSize("none"));
        assertThrows(InvalidRequestException.class, () -> ConvertCommand.parseSize("big"));
        assertNull(ConvertCommand.parseDtype("keep"));
        assertEquals(DType.BF16, ConvertCommand.parseDtype("bfloat16"));
    }

    @Test
    void infoDescribesAConvertibleSingleFile() throws IOException {
        Engine.init();
        Path file = tmp.resolve("comfy.safetensors");
        try (PointerScope scope = new PointerScope(); Weights w = Weights.open(fixtures().resolve("wan-tiny/wan_dit.safetensors"))) {
            Map<String, Tensor> wrapped = new TreeMap<>();
            for (String name : w.names()) wrapped.put("model.diffusion_model." + name, w.load(name));
            wrapped.put("text_encoders.t5.x", Tensors.fromFloats(new float[]{1}, 1));
            SafetensorsWriter.write(file, wrapped);
        }
        CliRun r = CliRun.of("info", "--limit", "1", file.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("DiT checkpoint: Wan 2.1 original names, under the wrapper prefix 'model.diffusion_model.'"), r.out());
        int dit;
        try (Weights w = Weights.open(fixtures().resolve("wan-tiny/wan_dit.safetensors"))) {
            dit = w.names().size();
        }
        assertTrue(r.out().contains(dit + " tensors, dtypes F32 ×" + dit + "; 1 other tensor(s) convert leaves out"), r.out());
        assertTrue(r.out().contains("zoetrope convert comfy.safetensors -o OUT  (to Diffusers names)"), r.out());

        CliRun plain = CliRun.of("info", fixtures().resolve("linum-tiny/dit.safetensors").toString());
        assertTrue(plain.out().contains("DiT checkpoint: Linum v2 names under model., no wrapper prefix"), plain.out());
        CliRun notDit = CliRun.of("info", "--limit", "1", fixtures().resolve("linum-tiny/vae.safetensors").toString());
        assertFalse(notDit.out().contains("DiT checkpoint"), notDit.out());
    }
}
