package dev.zoetrope.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.core.safetensors.Weights;

/** The VAE against the reference numbers of the linum-tiny fixture (base dim 8, z 16). */
class WanVaeFixtureTest {
    static WanVae vae;
    static Weights io;

    static Path fixture(String name) {
        return Path.of(System.getProperty("zoetrope.fixtures"), "linum-tiny", name);
    }

    @BeforeAll
    static void load() {
        Engine.init();
        vae = WanVae.load(fixture("vae.safetensors"));
        io = Weights.open(fixture("vae_io.safetensors"));
    }

    @AfterAll
    static void close() {
        vae.close();
        io.close();
    }

    static void assertClose(Tensor expected, Tensor actual, double relTol, String what) {
        assertArrayEquals(Tensors.shape(expected), Tensors.shape(actual), what + " shape");
        double max = Tensors.maxAbs(expected), diff = Tensors.maxAbsDiff(expected, actual);
        assertTrue(diff <= relTol * max, what + ": max|Δ| " + diff + " > " + relTol + "·" + max);
    }

    @Test
    void infersTheFixtureConfigFromWeights() {
        WanVaeConfig c = vae.config();
        assertEquals(new WanVaeConfig(8, 16, java.util.List.of(1, 2, 4, 4), 2, java.util.List.of(),
                java.util.List.of(false, true, true)), c);
        assertEquals(VaeLayout.ORIGINAL, vae.layout());
    }

    @Test
    void encodeMeanMatchesReference() {
        try (PointerScope s = new PointerScope()) {
            assertClose(io.load("expected_mu"), vae.encode(io.load("video")), 1e-4, "chunked encode");
            assertClose(io.load("expected_mu"), vae.encodeWhole(io.load("video")), 1e-4, "whole encode");
        }
    }

    @Test
    void decodeMatchesReference() {
        try (PointerScope s = new PointerScope()) {
            assertClose(io.load("expected_decoded"), vae.decode(io.load("z")), 1e-4, "chunked decode");
            assertClose(io.load("expected_decoded"), vae.decodeWhole(io.load("z")), 1e-4, "whole decode");
        }
    }

    @Test
    void bf16DecodeStaysCloseToAFloat64Decode() {
        try (PointerScope s = new PointerScope();
             WanVae f64 = WanVae.load(fixture("vae.safetensors"), null, dev.zoetrope.core.engine.DType.F64);
             WanVae bf16 = WanVae.load(fixture("vae.safetensors"), null, dev.zoetrope.core.engine.DType.BF16)) {
            assertTrue(dev.zoetrope.models.nn.ScalarTypes.same(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16, bf16.compute()));
            Tensor z = io.load("z");
            Tensor exact = f64.decode(z);
            assertClose(io.load("expected_decoded"), exact, 1e-5, "float64 decode against the reference");
            Tensor half = bf16.decode(z), single = vae.decode(z);
            assertTrue(dev.zoetrope.models.nn.ScalarTypes.same(org.bytedeco.pytorch.global.torch.ScalarType.Float, half.scalar_type()), "the VAE returns float32");
            double bf16Db = Tensors.psnr(exact, half), f32Db = Tensors.psnr(exact, single);
            System.out.printf("decode against float64: f32 %.1f dB, bf16 %.1f dB; max|d| bf16 %.4f%n", f32Db, bf16Db,
                    Tensors.maxAbsDiff(exact, half));
            assertTrue(bf16Db > 40, "bf16 decode " + bf16Db + " dB from the float64 one");
            assertTrue(f32Db > bf16Db + 20, "float32 is far closer: " + f32Db + " dB");
            assertClose(exact, bf16.decodeWhole(z), 3e-2, "bf16 whole decode");
        }
    }
}
