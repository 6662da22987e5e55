package dev.zoetrope.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.core.engine.Tensors;

/** The two fp8 dtypes: their bit patterns, their dequantization by the engine, and safetensors files holding them. */
class Fp8Test {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engine.init();
    }

    /** E4M3FN decoded by hand: bias 7, subnormals, no infinities, S.1111.111 is NaN. */
    static float e4m3(byte b) {
        int e = (b >> 3) & 0xF, m = b & 7;
        float sign = b < 0 ? -1 : 1;
        if (e == 15 && m == 7) return Float.NaN;
        return sign * (e == 0 ? m / 8f * 0x1p-6f : (1 + m / 8f) * (float) Math.pow(2, e - 7));
    }

    /** E5M2 decoded by hand: bias 15, IEEE-like, exponent 11111 is Inf (mantissa 0) or NaN. */
    static float e5m2(byte b) {
        int e = (b >> 2) & 0x1F, m = b & 3;
        float sign = b < 0 ? -1 : 1;
        if (e == 31) return m == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
        return sign * (e == 0 ? m / 4f * 0x1p-14f : (1 + m / 4f) * (float) Math.pow(2, e - 15));
    }

    private static float[] asF32(byte[] bytes, DType dtype) {
        try (PointerScope scope = new PointerScope()) {
            return Tensors.toFloats(Tensors.fromBytes(bytes, dtype, bytes.length));
        }
    }

    @Test
    void knownBytePatterns() {
        assertArrayEquals(new float[]{1, 448, -2, 0x1p-9f, -0f},
                asF32(new byte[]{0x38, 0x7E, (byte) 0xC0, 0x01, (byte) 0x80}, DType.F8_E4M3));
        assertTrue(Float.isNaN(asF32(new byte[]{0x7F}, DType.F8_E4M3)[0]), "E4M3FN has no infinity: 0x7F is NaN");
        assertArrayEquals(new float[]{1, 57344, -2, Float.POSITIVE_INFINITY},
                asF32(new byte[]{0x3C, 0x7B, (byte) 0xC0, 0x7C}, DType.F8_E5M2));
        assertEquals(1, DType.F8_E4M3.size());
        assertTrue(DType.F8_E4M3.isFloating() && DType.F8_E5M2.isFloating());
        assertEquals(DType.F8_E4M3, DType.parse("float8_e4m3fn"));
        assertEquals(DType.F8_E5M2, DType.fromCode("F8_E5M2").orElseThrow());
    }

    /** All 256 values of each type, as the engine widens them, equal the hand decoding. */
    @Test
    void everyByteDequantizesAsTheFormatSays() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) all[i] = (byte) i;
        float[] e4 = asF32(all, DType.F8_E4M3), e5 = asF32(all, DType.F8_E5M2);
        for (int i = 0; i < 256; i++) {
            assertEquals(e4m3(all[i]), e4[i], String.format("E4M3 0x%02x", i));
            assertEquals(e5m2(all[i]), e5[i], String.format("E5M2 0x%02x", i));
        }
        try (PointerScope scope = new PointerScope()) {
            Tensor one = Tensors.fromFloats(new float[]{1, -2, 448}, 3).to(DType.F8_E4M3.scalarType());
            assertArrayEquals(new byte[]{0x38, (byte) 0xC0, 0x7E}, Tensors.toBytes(one), "and F32 narrows back to the same bytes");
        }
    }

    @Test
    void safetensorsRoundTripAndDequantizeOnLoad() throws IOException {
        Path p = dir.resolve("fp8.safetensors");
        byte[] e4 = {0x38, 0x7E, (byte) 0xC0, 0x00, 0x30, 0x40}, e5 = {0x3C, (byte) 0xC0};
        SafetensorsWriter.writeEntries(p, List.of(SafetensorsWriter.Entry.of("w", DType.F8_E4M3, new long[]{2, 3}, e4),
                SafetensorsWriter.Entry.of("v", DType.F8_E5M2, new long[]{2}, e5),
                SafetensorsWriter.Entry.of("w.scale_weight", DType.F32, new long[]{1}, TorchFiles.floats(0.25f))), Map.of());
        RawSafetensors raw = RawSafetensors.read(p);
        assertEquals("F8_E4M3", raw.entries().get("w").dtype(), "the header code safetensors uses");
        assertEquals("F8_E5M2", raw.entries().get("v").dtype());
        try (Weights w = Weights.open(p); PointerScope scope = new PointerScope()) {
            assertEquals(DType.F8_E4M3, w.info("w").orElseThrow().dtype());
            assertArrayEquals(e4, Tensors.toBytes(w.load("w")), "stored dtype is kept");
            Tensor f = w.load("w", DType.F32);
            assertEquals(DType.F32, Tensors.dtype(f));
            assertArrayEquals(new float[]{1, 448, -2, 0, 0.5f, 2}, Tensors.toFloats(f));
            assertArrayEquals(new float[]{1, 448, -2, 0, 0.5f, 2}, Tensors.toFloats(w.load("w", DType.BF16)));
            assertArrayEquals(new float[]{1, -2}, Tensors.toFloats(w.load("v", DType.F32)));

            // Engine tensors of both types write and read back bit for bit.
            Path again = dir.resolve("again.safetensors");
            SafetensorsWriter.write(again, Map.of("w", w.load("w"), "v", w.load("v")));
            try (Weights back = Weights.open(again)) {
                assertArrayEquals(e4, Tensors.toBytes(back.load("w")));
                assertArrayEquals(e5, Tensors.toBytes(back.load("v")));
                assertEquals(DType.F8_E5M2, back.info("v").orElseThrow().dtype());
            }
        }
    }

    /** ComfyUI's scaled-fp8 layout: every matrix F8_E4M3 with an F32 scale_weight beside it, and a scaled_fp8 marker. */
    @Test
    void scaledFp8FixtureListsWeightsWithTheirScales() throws IOException {
        Path file = TorchCheckpointTest.fixture("wan_dit_fp8.safetensors");
        JsonNode cfg = TorchCheckpointTest.readme().get("dit_fp8");
        int dim = cfg.get("dim").asInt(), ffn = cfg.get("ffn_dim").asInt(), layers = cfg.get("num_layers").asInt();
        try (Weights w = Weights.open(file); PointerScope scope = new PointerScope()) {
            assertEquals(DType.F8_E4M3, w.info("scaled_fp8").orElseThrow().dtype());
            assertArrayEquals(new long[]{0}, w.info("scaled_fp8").orElseThrow().shape());
            assertArrayEquals(new long[]{dim, 16, 1, 2, 2}, w.info("patch_embedding.weight").orElseThrow().shape());
            assertArrayEquals(new long[]{ffn, dim}, w.info("blocks." + (layers - 1) + ".ffn.0.weight").orElseThrow().shape());
            int fp8 = 0;
            for (String n : w.names()) {
                TensorInfo info = w.info(n).orElseThrow();
                if (n.equals("scaled_fp8")) continue;
                if (info.dtype() != DType.F8_E4M3) {
                    assertEquals(DType.F32, info.dtype(), n);
                    continue;
                }
                fp8++;
                assertTrue(n.endsWith(".weight") && info.shape().length >= 2, n);
                String scaleName = n.substring(0, n.length() - "weight".length()) + "scale_weight";
                TensorInfo scale = w.info(scaleName).orElseThrow(() -> new AssertionError(n + " has no " + scaleName));
                assertEquals(DType.F32, scale.dtype());
                float s = Tensors.toFloats(w.load(scaleName))[0];
                assertTrue(s > 0 && Float.isFinite(s), scaleName + " = " + s);
                float[] q = Tensors.toFloats(w.load(n, DType.F32));
                double maxAbs = 0;
                for (float v : q) {
                    assertTrue(Float.isFinite(v) && Math.abs(v) <= 448, n + " holds " + v);
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                }
                assertTrue(maxAbs > 1, n + " uses the fp8 range (max |q| " + maxAbs + ")");
            }
            assertEquals(w.names().stream().filter(n -> n.endsWith(".scale_weight")).count(), fp8, "one scale per fp8 matrix");
            assertTrue(fp8 >= 8 * layers, "the blocks' matrices are fp8: " + fp8);
        }
    }
}
