package org.sdd4j.corpus;

import java.util.Objects;

/**
 * One row of {@code protocol.tsv}: an audio file of the corpus and where it came from.
 *
 * @param path      audio file relative to the corpus folder, with '/' separators
 * @param label     bona fide or spoof
 * @param source    the Debian package (bona fide) or TTS engine (spoof) it came from
 * @param generator {@code engine:voice} for spoofs, {@code -} for bona fide
 * @param language  ISO 639-1 code (or the folder's locale name), {@code -} when unknown
 * @param speaker   speaker id (bona fide: from folder or file names; spoof: the voice), {@code -} when unknown
 * @param licence   the licence of the source material
 * @param split     the suggested split
 * @param seconds   duration after processing
 * @param channel   the channel applied, e.g. {@code cap=22050/vorbis lp=5200 hp=120 codec=gsm}
 */
public record CorpusItem(String path, Label label, String source, String generator, String language, String speaker,
        String licence, Split split, double seconds, String channel) {
    /** Column names of protocol and split files, in order. */
    public static final String HEADER = "path\tlabel\tsource\tgenerator\tlanguage\tspeaker\tlicence\tsplit\tseconds\tchannel";

    public CorpusItem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(label, "label");
        source = field(source);
        generator = field(generator);
        language = field(language);
        speaker = field(speaker);
        licence = field(licence);
        channel = field(channel);
    }

    /** The same item with another split. */
    public CorpusItem withSplit(Split s) {
        return new CorpusItem(path, label, source, generator, language, speaker, licence, s, seconds, channel);
    }

    /** This item as a protocol line (no newline). */
    public String toLine() {
        return String.join("\t", path, label.text(), source, generator, language, speaker, licence,
                split == null ? "-" : split.text(), String.format(java.util.Locale.ROOT, "%.3f", seconds), channel);
    }

    /** Parses a protocol line written by {@link #toLine()}; {@code where} names the file and line for errors. */
    public static CorpusItem parse(String line, String where) {
        String[] c = line.split("\t", -1);
        if (c.length != 10) {
            throw new IllegalArgumentException(where + ": expected 10 tab-separated columns (" + HEADER.replace('\t', ' ')
                    + "), found " + c.length);
        }
        try {
            return new CorpusItem(c[0], Label.parse(c[1]), c[2], c[3], c[4], c[5], c[6],
                    c[7].equals("-") ? null : Split.parse(c[7]), Double.parseDouble(c[8]), c[9]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /** Tabs and newlines would break the TSV; empty fields are written as {@code -}. */
    private static String field(String s) {
        if (s == null || s.isBlank()) {
            return "-";
        }
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ').strip();
    }
}
