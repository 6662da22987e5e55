package dev.zoetrope.core.safetensors;

import java.nio.file.Path;

/**
 * A PyTorch checkpoint is malformed, in a format this reader does not load, or refused as possibly hostile. It is a
 * {@link SafetensorsException}, the one exception {@link Weights} throws for a weights file it cannot use, so every
 * caller that handles a broken safetensors file handles a broken {@code .pth} the same way.
 */
public class TorchCheckpointException extends SafetensorsException {
    public TorchCheckpointException(Path file, String problem) {
        super(file, problem);
    }

    public TorchCheckpointException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
