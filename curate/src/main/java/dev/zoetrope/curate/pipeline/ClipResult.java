package dev.zoetrope.curate.pipeline;

import java.io.Serializable;

import dev.zoetrope.curate.signals.ClipSignals;

/**
 * One clip window cut from a source, with its signals. Its frames are in {@code clips/<clip_id>.mp4} under the output
 * directory, its frame strip in {@code clips/<clip_id>.png}.
 */
public record ClipResult(String clipId, String source, double startS, double endS, int width, int height, double fps,
                         int frames, String caption, ClipSignals signals) implements Serializable {}
