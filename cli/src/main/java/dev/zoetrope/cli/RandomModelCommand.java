package dev.zoetrope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.ModelFamily;
import dev.zoetrope.models.dit.DitConfig;
import dev.zoetrope.models.pipeline.RandomCheckpoints;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.models.vae.WanVaeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "random-model", hidden = true, mixinStandardHelpOptions = true,
        description = {"Write a model directory with random weights (for smoke tests and benchmarks of the whole pipeline).",
                "Real dims with few DiT blocks by default; the text encoder is a small T5 at the DiT's text width."})
final class RandomModelCommand implements Callable<Integer> {
    @Option(names = "--layout", required = true, description = "linum, zoetrope, wan-original or wan-diffusers.")
    String layout;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "A new directory.")
    Path out;

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE", description = "spiece.model or tokenizer.json to ship.")
    Path tokenizer;

    @Option(names = "--dit-layers", description = "DiT blocks (default: ${DEFAULT-VALUE}).")
    int ditLayers = 1;

    @Option(names = "--tiny", description = "Tiny dims (DiT dim 64, VAE base 8, text width 32) instead of the real ones.")
    boolean tiny;

    @Option(names = "--resolution", description = "Linum layouts: the DiT file's resolution (default: ${DEFAULT-VALUE}).")
    String resolution = "360p";

    @Option(names = "--dtype", description = "f32 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype = "f32";

    @Option(names = "--seed", description = "Weight seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--text-encoder", paramLabel = "small|xxl", description = "small: a 1-block T5 at the DiT's text width "
            + "(default); xxl: the released encoder's dims (24 blocks, 64 heads, d_ff 10240, the umT5 vocabulary of 256,384 for "
            + "Wan layouts, T5's 32,128 for Linum's), written tensor by tensor: 22.7 GB in f32 for umT5-XXL.")
    String textEncoder = "small";

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out)) throw new InvalidRequestException(out + " already exists; give a new directory");
        if (ditLayers < 1) throw new InvalidRequestException("--dit-layers must be at least 1");
        String kind = layout.toLowerCase(Locale.ROOT);
        ModelFamily family = kind.startsWith("wan") ? ModelFamily.WAN : ModelFamily.LINUM;
        if (!List.of("linum", "zoetrope", "wan-original", "wan-diffusers").contains(kind))
            throw new InvalidRequestException("unknown --layout '" + layout + "'; use linum, zoetrope, wan-original or wan-diffusers");
        Engine.init();
        DitConfig dit = family.dit().withNumLayers(ditLayers);
        WanVaeConfig vae = WanVaeConfig.wan21();
        int textHeads = 8, textFf = 256;
        if (tiny) {
            ObjectNode o = Json.PLAIN.createObjectNode();
            o.put("dim", 64).put("ffn_dim", 96).put("num_heads", 2).put("text_dim", 32).put("text_len", 16);
            dit = dit.withOverrides(o);
            vae = vae.withBaseDim(8);
            textHeads = 4;
            textFf = 48;
        }
        int vocab = Tokenizers.load(tokenizer).vocabSize(), textLayers = 1;
        switch (textEncoder) {
            case "small" -> {}
            case "xxl" -> {
                if (tiny) throw new InvalidRequestException("--text-encoder xxl needs the real DiT text width: drop --tiny");
                textLayers = 24;
                textHeads = 64;
                textFf = 10240;
                vocab = family == ModelFamily.WAN ? 256384 : 32128;
            }
            default -> throw new InvalidRequestException("--text-encoder must be small or xxl, not '" + textEncoder + "'");
        }
        var spec = new RandomCheckpoints.Spec(dit, vae, textLayers, textHeads, textFf, tokenizer, vocab, DType.parse(dtype), seed);
        switch (kind) {
            case "linum" -> RandomCheckpoints.linum(out, spec, resolution, null);
            case "zoetrope" -> RandomCheckpoints.linum(out, spec, resolution, Map.of("family", "linum"));
            case "wan-original" -> RandomCheckpoints.wanOriginal(out, spec);
            default -> RandomCheckpoints.wanDiffusers(out, spec);
        }
        System.out.println("wrote " + out + " (" + kind + ", " + (tiny ? "tiny dims" : "real dims") + ", " + ditLayers + " DiT block"
                + (ditLayers == 1 ? "" : "s") + ")");
        return 0;
    }
}
