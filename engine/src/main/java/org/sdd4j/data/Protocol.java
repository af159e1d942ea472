package org.sdd4j.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads corpus protocols into {@link LabeledUtterance}s and resolves each utterance's audio file
 * against an audio root folder.
 *
 * <p>ASVspoof protocols name utterances without an extension. The audio layout is decided once per
 * protocol, from the first utterance whose file exists among {@code ROOT/flac/ID.flac},
 * {@code ROOT/ID.flac}, {@code ROOT/wav/ID.wav} and {@code ROOT/ID.wav}, and applied to all (a
 * million stat calls would dominate reading the ASVspoof 5 evaluation protocol). When none exists the
 * official layout ({@code flac/} if that folder exists, else the root) is assumed and a missing file
 * is reported when it is decoded.
 */
public final class Protocol {
    private Protocol() {
    }

    /** Reads {@code protocolFile} in {@code format}; audio paths are resolved against {@code audioRoot}. */
    public static List<LabeledUtterance> read(ProtocolFormat format, Path protocolFile, Path audioRoot) throws IOException {
        Objects.requireNonNull(format, "format");
        return switch (format) {
            case ASVSPOOF2019_LA -> asvspoof2019La(protocolFile, audioRoot);
            case ASVSPOOF2021 -> asvspoof2021(protocolFile, audioRoot, Set.of());
            case ASVSPOOF5 -> asvspoof5(protocolFile, audioRoot);
            case IN_THE_WILD -> inTheWild(protocolFile, audioRoot);
            case PATH_LABEL_LIST -> pathLabelList(protocolFile, audioRoot);
        };
    }

    /** ASVspoof 2019 LA: {@code SPEAKER UTTERANCE - ATTACK KEY}. */
    public static List<LabeledUtterance> asvspoof2019La(Path protocolFile, Path audioRoot) throws IOException {
        List<Row> rows = new ArrayList<>();
        forEachLine(protocolFile, (line, number) -> {
            String[] c = fields(protocolFile, number, line, 5, 5);
            rows.add(new Row(c[1], key(protocolFile, number, c[4]), c[3], c[0]));
        });
        return resolve(rows, audioRoot);
    }

    /**
     * ASVspoof 2021 LA or DF keys ({@code trial_metadata.txt}), keeping only the rows whose subset
     * (column 8: {@code progress}, {@code eval}, {@code hidden_track}, ...) is in {@code subsets}, or
     * all rows when {@code subsets} is empty.
     */
    public static List<LabeledUtterance> asvspoof2021(Path keyFile, Path audioRoot, Set<String> subsets) throws IOException {
        List<Row> rows = new ArrayList<>();
        forEachLine(keyFile, (line, number) -> {
            String[] c = fields(keyFile, number, line, 8, Integer.MAX_VALUE);
            if (subsets.isEmpty() || subsets.contains(c[7])) {
                rows.add(new Row(c[1], key(keyFile, number, c[5]), c[4], c[0]));
            }
        });
        return resolve(rows, audioRoot);
    }

    /** ASVspoof 5: {@code SPEAKER FILE GENDER CODEC CODEC_Q CODEC_SEED ATTACK_TAG ATTACK_LABEL KEY -}. */
    public static List<LabeledUtterance> asvspoof5(Path protocolFile, Path audioRoot) throws IOException {
        List<Row> rows = new ArrayList<>();
        forEachLine(protocolFile, (line, number) -> {
            String[] c = fields(protocolFile, number, line, 10, 10);
            int label = key(protocolFile, number, c[8]);
            rows.add(new Row(c[1], label, label == LabeledUtterance.BONA_FIDE ? "-" : c[7], c[0]));
        });
        return resolve(rows, audioRoot);
    }

    /** In-the-Wild {@code meta.csv}: header {@code file,speaker,label} (any column order), labels {@code bona-fide} / {@code spoof}. */
    public static List<LabeledUtterance> inTheWild(Path metaCsv, Path audioRoot) throws IOException {
        List<LabeledUtterance> out = new ArrayList<>();
        int[] columns = new int[3];
        boolean[] headerSeen = {false};
        forEachLine(metaCsv, (line, number) -> {
            List<String> cells = csvCells(metaCsv, number, line);
            if (!headerSeen[0]) {
                headerSeen[0] = true;
                columns[0] = cells.indexOf("file");
                columns[1] = cells.indexOf("speaker");
                columns[2] = cells.indexOf("label");
                if (columns[0] < 0 || columns[1] < 0 || columns[2] < 0) {
                    throw new ProtocolFormatException(metaCsv, number, "expected the header file,speaker,label, found " + line);
                }
                return;
            }
            int needed = Math.max(columns[0], Math.max(columns[1], columns[2])) + 1;
            if (cells.size() < needed) {
                throw new ProtocolFormatException(metaCsv, number, "expected " + needed + " comma-separated cells, found " + cells.size());
            }
            String file = cells.get(columns[0]);
            int label = switch (cells.get(columns[2])) {
                case "bona-fide", "bonafide" -> LabeledUtterance.BONA_FIDE;
                case "spoof" -> LabeledUtterance.SPOOF;
                default -> throw new ProtocolFormatException(metaCsv, number,
                        "label must be bona-fide or spoof, was '" + cells.get(columns[2]) + "'");
            };
            out.add(new LabeledUtterance(stripExtension(file), audioRoot.resolve(file), label, "-", cells.get(columns[1])));
        });
        if (!headerSeen[0]) {
            throw new ProtocolFormatException(metaCsv, 0, "empty: expected the header file,speaker,label");
        }
        return out;
    }

    /** A plain {@code path<TAB>label} list; relative paths are resolved against {@code audioRoot}. */
    public static List<LabeledUtterance> pathLabelList(Path listFile, Path audioRoot) throws IOException {
        List<LabeledUtterance> out = new ArrayList<>();
        forEachLine(listFile, (line, number) -> {
            if (line.startsWith("#")) {
                return;
            }
            int tab = line.lastIndexOf('\t');
            if (tab <= 0) {
                throw new ProtocolFormatException(listFile, number, "expected path<TAB>label, found '" + line + "'");
            }
            String path = line.substring(0, tab).strip();
            String labelText = line.substring(tab + 1).strip();
            int label = switch (labelText) {
                case "1", "bonafide", "bona-fide" -> LabeledUtterance.BONA_FIDE;
                case "0", "spoof" -> LabeledUtterance.SPOOF;
                default -> throw new ProtocolFormatException(listFile, number,
                        "label must be 1, 0, bonafide, bona-fide or spoof, was '" + labelText + "'");
            };
            Path audio = audioRoot.resolve(path);
            out.add(new LabeledUtterance(stripExtension(audio.getFileName().toString()), audio, label, "-", "-"));
        });
        return out;
    }

    private record Row(String id, int label, String attack, String speaker) {
    }

    private static final List<Function<Path, Function<String, Path>>> LAYOUTS = List.of(
            root -> id -> root.resolve("flac").resolve(id + ".flac"),
            root -> id -> root.resolve(id + ".flac"),
            root -> id -> root.resolve("wav").resolve(id + ".wav"),
            root -> id -> root.resolve(id + ".wav"));
    /** How many leading rows are probed for a layout before falling back to the default. */
    private static final int PROBES = 16;

    private static List<LabeledUtterance> resolve(List<Row> rows, Path root) {
        Function<String, Path> layout = null;
        for (int i = 0; i < Math.min(PROBES, rows.size()) && layout == null; i++) {
            for (var candidate : LAYOUTS) {
                Function<String, Path> l = candidate.apply(root);
                if (Files.isRegularFile(l.apply(rows.get(i).id()))) {
                    layout = l;
                    break;
                }
            }
        }
        if (layout == null) {
            layout = LAYOUTS.get(Files.isDirectory(root.resolve("flac")) ? 0 : 1).apply(root);
        }
        List<LabeledUtterance> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            out.add(new LabeledUtterance(r.id(), layout.apply(r.id()), r.label(), r.attack(), r.speaker()));
        }
        return out;
    }

    @FunctionalInterface
    private interface LineHandler {
        void accept(String line, int number) throws IOException;
    }

    /** Calls {@code handler} for each non-blank line (stripped), with its 1-based number. */
    private static void forEachLine(Path file, LineHandler handler) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                if (number == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                String stripped = line.strip();
                if (!stripped.isEmpty()) {
                    handler.accept(stripped, number);
                }
            }
        }
    }

    private static String[] fields(Path file, int number, String line, int min, int max) throws ProtocolFormatException {
        String[] c = line.split("\\s+");
        if (c.length < min || c.length > max) {
            String expected = min == max ? Integer.toString(min) : "at least " + min;
            throw new ProtocolFormatException(file, number, "expected " + expected + " whitespace-separated columns, found "
                    + c.length + ": '" + line + "'");
        }
        return c;
    }

    private static int key(Path file, int number, String key) throws ProtocolFormatException {
        return switch (key) {
            case "bonafide" -> LabeledUtterance.BONA_FIDE;
            case "spoof" -> LabeledUtterance.SPOOF;
            default -> throw new ProtocolFormatException(file, number, "key must be bonafide or spoof, was '" + key + "'");
        };
    }

    /** Splits one CSV line (RFC 4180 quoting with "" escapes; no line breaks inside cells). */
    private static List<String> csvCells(Path file, int number, String line) throws ProtocolFormatException {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                cells.add(cell.toString().strip());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        if (quoted) {
            throw new ProtocolFormatException(file, number, "unterminated quote");
        }
        cells.add(cell.toString().strip());
        return cells;
    }

    private static String stripExtension(String name) {
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        int dot = name.lastIndexOf('.');
        return dot > slash + 1 ? name.substring(slash + 1, dot) : name.substring(slash + 1);
    }
}
