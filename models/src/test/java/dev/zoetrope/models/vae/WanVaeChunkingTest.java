package dev.zoetrope.models.vae;

import static dev.zoetrope.models.vae.WanVaeFixtureTest.assertClose;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Scopes;
import dev.zoetrope.core.engine.Tensors;

/** Chunked, cached passes equal whole-clip passes; decoded frames stream out in order. */
class WanVaeChunkingTest {

    @Test
    void chunkedEqualsWholeOnALongerClip() {
        try (WanVae vae = WanVae.load(WanVaeFixtureTest.fixture("vae.safetensors")); PointerScope s = new PointerScope()) {
            torch.manual_seed(11);
            Tensor video = torch.rand(1, 3, 13, 16, 16).mul(new org.bytedeco.pytorch.Scalar(2)).sub(new org.bytedeco.pytorch.Scalar(1));
            Tensor mu = vae.encode(video);
            assertArrayEquals(new long[]{1, 16, 4, 2, 2}, Tensors.shape(mu));
            assertClose(vae.encodeWhole(video), mu, 1e-5, "encode chunked vs whole");
            Tensor decoded = vae.decode(mu);
            assertArrayEquals(new long[]{1, 3, 13, 16, 16}, Tensors.shape(decoded));
            assertClose(vae.decodeWhole(mu), decoded, 1e-5, "decode chunked vs whole");
        }
    }

    @Test
    void chunkedEqualsWholeWithAttentionLevelsAndABatch() {
        // attention at scale 1 and 0.5 (encoder levels 0,1; decoder levels 2,3), one residual block per level
        WanVaeConfig c = new WanVaeConfig(4, 4, List.of(1, 2, 2), 1, List.of(1.0, 0.5), List.of(true, false));
        try (WanVae vae = WanVae.random(c, 7); PointerScope s = new PointerScope()) {
            assertEquals(2, c.temporalFactor());
            assertEquals(4, c.spatialFactor());
            torch.manual_seed(12);
            Tensor video = torch.randn(2, 3, 7, 8, 12);
            Tensor mu = vae.encode(video);
            assertArrayEquals(new long[]{2, 4, 4, 2, 3}, Tensors.shape(mu));
            assertClose(vae.encodeWhole(video), mu, 1e-5, "encode chunked vs whole");
            assertClose(vae.decodeWhole(mu), vae.decode(mu), 1e-5, "decode chunked vs whole");
        }
    }

    /**
     * A scope frees its tensors only when it closes, so a decoder pass in one scope would keep every
     * intermediate activation alive. Counting the live native objects while a chunk is handed out shows
     * that only the time caches, the chunk and a few small objects remain, the same for every chunk.
     */
    @Test
    void decodeKeepsOnlyCachesAliveBetweenStages() {
        try (WanVae vae = WanVae.load(WanVaeFixtureTest.fixture("vae.safetensors")); PointerScope s = new PointerScope()) {
            torch.manual_seed(14);
            Tensor z = torch.randn(1, 16, 4, 2, 2);
            long before = org.bytedeco.javacpp.Pointer.totalCount();
            List<Long> live = new ArrayList<>();
            vae.decode(z, (frames, first) -> live.add(org.bytedeco.javacpp.Pointer.totalCount() - before));
            int cacheSlots = vae.decoderCacheSlots();
            for (long n : live.subList(1, live.size())) assertTrue(n <= cacheSlots + 20, "live native objects " + live);
            assertEquals(live.get(1), live.get(live.size() - 1), "flat from chunk to chunk: " + live);
        }
    }

    @Test
    void decodeStreamsOneLatentFrameAtATime() {
        try (WanVae vae = WanVae.load(WanVaeFixtureTest.fixture("vae.safetensors")); PointerScope s = new PointerScope()) {
            torch.manual_seed(13);
            Tensor z = torch.randn(1, 16, 3, 2, 3);
            List<Integer> firsts = new ArrayList<>(), counts = new ArrayList<>();
            List<Tensor> pieces = new ArrayList<>();
            vae.decode(z, (frames, first) -> {
                firsts.add(first);
                counts.add((int) frames.size(2));
                pieces.add(Scopes.pin(frames.clone())); // the sink's tensor is freed after the call
            });
            assertEquals(List.of(0, 1, 5), firsts);
            assertEquals(List.of(1, 4, 4), counts);
            Tensor streamed = torch.cat(new TensorVector(pieces.toArray(Tensor[]::new)), 2);
            assertEquals(0.0, Tensors.maxAbsDiff(vae.decode(z), streamed), "streamed pieces are the decode");
            pieces.forEach(Scopes::release);
        }
    }
}
