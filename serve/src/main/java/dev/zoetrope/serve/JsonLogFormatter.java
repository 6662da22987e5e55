package dev.zoetrope.serve;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One JSON object per log line: {@code ts, level, logger, msg}, then the fields of a {@link Map} passed as the
 * record's single parameter (see {@link ServiceLog}), then {@code exception} if any.
 */
public final class JsonLogFormatter extends Formatter {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public String format(LogRecord r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("ts", Instant.ofEpochMilli(r.getMillis()).toString());
        o.put("level", r.getLevel().getName());
        o.put("logger", r.getLoggerName());
        Object[] params = r.getParameters();
        boolean structured = params != null && params.length == 1 && params[0] instanceof Map<?, ?>;
        o.put("msg", structured ? r.getMessage() : formatMessage(r));
        if (structured) {
            for (var e : ((Map<?, ?>) params[0]).entrySet()) {
                String key = String.valueOf(e.getKey());
                switch (e.getValue()) {
                    case null -> o.putNull(key);
                    case Integer i -> o.put(key, i);
                    case Long l -> o.put(key, l);
                    case Double d -> o.put(key, d);
                    case Boolean b -> o.put(key, b);
                    case Object v -> o.put(key, v.toString());
                }
            }
        }
        if (r.getThrown() != null) {
            StringWriter w = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(w));
            o.put("exception", w.toString());
        }
        try {
            return MAPPER.writeValueAsString(o) + System.lineSeparator();
        } catch (JsonProcessingException e) {
            return "{\"msg\":\"unloggable record\"}" + System.lineSeparator();
        }
    }

    /** Routes the root logger to standard error as JSON lines at {@code level}. */
    public static void install(Level level) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) root.removeHandler(h);
        ConsoleHandler h = new ConsoleHandler();
        h.setFormatter(new JsonLogFormatter());
        h.setLevel(level);
        root.addHandler(h);
        root.setLevel(level);
    }
}
