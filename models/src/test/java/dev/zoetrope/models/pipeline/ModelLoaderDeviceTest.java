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
