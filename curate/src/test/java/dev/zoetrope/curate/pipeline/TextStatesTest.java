package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.shards.ShardTensor;

/** The text-states hook with the tiny T5 fixture: stored states equal the encoder's own output for the caption. */
class TextStatesTest {
    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @Test
    void storesIdsAndTheEncodersStatesForTheCaption() throws Exception {
        Path t5 = Path.of(System.getProperty("zoetrope.fixtures")).resolve("t5-tiny");
        Tokenizer tok = Tokenizers.load(t5.resolve("spiece.model"));
        T5Encoder enc;
        try (Weights w = Weights.open(t5.resolve("t5_encoder.safetensors"))) {
            enc = T5Encoder.load(T5Config.read(t5.resolve("t5_config.json")), w, DType.F32);
        }
        try (enc) {
            String caption = "a blue square moving up on a gray background";
            // the encoder directory the hook names: config.json beside the weights
            Path encoderDir = dir.resolve("encoder");
            java.nio.file.Files.createDirectories(encoderDir);
            java.nio.file.Files.copy(t5.resolve("t5_config.json"), encoderDir.resolve("config.json"));
            java.nio.file.Files.copy(t5.resolve("t5_encoder.safetensors"), encoderDir.resolve("model.safetensors"));
            ShardExtras loaded = org.apache.commons.lang3.SerializationUtils.roundtrip(
                    new TextStates(t5.resolve("spiece.model").toString(), 512, encoderDir.toString())).open();
            List<ShardTensor> out;
            try {
                out = loaded.tensors(null, caption, new byte[0]);
            } finally {
                loaded.close();
            }
            assertEquals(List.of(ShardTensor.TEXT_IDS, ShardTensor.TEXT_STATES), out.stream().map(ShardTensor::name).toList());
            int[] ids = tok.encode(caption);
            float[] expected = Scopes.value(() -> Tensors.toFloats(enc.encode(ids)));
            ShardTensor states = out.get(1);
            assertEquals(ids.length, states.shape()[0]);
            assertEquals(expected.length, ids.length * states.shape()[1]);
            ByteBuffer b = states.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            double maxAbs = 0;
            for (float e : expected) maxAbs = Math.max(maxAbs, Math.abs(e));
            assertTrue(maxAbs > 0);
            for (float e : expected) assertEquals(e, b.getFloat(), 1e-6f);
        }
    }
}
