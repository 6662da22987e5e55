package dev.zoetrope.api;

import java.nio.file.Path;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.core.engine.Engine;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.WeightDtype;

/**
 * Where the library starts: {@link #load} opens a model as a {@link Generator}.
 *
 * <p>The first load starts the tensor engine (libtorch), which uses one thread per core unless
 * {@code ZOETROPE_THREADS} or {@code -Dzoetrope.threads} says otherwise, and runs OpenMP's workers with the passive wait
 * policy unless {@code OMP_WAIT_POLICY} is set (it logs a warning with the fix when it cannot).
 */
public final class Zoetrope {
    private Zoetrope() {}

    /** {@link #load(Path, LoadOptions)} on the CPU. */
    public static Generator load(Path modelDir) {
        return load(modelDir, LoadOptions.DEFAULT);
    }

    /**
     * Opens the model in {@code modelDir}: a Linum v2, Wan 2.1 or zoetrope model directory. Its weights load on the
     * first {@link Generator#generate} and stay loaded until {@link Generator#close}.
     *
     * @throws InvalidRequestException when the directory holds no model this library can run, or an option is invalid
     */
    public static Generator load(Path modelDir, LoadOptions options) {
        return open(ModelDirectory.detect(modelDir), options);
    }

    /**
     * {@link #load(Path, LoadOptions)} for a directory path, or an {@code org/name} Hugging Face repo id already in the
     * local hub cache ({@code HF_HUB_CACHE}, {@code HF_HOME}, or {@code ~/.cache/huggingface/hub}; never downloaded).
     */
    public static Generator load(String modelDirOrHubId, LoadOptions options) {
        return open(ModelDirectory.resolve(modelDirOrHubId, options.revision()), options);
    }

    private static Generator open(ModelDirectory model, LoadOptions options) {
        WeightDtype dtype = WeightDtype.parse(options.dtype());
        ComputeDevice device = ComputeDevice.parse(options.device());
        Engine.init();
        return new Generator(model, dtype, device.resolve());
    }
}
