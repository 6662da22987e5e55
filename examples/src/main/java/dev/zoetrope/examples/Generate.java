package dev.zoetrope.examples;

import java.nio.file.Path;

import dev.zoetrope.api.Generator;
import dev.zoetrope.api.Settings;
import dev.zoetrope.api.Video;
import dev.zoetrope.api.Zoetrope;

/** Generates one clip: java dev.zoetrope.examples.Generate MODEL_DIR OUTPUT(.mp4|.webm|.gif|dir) [PROMPT] */
public class Generate {
    public static void main(String[] args) {
        String prompt = args.length > 2 ? args[2] : "a red ball rolling to the right";
        try (Generator generator = Zoetrope.load(Path.of(args[0]))) {
            Video video = generator.generate(prompt, Settings.DEFAULT.withSeed(42),
                    (stage, fraction) -> System.out.printf("%s %.0f%%%n", stage, fraction * 100));
            video.save(Path.of(args[1]));
            System.out.printf("%s: %d frames at %d fps, seed %d, in %s%n", args[1], video.frameCount(), video.fps(),
                    video.seed(), video.timings().total());
        }
    }
}
