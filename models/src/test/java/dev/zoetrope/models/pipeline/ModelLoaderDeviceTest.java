package dev.zoetrope.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;

import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.dit.DiffusionTransformer;
import dev.zoetrope.models.dit.DitLoadOptions;

/**
 * The device reaches the place models are opened, and the loaders put the weights there. Without a GPU, libtorch's
 * meta device stands in for one.
 */
class ModelLoaderDeviceTest {
    static ModelDirectory tiny() {
        return ModelDirectory.detect(Path.of(System.getProperty("zoetrope.home"), "models", "zoetrope-tiny"));
    }

    /**
     * The loaders put every weight where they are told, tensor by tensor, and a whole generation follows its weights:
     * the shipped model loaded onto libtorch's meta device generates its clip's shapes.
     */
    @Test
    void weightsGoToTheChosenDeviceAsTheyLoadAndTheGenerationFollows() {
        ModelDirectory dir = tiny();
        Device meta = new Device("meta");
        try (DiffusionTransformer dit = DiffusionTransformer.load(dir.ditWeights(),
                DitLoadOptions.defaults().withOverrides(dir.ditSettings()).withDevice(meta))) {
            for (var e : dit.parameters().entrySet()) assertTrue(e.getValue().is_meta(), e.getKey());
        }
        TextToVideo.Parts cpu = ModelLoader.parts(dir, WeightDtype.AUTO, ComputeDevice.CPU);
        TextToVideo.Parts onMeta = new TextToVideo.Parts(cpu.family(), cpu.capabilities(), cpu.shift(),
                () -> T5PromptEncoder.load(dir.textConfig(), dir.textEncoder(), dir.tokenizer(), dir.family(), dir.textLength(), null, meta),
                () -> new DitVelocity(DiffusionTransformer.load(dir.ditWeights(),
                        DitLoadOptions.defaults().withOverrides(dir.ditSettings()).withDevice(meta))),
                () -> VaeDecoder.load(dir, meta), cpu.latentScale());
        RandomModelEndToEndTest.Frames frames = new RandomModelEndToEndTest.Frames();
        try (TextToVideo g = new TextToVideo(onMeta, TextToVideo.Options.DEFAULT, (mp4, w, h, fps) -> frames)) {
            g.generate(GenerationRequest.of("a red circle moving left on a black background"), Path.of("unused.mp4"),
                    GenerationListener.NONE);
        }
        assertEquals(17, frames.frames.size());
        assertEquals(64 * 64 * 3, frames.frames.getFirst().length);
    }

    /**
     * Sequential offload: the DiT's blocks stay on the host and each comes to the device only for its forward. On meta,
     * a block left on the host would be refused by the first op that mixes it with the meta activations.
     */
    @Test
    void streamedBlocksStayOnTheHostAndComputeOnTheDevice() {
        ModelDirectory dir = tiny();
        Device meta = new Device("meta");
        TextToVideo.Parts cpu = ModelLoader.parts(dir, WeightDtype.AUTO, ComputeDevice.CPU);
        DitLoadOptions streamed = DitLoadOptions.defaults().withOverrides(dir.ditSettings()).withDevice(meta).withStreamedBlocks(true);
        try (DiffusionTransformer dit = DiffusionTransformer.load(dir.ditWeights(), streamed)) {
            assertTrue(dit.streamsBlocks());
            for (var e : dit.parameters().entrySet())
                assertEquals(!e.getKey().startsWith("blocks."), e.getValue().is_meta(), e.getKey() + " on " + e.getValue().device().str());
        }
        TextToVideo.Parts onMeta = new TextToVideo.Parts(cpu.family(), cpu.capabilities(), cpu.shift(),
                () -> T5PromptEncoder.load(dir.textConfig(), dir.textEncoder(), dir.tokenizer(), dir.family(), dir.textLength(), null, meta),
                () -> new DitVelocity(DiffusionTransformer.load(dir.ditWeights(), streamed)),
                () -> VaeDecoder.load(dir, meta), cpu.latentScale());
        RandomModelEndToEndTest.Frames frames = new RandomModelEndToEndTest.Frames();
        try (TextToVideo g = new TextToVideo(onMeta, TextToVideo.Options.DEFAULT.withOffload(Offload.SEQUENTIAL), (mp4, w, h, fps) -> frames)) {
            g.generate(GenerationRequest.of("a red circle moving left on a black background"), Path.of("unused.mp4"),
                    GenerationListener.NONE);
        }
        assertEquals(17, frames.frames.size());
    }

    /** Every offload mode makes the same clip, byte for byte: offloading moves weights, never changes a number. */
    @Test
    void everyOffloadModeMakesTheSameClip() {
        ModelDirectory dir = tiny();
        java.util.Map<Offload, java.util.List<byte[]>> clips = new java.util.EnumMap<>(Offload.class);
        for (Offload o : Offload.values()) {
            RandomModelEndToEndTest.Frames frames = new RandomModelEndToEndTest.Frames();
            try (TextToVideo g = new TextToVideo(ModelLoader.parts(dir, WeightDtype.AUTO, ComputeDevice.CPU, o),
                    TextToVideo.Options.DEFAULT.withOffload(o), (mp4, w, h, fps) -> frames)) {
                g.generate(new GenerationRequest("a red circle moving left on a black background", null, null, null, 3L, null, 4),
                        Path.of("unused.mp4"), GenerationListener.NONE);
            }
            assertEquals(17, frames.frames.size(), o.id());
            clips.put(o, frames.frames);
        }
        for (Offload o : Offload.values())
            for (int i = 0; i < 17; i++)
                assertArrayEquals(clips.get(Offload.NONE).get(i), clips.get(o).get(i), o.id() + ", frame " + i);
    }

    @Test
    void aGpuComputesInBf16UnlessAskedOtherwise() {
        Device cuda = new Device("cuda:0");   // a descriptor only: nothing runs on it here
        assertEquals(dev.zoetrope.core.engine.DType.BF16, ModelLoader.castFor(WeightDtype.AUTO, cuda));
        assertEquals(dev.zoetrope.core.engine.DType.F32, ModelLoader.castFor(WeightDtype.parse("f32"), cuda));
        assertNull(ModelLoader.castFor(WeightDtype.AUTO, null), "the CPU keeps what is stored");
        assertNull(ModelLoader.castFor(WeightDtype.AUTO, new Device("meta")));
    }

    @Test
    void theCpuOpensAsBefore() {
        TextToVideo.Parts parts = ModelLoader.parts(tiny(), WeightDtype.AUTO, ComputeDevice.CPU);
        assertEquals(tiny().family(), parts.family());
        // an unresolved choice reaching the loader is a bug in the caller
        assertThrows(IllegalStateException.class, () -> ModelLoader.parts(tiny(), WeightDtype.AUTO, ComputeDevice.AUTO));
    }
}
