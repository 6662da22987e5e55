package dev.zoetrope.curate.filter;

/** Why a clip was rejected; {@link #code()} is what the manifest says. */
public enum Reason {
    STATIC("static"),
    BLURRY("blurry"),
    TOO_DARK("too_dark"),
    TOO_BRIGHT("too_bright"),
    BORDERS("borders"),
    TEXT("text_overlay"),
    DUPLICATE("duplicate"),
    LOW_AESTHETIC("low_aesthetic"),
    VLM("vlm_reject");

    private final String code;

    Reason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
