package dev.zoetrope.cli;

import java.io.IOException;
import java.io.UncheckedIOException;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.EngineException;
import dev.zoetrope.core.safetensors.SafetensorsException;
import dev.zoetrope.curate.labels.LabelException;
import dev.zoetrope.curate.pipeline.CurationException;
import dev.zoetrope.curate.vlm.VlmException;
import dev.zoetrope.core.progress.GenerationCancelledException;
import dev.zoetrope.train.shards.ShardException;
import dev.zoetrope.video.VideoException;

/**
 * Which failures are the user's to fix (bad input, missing or broken files, an unusable machine) rather than bugs,
 * decided by what the exception means, never by JDK type. An {@link IllegalArgumentException} is a broken contract
 * between two pieces of our code and an {@link IllegalStateException} a broken invariant, so both are bugs wherever
 * they come from: commands report bad options, and a state the user must change (a run directory that already holds
 * checkpoints, a data directory another server uses), as {@link InvalidRequestException}.
 */
final class Errors {
    private Errors() {}

    static boolean isUserError(Throwable e) {
        return switch (e) {
            // bad options, requests, configs, model directories and tokenizers, and directories in the wrong state
            case InvalidRequestException _ -> true;
            // files the user named that cannot be read or do not hold what they should
            case IOException _, UncheckedIOException _, SafetensorsException _, ShardException _, VideoException _,
                 LabelException _ -> true;
            // the machine or a service the user pointed at
            case EngineException _, VlmException _, CurationException _ -> true;
            case GenerationCancelledException _ -> true;
            default -> false;
        };
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null)
            return fse.getFile() + ": " + fse.getReason();
        return m == null ? e.toString() : m;
    }
}
