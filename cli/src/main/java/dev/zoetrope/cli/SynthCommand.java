package dev.zoetrope.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.zoetrope.core.progress.ProgressBar;
import dev.zoetrope.train.synth.SynthWorld;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Render labelled clips of the synthetic world: one coloured shape moving in a straight line over "
                + "a plain background, as mp4 + JSON sidecar (captions, ground truth) plus an index clips.jsonl.",
                "Resumable: run the same command again to finish an interrupted run or to add clips (larger --count)."})
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--count", required = true, description = "Number of clips.")
    int count;

    @Option(names = "--seed", required = true, description = "Random seed; the same seed gives the same clips.")
    long seed;

    @Option(names = "--size", description = "Width and height in pixels (default: ${DEFAULT-VALUE}).")
    int size = 64;

    @Option(names = "--frames", description = "Frames per clip (default: ${DEFAULT-VALUE}).")
    int frames = 17;

    @Option(names = "--fps", description = "Frame rate (default: ${DEFAULT-VALUE}).")
    double fps = 8;

    @Option(names = "--split", description = "train (never a held-out combination), heldout (only those), all, novel (the "
            + "colours training never showed, e.g. pink, but their held-out combinations: a LoRA's lesson), novel-background (the "
            + "seen combinations on the backgrounds training never showed, e.g. white), or novel-motion (the diagonal motions "
            + "training never showed, e.g. up left, but their held-out combinations) (default: ${DEFAULT-VALUE}).")
    String split = "train";

    @Option(names = "--jobs", description = "Clips rendered in parallel (default: ${DEFAULT-VALUE}).")
    int jobs = 1;

    @Override
    public Integer call() throws IOException {
        SynthWorld.Settings settings = new SynthWorld.Settings(size, size, frames, fps, SynthWorld.Split.parse(split));
        long start = System.nanoTime();
        SynthWorld.Result r = SynthWorld.generate(out, count, seed, settings, jobs, System.err);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%d clips in %s (%d written now, %d already there; %d of them held-out combinations) in %s%n",
                count, out, r.written(), r.skipped(), r.heldOut(), ProgressBar.clock(seconds));
        return 0;
    }
}
