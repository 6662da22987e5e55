package dev.zoetrope.serve;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class RequestValidatorTest {
    final RequestValidator validator = new RequestValidator(TestPatternGenerator.CAPS, 100);
    final ObjectMapper json = new ObjectMapper();

    @Test
    void fillsTheModelsDefaults() throws Exception {
        JobParams p = validator.validate(json.readTree("{\"prompt\":\"a cat\"}"));
        assertEquals(new JobParams("a cat", "blurry", "64p", 2, 42, 5.0, 4, "mp4"), p);
    }

    @Test
    void keepsGivenValues() throws Exception {
        JobParams p = validator.validate(json.readTree("{\"prompt\":\"a cat\",\"negative_prompt\":\"\",\"resolution\":\"128p\","
                + "\"duration\":4,\"seed\":\"9223372036854775807\",\"cfg\":0,\"steps\":50,\"format\":\"mp4\"}"));
        assertEquals(new JobParams("a cat", "", "128p", 4, Long.MAX_VALUE, 0, 50, "mp4"), p);
    }

    @Test
    void boundsAreInclusiveAndNamed() throws Exception {
        var e = assertThrows(RequestValidator.InvalidFieldsException.class,
                () -> validator.validate(json.readTree("{\"prompt\":\"" + "x".repeat(101) + "\",\"seed\":\"9223372036854775808\"}")));
        assertEquals(2, e.errors().size(), e.errors().toString());
        assertEquals("prompt", e.errors().get(0).field());
        assertTrue(e.errors().get(0).message().contains("at most 100"));
        assertEquals("seed", e.errors().get(1).field());
        validator.validate(json.readTree("{\"prompt\":\"" + "x".repeat(100) + "\",\"duration\":1,\"steps\":1}"));
    }
}
