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
}
