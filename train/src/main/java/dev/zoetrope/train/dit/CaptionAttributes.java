package dev.zoetrope.train.dit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.core.engine.Tensors;
import dev.zoetrope.models.nn.Init;
import dev.zoetrope.models.nn.Linear;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.nn.Params;
import dev.zoetrope.train.synth.SynthSpec;

/**
 * An auxiliary objective for a text encoder trained from nothing on the synthetic world's labelled clips: linear heads
 * on the mean of a caption's hidden states name the clip's colour, shape, motion and background, by cross-entropy. The
 * diffusion loss alone reaches the text encoder only through the DiT's cross-attention, weakly and late; the heads say
 * directly that a clip's phrasings (many wordings, some spelled in smaller pieces) mean the same four things, so the
 * encoder learns the attributes from the pieces and ignores word order and filler. Pooling over every position asks
 * each of them to carry the sentence's meaning, which the DiT's cross-attention then finds wherever it looks.
 *
 * <p>The heads' weights ({@value #PREFIX}*) train with the rest and are not exported. Clips whose caption is not one of
 * the synthetic world's templates have no labels and add nothing; so do dropped captions.
 */
final class CaptionAttributes implements AutoCloseable {
    static final String PREFIX = "attr.";

    /** The attributes named, each with its number of classes (the palettes, so novel colours and motions have a class). */
    enum Attribute {
        COLOR(SynthSpec.PALETTE.size()), SHAPE(SynthSpec.SHAPES.size()), MOTION(SynthSpec.MOTIONS.size()),
        BACKGROUND(SynthSpec.BACKGROUND_PALETTE.size());

        final int classes;

        Attribute(int classes) {
            this.classes = classes;
        }

        String key() {
            return PREFIX + name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** cross_entropy's ignore_index: a clip without labels. */
    private static final long UNLABELLED = -100;

    private final Params params;
    private final List<Linear> heads = new ArrayList<>();
    /** Per clip, per attribute: its class, or {@link #UNLABELLED}. */
    private final long[][] labels;

    /**
     * @param captions each clip's own caption (a synthetic template caption, else unlabelled)
     * @param width    the text encoder's d_model
     * @param seed     the heads' initial weights (drawn from libtorch's global generator: build after the models)
     * @throws InvalidRequestException when no caption is a template caption: the heads would learn nothing
     */
    CaptionAttributes(List<String> captions, long width, long seed, Device device) {
        labels = new long[captions.size()][];
        for (int i = 0; i < labels.length; i++) labels[i] = labels(captions.get(i));
        if (labelled() == 0)
            throw new InvalidRequestException("attribute_weight needs clips captioned by the synthetic world's templates; none of the "
                    + labels.length + " clips is (set attribute_weight to 0)");
        params = Params.fresh(Init.dit(), seed, DType.F32, true, device);
        for (Attribute a : Attribute.values()) heads.add(Linear.load(params, a.key(), a.classes, width, true));
    }

    /** The classes of {@code caption}'s attributes in {@link Attribute} order; all unlabelled when it is not a template caption. */
    static long[] labels(String caption) {
        Optional<SynthSpec.Parsed> p = SynthSpec.parse(caption);
        if (p.isEmpty()) return new long[]{UNLABELLED, UNLABELLED, UNLABELLED, UNLABELLED};
        SynthSpec.Combination c = p.get().combination();
        return new long[]{c.color(), c.shape(), c.direction(), p.get().background()};
    }

    /** How many clips have labels. */
    int labelled() {
        int n = 0;
        for (long[] l : labels) if (l[0] != UNLABELLED) n++;
        return n;
    }

    /** The heads' parameters as {@code attr.<attribute>.weight|bias}. */
    Map<String, Tensor> parameters() {
        return new LinkedHashMap<>(params.loaded());
    }

    /**
     * The mean over attributes of the heads' cross-entropy, over the samples that have labels and were not dropped; zero
     * (with gradients that are zero) when none has.
     *
     * @param states per sample, its caption's (length, d_model) hidden states
     * @param clips  per sample, its clip index
     * @param used   per sample, whether its caption counts (false: dropped to the empty prompt)
     */
    Tensor loss(List<Tensor> states, long[] clips, boolean[] used) {
        TensorVector pooled = new TensorVector();
        long[][] target = new long[Attribute.values().length][states.size()];
        for (int b = 0; b < states.size(); b++) {
            pooled.push_back(states.get(b).mean(new long[]{0}));
            for (int a = 0; a < target.length; a++) target[a][b] = used[b] ? labels[(int) clips[b]][a] : UNLABELLED;
        }
        Tensor x = torch.stack(pooled);
        Tensor total = null;
        for (int a = 0; a < target.length; a++) {
            Tensor t = Ops.toDeviceOf(Tensors.fromLongs(target[a], target[a].length), x);
            // sum over the labelled samples, divided by the batch: a batch without labels weighs nothing (and is not NaN)
            Tensor ce = torch.cross_entropy_loss(heads.get(a).apply(x), t, new TensorOptional(), torch.Reduction.Sum.value, UNLABELLED, 0.0)
                    .div(Ops.scalar(states.size()));
            total = total == null ? ce : total.add(ce);
        }
        return total.div(Ops.scalar(target.length));
    }

    @Override
    public void close() {
        params.close();
    }
}
