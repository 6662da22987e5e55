/**
 * Zoetrope as a library. {@link dev.zoetrope.api.Zoetrope#load} opens a model directory (or a Hugging Face repo id
 * already in the local hub cache) as a {@link dev.zoetrope.api.Generator}; each
 * {@link dev.zoetrope.api.Generator#generate} returns a {@link dev.zoetrope.api.Video} in memory, which
 * {@link dev.zoetrope.api.Video#save} writes as mp4, webm, GIF or PNG frames.
 *
 * <pre>{@code
 * try (Generator generator = Zoetrope.load(Path.of("models/zoetrope-tiny"))) {
 *     Video video = generator.generate("a red ball rolling right", Settings.DEFAULT.withSeed(7));
 *     video.save(Path.of("ball.mp4"));
 * }
 * }</pre>
 *
 * <p>Only this package is the public API; the other packages of Zoetrope's artifacts may change between versions.
 */
package dev.zoetrope.api;
