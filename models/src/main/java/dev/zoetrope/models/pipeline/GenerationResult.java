package dev.zoetrope.models.pipeline;

import java.nio.file.Path;

/** A finished clip and the parameters actually used (defaults filled in). */
public record GenerationResult(Path video, GenerationRequest resolved, int width, int height, int frames, int fps,
                               double seconds) {}
