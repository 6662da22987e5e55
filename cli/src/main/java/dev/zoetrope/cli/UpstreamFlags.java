package dev.zoetrope.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/**
 * {@code generate}'s flags as the reference scripts spell them, so a command line from their READMEs runs as pasted:
 * Linum's {@code generate_video.py} and Wan's {@code generate.py}. Hidden from the option list (the command's footer
 * names them) so the help shows each setting once; {@link GenerateCommand} folds them into its own options, and
 * refuses two spellings of one setting with different values.
 */
final class UpstreamFlags {
    // Linum v2: generate_video.py (its --prompt, --output, --resolution, --duration, --seed and --cfg are zoetrope's own)
    @Option(names = "--num_steps", hidden = true) Integer numSteps;
    @Option(names = "--negative_prompt", hidden = true) String negativePrompt;
    @Option(names = "--apg_rescale", hidden = true) Double apgRescale;
    @Option(names = "--model-path", hidden = true) Path ditPath;
    @Option(names = "--vae-path", hidden = true) Path vaePath;
    @Option(names = "--t5-encoder-path", hidden = true) Path textEncoderPath;
    @Option(names = "--t5-tokenizer-path", hidden = true) Path tokenizerPath;

    // Wan 2.1: generate.py (its --prompt is zoetrope's own)
    @Option(names = "--task", hidden = true) String task;
    @Option(names = "--ckpt_dir", hidden = true) String ckptDir;
    @Option(names = "--size", hidden = true) String size;
    @Option(names = "--frame_num", hidden = true) Integer frameNum;
    @Option(names = "--sample_steps", hidden = true) Integer sampleSteps;
    @Option(names = "--sample_shift", hidden = true) Double sampleShift;
    @Option(names = "--sample_guide_scale", hidden = true) Double sampleGuideScale;
    @Option(names = "--sample_solver", hidden = true) String sampleSolver;
    @Option(names = "--base_seed", hidden = true) Long baseSeed;
    @Option(names = "--save_file", hidden = true) Path saveFile;
}
