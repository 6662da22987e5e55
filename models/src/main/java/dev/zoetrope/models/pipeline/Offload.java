package dev.zoetrope.models.pipeline;

import java.util.Locale;

import dev.zoetrope.core.InvalidRequestException;

/**
 * Which weights stay on the device, for devices smaller than the whole model ({@code --offload}). In every mode the
 * text encoder leaves the device once the prompts are encoded, and weights come from the memory-mapped checkpoint
 * straight to the device, so "host memory" between uses is the page cache of that file, not a second copy.
 */
public enum Offload {
    /** The DiT and the VAE share the device while the DiT runs; a service keeps both there between clips. */
    NONE,
    /** One model on the device at a time: text encoder, DiT and VAE each only while its stage runs (a service reloads them per clip). */
    MODEL,
    /** As {@link #MODEL}, and the DiT's blocks stay in host memory, each copied to the device just before it runs. */
    SEQUENTIAL;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code none}, {@code model} or {@code sequential}, any case. */
    public static Offload parse(String s) {
        String k = s == null ? "" : s.strip().toUpperCase(Locale.ROOT);
        for (Offload o : values()) if (o.name().equals(k)) return o;
        throw new InvalidRequestException("--offload must be none, model or sequential, not '" + s + "'");
    }
}
