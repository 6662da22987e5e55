package dev.zoetrope.curate.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.zoetrope.models.text.Tokenizer;
import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.shards.ShardTensor;

class CaptionTokensTest {
    @Test
    void storesTheTokenizersIdsForTheCaption() {
        Path fixtures = Path.of(System.getProperty("zoetrope.fixtures"));
        Path spiece = fixtures.resolve("t5-tiny/spiece.model");
        Tokenizer t = Tokenizers.load(spiece, 512);
        String caption = "a red circle moving left on a black background";
        // what travels to the workers is the tokenizer's path; each worker loads it when it opens the hook
        CaptionTokens named = org.apache.commons.lang3.SerializationUtils.roundtrip(new CaptionTokens(spiece.toString(), 512));
        List<ShardTensor> out = named.open().tensors(null, caption, new byte[0]);
        assertEquals(1, out.size());
        ShardTensor ids = out.getFirst();
        assertEquals(ShardTensor.TEXT_IDS, ids.name());
        int[] expected = t.encode(caption);
        assertArrayEquals(new long[]{expected.length}, ids.shape());
        ByteBuffer b = ids.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int e : expected) assertEquals(e, b.getInt());
        assertEquals(t.eosId(), expected[expected.length - 1]);
    }
}
