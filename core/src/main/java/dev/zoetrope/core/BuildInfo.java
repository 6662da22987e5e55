package dev.zoetrope.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Facts about this build of Zoetrope, stamped in by Maven (resource filtering of {@code build.properties}). */
public final class BuildInfo {
    private static final String VERSION = load().getProperty("version", "unknown");

    private BuildInfo() {}

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String version() {
        return VERSION;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
