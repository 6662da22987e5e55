package dev.zoetrope.serve;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Structured log events: a short event name plus key/value fields, formatted by {@link JsonLogFormatter}. */
final class ServiceLog {
    private static final JsonLogFormatter FALLBACK = new JsonLogFormatter();
    private final Logger logger;

    ServiceLog(Class<?> owner) {
        this.logger = Logger.getLogger(owner.getName());
    }

    void info(String event, Object... keyValues) {
        log(Level.INFO, event, null, keyValues);
    }

    void fine(String event, Object... keyValues) {
        log(Level.FINE, event, null, keyValues);
    }

    void warn(String event, Throwable thrown, Object... keyValues) {
        log(Level.WARNING, event, thrown, keyValues);
    }

    private void log(Level level, String event, Throwable thrown, Object... keyValues) {
        if (!logger.isLoggable(level)) return;
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) fields.put(String.valueOf(keyValues[i]), keyValues[i + 1]);
        LogRecord r = new LogRecord(level, event);
        r.setLoggerName(logger.getName());
        r.setParameters(new Object[]{fields});
        r.setThrown(thrown);
        // During JVM shutdown the log manager has already closed its handlers; graceful-shutdown events still matter.
        if (Logger.getLogger("").getHandlers().length == 0) System.err.print(FALLBACK.format(r));
        else logger.log(r);
    }
}
