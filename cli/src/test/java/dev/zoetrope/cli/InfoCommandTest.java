package dev.zoetrope.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class InfoCommandTest {
    @TempDir
    Path tmp;

    static Path fixtures() {
        return Path.of(System.getProperty("zoetrope.fixtures"));
    }

    /** The header of a safetensors file, read here without the project's reader. */
    static JsonNode header(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int n = (int) ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new ObjectMapper().readTree(new String(b, 8, n, StandardCharsets.UTF_8));
    }

    static long parameters(Path file) throws IOException {
        long total = 0;
        for (Map.Entry<String, JsonNode> e : header(file).properties()) {
            if (e.getKey().equals("__metadata__")) continue;
            long n = 1;
            for (JsonNode d : e.getValue().get("shape")) n *= d.asLong();
            total += n;
        }
        return total;
    }

    static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    @Test
    void fileListsEveryTensorAndTheParameterCount() throws IOException {
        Path dit = fixtures().resolve("linum-tiny/dit.safetensors");
        CliRun r = CliRun.of("info", dit.toString());
        assertEquals(0, r.exit(), r.toString());
        JsonNode h = header(dit);
        int tensors = 0;
        for (Map.Entry<String, JsonNode> e : h.properties()) {
            String line = r.out().lines().filter(l -> l.trim().startsWith(e.getKey() + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError(e.getKey() + " not listed:\n" + r.out()));
            assertTrue(line.contains(e.getValue().get("dtype").asText()), line);
            assertTrue(line.replace(" ", "").contains(e.getValue().get("shape").toString()), line);
            tensors++;
        }
        long params = parameters(dit);
        assertEquals(421_920, params, "the tiny DiT's size from its header");
        assertTrue(r.out().contains(tensors + " tensors"), r.out());
        assertTrue(r.out().contains("(" + grouped(params) + ")"), r.out());
        long bytes = 0;
        for (Map.Entry<String, JsonNode> e : h.properties())
            bytes += e.getValue().get("data_offsets").get(1).asLong() - e.getValue().get("data_offsets").get(0).asLong();
        assertTrue(r.out().contains(String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0)), "bytes: " + r.out());
    }

    @Test
    void limitShortensTheList() {
        CliRun r = CliRun.of("info", "--limit", "3", fixtures().resolve("linum-tiny/dit.safetensors").toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("... 72 more"), r.out());
    }

    @Test
    void linumCheckpointDirectory() throws IOException {
        Path root = tmp.resolve("linum");
        Files.createDirectories(root.resolve("dit"));
        Files.createDirectories(root.resolve("vae"));
        Files.createDirectories(root.resolve("t5/text_encoder"));
        Files.createDirectories(root.resolve("t5/tokenizer"));
        Files.copy(fixtures().resolve("linum-tiny/dit.safetensors"), root.resolve("dit/360p.safetensors"));
        Files.copy(fixtures().resolve("linum-tiny/dit.safetensors"), root.resolve("dit/720p.safetensors"));
        Files.copy(fixtures().resolve("linum-tiny/vae.safetensors"), root.resolve("vae/vae.safetensors"));
        Files.copy(fixtures().resolve("t5-tiny/t5_encoder.safetensors"), root.resolve("t5/text_encoder/model.safetensors"));
        Files.writeString(root.resolve("t5/text_encoder/config.json"),
                "{\"model_type\": \"t5\", \"d_model\": 32, \"d_kv\": 8, \"d_ff\": 64, \"num_layers\": 3, \"num_heads\": 4, \"vocab_size\": 428}");
        Files.copy(fixtures().resolve("t5-tiny/spiece.model"), root.resolve("t5/tokenizer/spiece.model"));

        CliRun r = CliRun.of("info", root.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Linum v2 checkpoint layout"), r.out());
        long dit = parameters(fixtures().resolve("linum-tiny/dit.safetensors"));
        for (String part : List.of("[dit 360p]", "[dit 720p]", "[vae]", "[t5 text encoder]", "[tokenizer]"))
            assertTrue(r.out().contains(part), part + " in\n" + r.out());
        assertEquals(2, r.out().split("\\(" + grouped(dit) + "\\)", -1).length - 1, "both DiT files summarised: " + r.out());
        assertTrue(r.out().contains("(" + grouped(parameters(fixtures().resolve("linum-tiny/vae.safetensors"))) + ")"), r.out());
        assertTrue(r.out().contains("(" + grouped(parameters(fixtures().resolve("t5-tiny/t5_encoder.safetensors"))) + ")"), r.out());
        assertTrue(r.out().contains("d_model 32"), r.out());
        assertTrue(r.out().contains("has spiece.model"), r.out());
    }

    @Test
    void huggingFaceT5Directory() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("umt5"));
        Files.copy(fixtures().resolve("t5-tiny/umt5_encoder.safetensors"), root.resolve("model.safetensors"));
        Files.writeString(root.resolve("config.json"),
                "{\"model_type\": \"umt5\", \"d_model\": 32, \"d_kv\": 8, \"d_ff\": 64, \"num_layers\": 3, \"num_heads\": 4, \"vocab_size\": 428}");
        CliRun r = CliRun.of("info", root.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Hugging Face UMT5 directory"), r.out());
        assertTrue(r.out().contains("(" + grouped(parameters(root.resolve("model.safetensors"))) + ")"), r.out());
        assertTrue(r.out().contains("layers 3"), r.out());
    }

    @Test
    void diffusersDirectory() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("wan-diffusers"));
        Files.createDirectories(root.resolve("transformer"));
        Files.createDirectories(root.resolve("vae"));
        Files.copy(fixtures().resolve("wan-tiny/wan_dit.safetensors"), root.resolve("transformer/diffusion_pytorch_model.safetensors"));
        Files.writeString(root.resolve("model_index.json"), "{\"_class_name\": \"WanPipeline\"}");
        CliRun r = CliRun.of("info", root.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Diffusers layout (WanPipeline)"), r.out());
        assertTrue(r.out().contains("(" + grouped(parameters(fixtures().resolve("wan-tiny/wan_dit.safetensors"))) + ")"), r.out());
        assertTrue(r.out().contains("missing: no .safetensors here"), "the empty vae/ is reported: " + r.out());
    }

    @Test
    void missingPathExitsTwoWithAClearMessage() {
        Path absent = tmp.resolve("nothing-here.safetensors");
        CliRun r = CliRun.of("info", absent.toString());
        assertEquals(2, r.exit(), r.toString());
        assertEquals("error: " + absent + ": no such file or directory, nor a Hugging Face repo id (ORG/NAME)", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void corruptFileExitsTwoNamingTheFile() throws IOException {
        Path bad = tmp.resolve("bad.safetensors");
        Files.write(bad, new byte[]{1, 2, 3});
        CliRun r = CliRun.of("info", bad.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().startsWith("error: " + bad) && r.err().contains("truncated"), r.err());
        assertFalse(r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    @Test
    void unrecognisedDirectoryExitsTwo() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliRun r = CliRun.of("info", empty.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("not a checkpoint directory I recognise"), r.err());
    }
}
