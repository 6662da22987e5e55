package dev.zoetrope.models.text;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Expected strings are what Python's html.unescape (applied twice) and re.sub(r"\s+", " ").strip() give. */
class PromptCleanerTest {
    @Test
    void unescapesTwice() {
        assertEquals("&", PromptCleaner.clean("&amp;amp;"));
        assertEquals("Tom & Jerry", PromptCleaner.clean("Tom &amp; Jerry"));
        assertEquals("<b>bold</b>", PromptCleaner.clean("&lt;b&gt;bold&lt;/b&gt;"));
    }

    @Test
    void characterReferences() {
        assertEquals("'quoted'", PromptCleaner.clean("&#39;quoted&#x27;"));
        assertEquals("A", PromptCleaner.clean("&#65"));
        assertEquals("€\uFFFD\uFFFD", PromptCleaner.unescapeHtml("&#128;&#0;&#x110000;&#x7f;"));
    }

    @Test
    void namedEntitiesWithAndWithoutSemicolon() {
        assertEquals("&x", PromptCleaner.clean("&ampx"));
        assertEquals("¬it;", PromptCleaner.clean("&notit;"));
        assertEquals("…—", PromptCleaner.clean("&hellip;&mdash;"));
        assertEquals("&hellip", PromptCleaner.clean("&hellip"));
        assertEquals("&unknown;", PromptCleaner.clean("&unknown;"));
        assertEquals("©2026", PromptCleaner.clean("&copy2026"));
        assertEquals("½ é ÿ", PromptCleaner.clean("&frac12; &eacute; &yuml;"));
    }

    @Test
    void collapsesWhitespaceAndKeepsCase() {
        assertEquals("a b c \u200Bd", PromptCleaner.clean("  a\u3000b\u001C c\u00A0\u200Bd\n"));
        assertEquals("A Cat, Running", PromptCleaner.clean("\tA  Cat,\r\n Running "));
        assertEquals("", PromptCleaner.clean(" \t\n"));
        assertEquals("a b", PromptCleaner.clean("a&nbsp;&#32;b"));
    }
}
