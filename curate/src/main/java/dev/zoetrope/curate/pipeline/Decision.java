package dev.zoetrope.curate.pipeline;

import java.util.List;

import dev.zoetrope.curate.filter.Reason;

/** The verdict on one clip: the reasons it was rejected (empty when accepted), what it duplicates, its caption. */
public record Decision(ClipResult clip, List<Reason> reasons, String duplicateOf, Double aesthetic, String caption)
        implements java.io.Serializable {
    public boolean accepted() {
        return reasons.isEmpty();
    }
}
