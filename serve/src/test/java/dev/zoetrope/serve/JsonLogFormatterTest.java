package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class JsonLogFormatterTest {
    @Test
    void oneJsonObjectPerLineWithTheEventsFields() throws Exception {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("job", "abc");
        fields.put("seconds", 1.5);
        fields.put("attempt", 2);
        fields.put("note", "quote \" and\nnewline");
        LogRecord r = new LogRecord(Level.INFO, "job.done");
        r.setLoggerName("dev.zoetrope.serve.JobWorkers");
        r.setParameters(new Object[]{fields});
        r.setThrown(new IllegalStateException("boom"));
        String line = new JsonLogFormatter().format(r);
        assertTrue(line.endsWith(System.lineSeparator()));
        assertEquals(1, line.strip().lines().count(), "a record is exactly one line");
        JsonNode o = new ObjectMapper().readTree(line);
        assertEquals("job.done", o.get("msg").asText());
        assertEquals("INFO", o.get("level").asText());
        assertEquals("abc", o.get("job").asText());
        assertEquals(1.5, o.get("seconds").asDouble());
        assertEquals(2, o.get("attempt").asInt());
        assertEquals("quote \" and\nnewline", o.get("note").asText());
        assertTrue(o.get("exception").asText().contains("boom"));
        assertFalse(o.get("ts").asText().isEmpty());
    }

    @Test
    void plainMessagesAreFormatted() throws Exception {
        LogRecord r = new LogRecord(Level.WARNING, "disk {0} is {1}");
        r.setParameters(new Object[]{"data", "full"});
        JsonNode o = new ObjectMapper().readTree(new JsonLogFormatter().format(r));
        assertEquals("disk data is full", o.get("msg").asText());
    }
}
