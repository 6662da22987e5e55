package dev.zoetrope.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.zoetrope.core.safetensors.SafetensorsWriter;
import dev.zoetrope.core.safetensors.Weights;
import dev.zoetrope.models.nn.ModelLoadException;

/** Wrong weights and wrong inputs fail with messages that say what is wrong. */
class WanVaeErrorsTest {
    @TempDir
    Path tmp;
    static WanVae vae;

    @BeforeAll
    static void load() {
        vae = WanVae.load(WanVaeFixtureTest.fixture("vae.safetensors"));
    }

    @AfterAll
    static void close() {
        vae.close();
    }

    /** The fixture's tensors with one edit: {@code replace} null removes the tensor. */
    private Path edited(String key, Tensor replace, String extraKey) throws Exception {
        Path file = tmp.resolve("edited.safetensors");
        try (Weights w = Weights.open(WanVaeFixtureTest.fixture("vae.safetensors")); PointerScope s = new PointerScope()) {
            Map<String, Tensor> all = new TreeMap<>();
            for (String n : w.names()) all.put(n, w.load(n));
            if (replace == null) all.remove(key);
            else all.put(key, replace);
            if (extraKey != null) all.put(extraKey, torch.zeros(2));
            SafetensorsWriter.write(file, all, Map.of());
        }
        return file;
    }

    @Test
    void missingTensorIsNamedWithItsShape() throws Exception {
        Path f = edited("decoder.upsamples.3.time_conv.weight", null, null);
        var e = assertThrows(ModelLoadException.class, () -> WanVae.load(f));
        assertTrue(e.getMessage().contains("decoder.upsamples.3.time_conv.weight")
                && e.getMessage().contains("[64, 32, 3, 1, 1]"), e.getMessage());
    }

    @Test
    void wrongShapeIsNamedWithBothShapes() throws Exception {
        Path f = edited("encoder.middle.1.proj.weight", torch.zeros(32, 32, 3, 3), null);
        var e = assertThrows(ModelLoadException.class, () -> WanVae.load(f));
        assertTrue(e.getMessage().contains("encoder.middle.1.proj.weight") && e.getMessage().contains("[32, 32, 3, 3]")
                && e.getMessage().contains("[32, 32, 1, 1]"), e.getMessage());
    }

    @Test
    void unexpectedTensorsAreReported() throws Exception {
        Path f = edited("conv2.bias", torch.zeros(16), "decoder.upsamples.15.residual.0.gamma");
        var e = assertThrows(ModelLoadException.class, () -> WanVae.load(f));
        assertTrue(e.getMessage().contains("decoder.upsamples.15.residual.0.gamma"), e.getMessage());
    }

    @Test
    void notAVaeCheckpoint() {
        var e = assertThrows(ModelLoadException.class, () -> WanVae.load(WanVaeFixtureTest.fixture("dit.safetensors")));
        assertTrue(e.getMessage().contains("not a Wan VAE checkpoint"), e.getMessage());
    }

    @Test
    void badInputShapesAreRejected() {
        try (PointerScope s = new PointerScope()) {
            assertMessage(() -> vae.encode(torch.zeros(1, 3, 8, 16, 16)), "4n+1 frames");
            assertMessage(() -> vae.encode(torch.zeros(1, 4, 5, 16, 16)), "3 colour channels");
            assertMessage(() -> vae.encode(torch.zeros(3, 5, 16, 16)), "(B, 3, T, H, W)");
            assertMessage(() -> vae.encode(torch.zeros(1, 3, 5, 12, 16)), "multiples of 8");
            assertMessage(() -> vae.decode(torch.zeros(1, 8, 2, 2, 2)), "(B, 16, T, h, w)");
            assertMessage(() -> vae.decodeWhole(torch.zeros(16, 2, 2, 2)), "(B, 16, T, h, w)");
            assertMessage(() -> LatentScale.wan21().toDit(torch.zeros(1, 8, 1, 2, 2)), "(B, 16, T, H, W)");
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
