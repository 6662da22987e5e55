package dev.zoetrope.models.pipeline;

import java.nio.file.Path;

import dev.zoetrope.core.progress.GenerationCancelledException;

/** A loaded text-to-video model. One instance may be shared; {@link #generate} calls are serialised by the caller. */
public interface VideoGenerator extends AutoCloseable {
    ModelCapabilities capabilities();

    /**
     * Generates one clip and writes it atomically to {@code outputMp4} (H.264, yuv420p).
     *
     * @throws dev.zoetrope.core.InvalidRequestException for a request outside {@link #capabilities()}; any other
     *         exception is a fault of the generator, not of the request
     * @throws GenerationCancelledException when the listener cancels; nothing is written then
     */
    GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener);

    /**
     * {@link #generate(GenerationRequest, Path, GenerationListener)} with LoRA adapters applied on the fly for this clip
     * alone: the loaded base weights stay shared and untouched, so each request may bring its own (the service).
     *
     * @throws dev.zoetrope.core.InvalidRequestException when an adapter does not fit the model, or this generator takes
     *         no adapters per request
     */
    default GenerationResult generate(GenerationRequest request, Path outputMp4, GenerationListener listener,
                                      java.util.List<dev.zoetrope.models.dit.Lora> adapters) {
        if (adapters.isEmpty()) return generate(request, outputMp4, listener);
        throw new dev.zoetrope.core.InvalidRequestException("this generator takes no LoRA adapters per request");
    }

    @Override
    void close();
}
