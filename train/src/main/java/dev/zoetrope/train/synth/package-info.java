/**
 * The synthetic world: labelled clips of one coloured shape moving in a straight line over a plain
 * background, for training and for measuring prompt adherence.
 *
 * <ul>
 * <li>{@link dev.zoetrope.train.synth.SynthSpec} — palette, shapes, directions, backgrounds, caption
 * templates (the first is canonical), the held-out rule, caption parsing.</li>
 * <li>{@link dev.zoetrope.train.synth.SynthWorld} — deterministic clip planning and resumable generation
 * ({@code zoetrope synth}); {@link dev.zoetrope.train.synth.SynthRenderer} draws the frames;
 * {@link dev.zoetrope.train.synth.SynthSidecar} is the JSON beside each mp4.</li>
 * <li>{@link dev.zoetrope.train.synth.ClipDetector} — reads colour, shape and direction back from pixels.</li>
 * </ul>
 */
package dev.zoetrope.train.synth;
