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
        Tokenizer t = Tokenizers.load(fixtures.resolve("t5-tiny/spiece.model"));
        String caption = "a red circle moving left on a black background";
        List<ShardTensor> out = new CaptionTokens(t).tensors(null, caption, new byte[0]);
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
