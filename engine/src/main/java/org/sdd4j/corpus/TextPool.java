package org.sdd4j.corpus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Texts for the synthesisers, by language: the transcripts the bona fide sources ship (so both classes
 * say similar things) plus sdd4j's own short neutral sentences ({@code sentences-LANG.txt}).
 */
public final class TextPool {
    /** Texts with fewer words than this are joined with a second one, so synthesised clips are not all too short. */
    static final int MIN_WORDS = 4;
    private final Map<String, List<String>> byLanguage = new HashMap<>();

    /** A pool with the built-in sentences of every language that has them. */
    public static TextPool withBuiltIns() {
        TextPool pool = new TextPool();
        for (String lang : List.of("en", "es", "fr", "it", "ru", "cs", "nl")) {
            try (InputStream in = TextPool.class.getResourceAsStream("sentences-" + lang + ".txt")) {
                if (in == null) {
                    continue;
                }
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    pool.add(lang, line);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read built-in sentences for " + lang, e);
            }
        }
        return pool;
    }

    /** Adds one text (blank ones are ignored). */
    public void add(String language, String text) {
        String t = text == null ? "" : text.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
            byLanguage.computeIfAbsent(language, k -> new ArrayList<>()).add(t);
        }
    }

    /** Whether the pool has texts in {@code language}. */
    public boolean has(String language) {
        return byLanguage.containsKey(language);
    }

    /** Number of texts in {@code language}. */
    public int size(String language) {
        return byLanguage.getOrDefault(language, List.of()).size();
    }

    /** A text in {@code language} drawn with {@code rng}; short ones are joined with a second draw. */
    public String draw(String language, RandomGenerator rng) {
        List<String> texts = byLanguage.get(language);
        if (texts == null) {
            throw new IllegalArgumentException("no texts in language '" + language + "'");
        }
        String t = texts.get(rng.nextInt(texts.size()));
        if (t.split("\\s+").length < MIN_WORDS) {
            String second = texts.get(rng.nextInt(texts.size()));
            t = t + (t.endsWith(".") || t.endsWith("!") || t.endsWith("?") ? " " : ". ") + second;
        }
        return t;
    }
}
