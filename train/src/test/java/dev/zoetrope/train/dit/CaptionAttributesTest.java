package dev.zoetrope.train.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import dev.zoetrope.core.InvalidRequestException;
import dev.zoetrope.core.engine.DType;
import dev.zoetrope.models.nn.Ops;
import dev.zoetrope.models.text.T5Config;
import dev.zoetrope.models.text.T5Encoder;
import dev.zoetrope.train.synth.SynthSpec;
import dev.zoetrope.train.synth.SynthSpec.Combination;

class CaptionAttributesTest {
    private static final T5Config TEXT = new T5Config(16, 8, 32, 2, 1, 8, 16, "gated-gelu", 1e-6, 64, false);

    @Test
    void aTemplateCaptionIsLabelledWithWhatItSaysAndAnyOtherCaptionIsNot() {
        assertArrayEquals(new long[]{2, 1, 3, 1}, CaptionAttributes.labels(SynthSpec.caption(1, new Combination(2, 1, 3), 1)));
        assertArrayEquals(new long[]{5, 0, 0, 0}, CaptionAttributes.labels(SynthSpec.canonicalCaption(new Combination(5, 0, 0), 0)));
        assertArrayEquals(new long[]{-100, -100, -100, -100}, CaptionAttributes.labels("a crimson blob wobbling about"));
        InvalidRequestException none = assertThrows(InvalidRequestException.class,
                () -> new CaptionAttributes(List.of("a crimson blob wobbling about", "footage of a beach"), 16, 1, null));
        assertTrue(none.getMessage().contains("none of the 2 clips"), none.getMessage());
    }

    @Test
    void atTheStartEachHeadGuessesEvenlyAndDroppedOrUnlabelledCaptionsWeighNothing() {
        List<String> captions = List.of(SynthSpec.canonicalCaption(new Combination(0, 0, 0), 0),
                SynthSpec.canonicalCaption(new Combination(3, 2, 1), 1), "not one of the templates");
        try (PointerScope scope = new PointerScope(); CaptionAttributes heads = new CaptionAttributes(captions, 16, 1, null)) {
            assertEquals(2, heads.labelled());
            torch.manual_seed(4);
            List<Tensor> states = List.of(torch.randn(5, 16), torch.randn(7, 16), torch.randn(3, 16));
            double uniform = 0;
            for (CaptionAttributes.Attribute a : CaptionAttributes.Attribute.values()) uniform += Math.log(a.classes);
            uniform /= CaptionAttributes.Attribute.values().length;
            // two labelled samples of three: their cross-entropy, near log(classes) for small initial heads, over the batch of 3
            double all = heads.loss(states, new long[]{0, 1, 2}, new boolean[]{true, true, true}).item_double();
            assertEquals(uniform * 2 / 3, all, 0.05);
            assertEquals(0.0, heads.loss(states, new long[]{0, 1, 2}, new boolean[]{false, false, true}).item_double(),
                    "dropped captions and captions without labels add nothing");
            assertEquals((8 + 3 + 9 + 3) * (16 + 1), heads.parameters().values().stream().mapToLong(Tensor::numel).sum(),
                    "a weight row and a bias per class: 8 colours, 3 shapes, 9 motions (still included), 3 backgrounds");
            assertTrue(heads.parameters().keySet().stream().allMatch(k -> k.startsWith(CaptionAttributes.PREFIX)));
        }
    }

    /** The loss reaches the text encoder: trained on it alone, encoder and heads tell the captions' attributes apart. */
    @Test
    void itTrainsTheTextEncoderToNameEachCaptionsAttributes() {
        List<String> captions = new ArrayList<>();
        for (Combination c : List.of(new Combination(0, 0, 0), new Combination(1, 1, 1), new Combination(2, 2, 2), new Combination(4, 0, 3),
                new Combination(6, 1, 2), new Combination(3, 2, 0)))
            captions.add(SynthSpec.caption(captions.size() % SynthSpec.TEMPLATES.size(), c, captions.size() % 2));
        Map<String, Integer> vocab = new HashMap<>();
        int[][] ids = new int[captions.size()][];
        for (int i = 0; i < ids.length; i++)
            ids[i] = java.util.Arrays.stream(captions.get(i).split(" ")).mapToInt(w -> vocab.computeIfAbsent(w, k -> vocab.size() + 2)).toArray();
        long[] clips = {0, 1, 2, 3, 4, 5};
        boolean[] used = {true, true, true, true, true, true};
        try (PointerScope scope = new PointerScope();
             T5Encoder text = T5Encoder.random(TEXT, 0.02, 3, DType.F32, true);
             CaptionAttributes heads = new CaptionAttributes(captions, 16, 1, null)) {
            List<Tensor> params = new ArrayList<>(text.parameters().values());
            params.addAll(heads.parameters().values());
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 150; step++) {
                try (PointerScope s = new PointerScope()) {
                    Tensor loss = heads.loss(text.encode(ids), clips, used);
                    loss.backward();
                    last = loss.item_double();
                    if (step == 0) first = last;
                    try (NoGradGuard ng = new NoGradGuard()) {
                        for (Tensor p : params) {
                            p.sub_(p.grad().mul(Ops.scalar(0.3)));
                            p.grad().zero_();
                        }
                    }
                }
            }
            assertTrue(last < first / 4, "the attribute loss falls: " + first + " → " + last);
            Tensor encoderWeight = text.parameters().values().iterator().next();
            assertTrue(encoderWeight.requires_grad(), "the encoder's weights trained with it");
        }
    }
}
