package dev.zoetrope.serve;

import java.nio.file.Path;

import dev.zoetrope.models.pipeline.VideoGenerator;

/** Loads the one model the service shares between its workers. */
@FunctionalInterface
public interface GeneratorFactory {
    /**
     * Opens the model in {@code modelDir}.
     *
     * @throws dev.zoetrope.core.InvalidRequestException when the directory is missing or is not a model
     */
    VideoGenerator open(Path modelDir);
}
