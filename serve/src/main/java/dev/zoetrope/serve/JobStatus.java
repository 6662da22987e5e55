package dev.zoetrope.serve;

import java.util.Locale;

/** Where a job is in its life. Done, failed and cancelled are final. */
public enum JobStatus {
    QUEUED, RUNNING, DONE, FAILED, CANCELLED;

    public boolean terminal() {
        return this == DONE || this == FAILED || this == CANCELLED;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobStatus fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
