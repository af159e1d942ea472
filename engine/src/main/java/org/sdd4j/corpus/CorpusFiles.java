package org.sdd4j.corpus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files of a built corpus: {@code protocol.tsv} (every item), {@code splits/SPLIT.tsv} (the same
 * columns, one split each), {@code splits/SPLIT.lst} ({@code path<TAB>label}, which
 * {@link org.sdd4j.data.Protocol#pathLabelList} reads with the corpus folder as audio root), and the
 * 16-bit WAV audio.
 */
public final class CorpusFiles {
    /** The protocol's file name in the corpus folder. */
    public static final String PROTOCOL = "protocol.tsv";
    /** The split files' folder. */
    public static final String SPLITS = "splits";

    private CorpusFiles() {
    }

    /** Writes the protocol and the split files. */
    public static void writeProtocol(Path corpus, List<CorpusItem> items) throws IOException {
        Files.createDirectories(corpus.resolve(SPLITS));
        Files.write(corpus.resolve(PROTOCOL), lines(items, null), StandardCharsets.UTF_8);
        for (Split s : Split.values()) {
            Files.write(corpus.resolve(SPLITS).resolve(s.text() + ".tsv"), lines(items, s), StandardCharsets.UTF_8);
            List<String> list = new ArrayList<>();
            for (CorpusItem it : items) {
                if (it.split() == s) {
                    list.add(it.path() + "\t" + it.label().text());
                }
            }
            Files.write(corpus.resolve(SPLITS).resolve(s.text() + ".lst"), list, StandardCharsets.UTF_8);
        }
    }

    private static List<String> lines(List<CorpusItem> items, Split only) {
        List<String> out = new ArrayList<>();
        out.add(CorpusItem.HEADER);
        for (CorpusItem it : items) {
            if (only == null || it.split() == only) {
                out.add(it.toLine());
            }
        }
        return out;
    }

    /** Reads a protocol or split file written by {@link #writeProtocol}. */
    public static List<CorpusItem> readProtocol(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(CorpusItem.HEADER)) {
            throw new IOException(file + ": not an sdd4j corpus protocol (the first line must be the header '"
                    + CorpusItem.HEADER.replace('\t', ' ') + "')");
        }
        List<CorpusItem> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                try {
                    out.add(CorpusItem.parse(lines.get(i), file + " line " + (i + 1)));
                } catch (IllegalArgumentException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        }
        return out;
    }
}
