package dev.zoetrope.serve;

import java.util.List;

import dev.zoetrope.core.engine.ComputeDevice;
import dev.zoetrope.models.dit.Lora;
import dev.zoetrope.models.pipeline.ModelDirectory;
import dev.zoetrope.models.pipeline.Offload;
import dev.zoetrope.models.pipeline.VideoGenerator;
import dev.zoetrope.models.pipeline.WeightDtype;

/** Loads the one model the service shares between its workers. */
@FunctionalInterface
public interface GeneratorFactory {
    /**
     * Opens {@code model} (found and detected by {@link ModelDirectory#resolve}) on {@code device} (resolved), its DiT
     * and text encoder cast to {@code dtype} as they load, keeping on the device what {@code offload} allows, with
     * {@code loras} merged into the DiT for every request.
     *
     * @throws dev.zoetrope.core.InvalidRequestException when the weights do not fit the model
     */
    VideoGenerator open(ModelDirectory model, WeightDtype dtype, ComputeDevice device, Offload offload, List<Lora> loras,
                        boolean loraLenient);
}
