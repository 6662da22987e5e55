package dev.zoetrope.train.dit;

import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.zoetrope.models.text.Tokenizers;
import dev.zoetrope.train.dist.ProcessGroup;
import dev.zoetrope.train.dist.Topology;
import dev.zoetrope.train.loop.Trainer;
import dev.zoetrope.train.recipe.Recipe;

/**
 * One rank of a data-parallel DiT stage of the micro recipe, placed by its environment (RANK, WORLD_SIZE, ...), for
 * {@link DistributedDitTest}: {@code WORK RUN_DIR STEPS RESUME}, WORK holding the micro recipe's latents and tokenizer.
 */
public final class DitRankProbe {
    private DitRankProbe() {}

    /** The micro recipe's DiT options at {@code steps} steps, a checkpoint every 10, no sample strips. */
    static DitTraining.Options options(Path tokenizer, int steps) {
        ObjectNode micro = Recipe.source("micro").json().deepCopy();
        ObjectNode train = (ObjectNode) micro.path("dit").path("train");
        train.put("steps", steps).put("checkpoint_every", 10).put("sample_every", 0);
        DitTraining.Options o = Recipe.parse(micro, "micro for data-parallel tests").dit();
        return o.withText(o.text().withVocabSize(Tokenizers.load(tokenizer).vocabSize()));
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]), runDir = Path.of(args[1]);
        int steps = Integer.parseInt(args[2]);
        boolean resume = Boolean.parseBoolean(args[3]);
        Topology place = Topology.fromEnvironment(System.getenv()).orElseThrow();
        // as the CLI does: a rank that fails says so to the others; one that finishes leaves cleanly
        ProcessGroup g = ProcessGroup.install(ProcessGroup.join(place, Duration.ofSeconds(20), false));
        try {
            Trainer.Outcome o = DitTraining.run(work.resolve("latents"), work.resolve("tokenizer"), runDir,
                    options(work.resolve("tokenizer"), steps), resume, steps, null);
            System.out.println("rank " + place.rank() + " trained steps " + o.startStep() + " to " + o.endStep());
        } catch (RuntimeException e) {
            g.fail();
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
        g.close();
        System.exit(0);
    }
}
