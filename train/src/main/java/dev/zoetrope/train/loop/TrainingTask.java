package dev.zoetrope.train.loop;

import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;

/**
 * What a {@link Trainer} optimises: a model's parameters and the loss of one micro-batch.
 *
 * <p>All randomness of a micro-batch (which samples, noise, dropout) must come from its arguments, so
 * that a resumed run repeats the same losses exactly. The generator is a host one: draws are made on the host and
 * moved to where the parameters live, so a seed gives the same run on every device.
 */
public interface TrainingTask {
    /** The trainable leaf tensors, by stable name, all on one device. They must require grad. */
    Map<String, Tensor> parameters();

    /**
     * The mean loss over {@code share} of micro-batch {@code micro} of optimizer step {@code step}: the whole batch's
     * draws are made from {@code rng}, the share's samples alone are computed (see {@link Share}).
     */
    Tensor loss(int step, int micro, Share share, Generator rng);

    /** The scalar loss of the whole micro-batch {@code micro} of optimizer step {@code step}, drawn with {@code rng}. */
    default Tensor loss(int step, int micro, int batchSize, Generator rng) {
        return loss(step, micro, Share.whole(batchSize), rng);
    }

    /**
     * Writes sample strips for the current weights (EMA weights when the trainer has them) into {@code dir}; optional.
     * Returns the PNG pictures written, which the trainer also logs for TensorBoard.
     */
    default java.util.List<Path> sample(int step, Map<String, Tensor> weights, Path dir) {
        return java.util.List.of();
    }

    /** Facts stored in checkpoint metadata, e.g. the model config as JSON. */
    default Map<String, String> metadata() {
        return Map.of();
    }
}
