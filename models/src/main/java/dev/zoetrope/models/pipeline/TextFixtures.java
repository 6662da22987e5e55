package dev.zoetrope.models.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.config.ConfigException;
import dev.zoetrope.core.config.Json;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;

/**
 * Text-encoder fixtures: {@code NAME_config.json} + {@code NAME_encoder.safetensors} + {@code NAME_io.safetensors}
 * ({@code input_ids}, {@code attention_mask} → {@code expected_hidden}, compared on unmasked positions), and
 * {@code tokenizer_cases.json} ({@code texts} → {@code ids}, exact) with the tokenizer beside it.
 */
final class TextFixtures {
    private TextFixtures() {}

    static void discover(Path dir, List<FixtureVerifier.Check> checks, org.bytedeco.pytorch.Device device) {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path config : s.filter(p -> p.getFileName().toString().endsWith("_config.json")).sorted().toList()) {
                String name = config.getFileName().toString().replace("_config.json", "");
                Path weights = dir.resolve(name + "_encoder.safetensors"), io = dir.resolve(name + "_io.safetensors");
                if (Files.isRegularFile(weights) && Files.isRegularFile(io)) checks.add(encoder(name, config, weights, io, device));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path cases = dir.resolve("tokenizer_cases.json");
        if (Files.isRegularFile(cases)) checks.add(tokenizer(dir, cases));
    }

    private static FixtureVerifier.Check encoder(String name, Path config, Path weights, Path io, org.bytedeco.pytorch.Device device) {
        return new FixtureVerifier.Check(name + " encoder", () -> {
            try (PointerScope scope = new PointerScope(); Weights w = Weights.open(weights); Weights data = Weights.open(io);
                 T5Encoder enc = T5Encoder.load(T5Config.read(config), w, DType.F32, device)) {
                Tensor mask = data.load("attention_mask");
                Tensor keep = mask.to(DType.F32.scalarType()).unsqueeze(-1);
                Tensor hidden = Ops.toHost(enc.forward(Ops.toDevice(data.load("input_ids"), device),
                        Ops.toDevice(mask, device))).mul(keep);
                return List.of(Comparison.of("expected_hidden (unmasked)", hidden, data.load("expected_hidden", DType.F32).mul(keep)));
            }
        });
    }

    private static FixtureVerifier.Check tokenizer(Path dir, Path casesFile) {
        return new FixtureVerifier.Check("tokenizer ids", () -> {
            JsonNode cases = Json.readTree(casesFile);
            JsonNode texts = cases.get("texts"), ids = cases.get("ids");
            if (texts == null || ids == null || texts.size() != ids.size())
                throw new ConfigException(casesFile + ": needs \"texts\" and \"ids\" lists of the same length");
            Tokenizer tok = Tokenizers.load(dir);
            List<Comparison> out = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                int[] got = tok.encode(texts.get(i).asText());
                long[] g = new long[got.length], e = new long[ids.get(i).size()];
                for (int j = 0; j < g.length; j++) g[j] = got[j];
                for (int j = 0; j < e.length; j++) e[j] = ids.get(i).get(j).asLong();
                String label = texts.get(i).asText();
                out.add(Comparison.exact("case " + i + " \"" + (label.length() > 24 ? label.substring(0, 24) + "…" : label) + "\"", g, e));
            }
            return out;
        });
    }
}
