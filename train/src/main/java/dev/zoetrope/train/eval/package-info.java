/**
 * Prompt-adherence evaluation: generate clips for canonical synthetic-world prompts (all held-out
 * combinations and a sample of seen ones), read colour, shape and direction back with the
 * {@link dev.zoetrope.train.synth.ClipDetector}, and report accuracy per axis for held-out and seen
 * combinations, after validating the detector on rendered ground truth.
 */
package dev.zoetrope.train.eval;
