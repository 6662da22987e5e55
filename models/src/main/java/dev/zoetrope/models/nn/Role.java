package dev.zoetrope.models.nn;

/**
 * What a parameter does in its module. A module declares each parameter with its role; the role decides how a
 * fresh model initialises it ({@link Init}) and nothing else.
 */
public enum Role {
    /** A matrix or a convolution kernel. */
    WEIGHT,
    /** An additive bias. */
    BIAS,
    /** A norm's multiplicative gain. */
    GAIN,
    /** A learned table added to activations: adaLN modulation, relative-position biases. */
    TABLE,
    /** A token embedding. */
    EMBEDDING
}
