package org.sdd4j.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Readers for the score and key files of the ASVspoof evaluation packages. Fields are separated by
 * tabs or spaces; blank lines and lines starting with {@code #} are skipped.
 *
 * <ul>
 *   <li>ASVspoof 5 (header line required): scores {@code filename cm-score}, keys {@code filename cm-label};
 *       Track 2 scores {@code spk filename cm-score asv-score sasv-score} ({@code -} where a system gives
 *       no CM or ASV score), keys {@code spk filename cm-label asv-label}. Columns are found by name.</li>
 *   <li>ASVspoof 2019/2021 (no header): scores {@code UTT SCORE} or {@code UTT ATTACK KEY SCORE};
 *       CM protocols {@code SPEAKER UTT ... KEY ...} (the key is the first {@code bonafide}/{@code spoof}
 *       field after the utterance); ASV scores {@code SOURCE KEY SCORE} with key target, nontarget or spoof.</li>
 * </ul>
 */
public final class ScoreFiles {
    private static final List<String> CM_LABELS = List.of("bonafide", "spoof");
    private static final List<String> ASV_LABELS = List.of("target", "nontarget", "spoof");

    private ScoreFiles() {
    }

    /** Trials of an ASVspoof 5 Track 2 (SASV) score file joined with its keys. */
    public record SasvTrials(ScoreSet cm, AsvScoreSet asv, AsvScoreSet cmByAsvKey, AsvScoreSet sasv) {
        /** True when the file carries CM and ASV scores (not only the single SASV score). */
        public boolean hasCmAndAsv() {
            return cm != null && asv != null;
        }
    }

    /** Countermeasure scores joined with their keys by utterance; every key needs a score and vice versa. */
    public static ScoreSet readCm(Path scoresFile, Path keysFile) throws IOException {
        Table scores = Table.read(scoresFile);
        Table keys = Table.read(keysFile);
        boolean bySpeaker = scores.has("spk") && keys.has("spk");
        Map<String, Row> scoreById = scores.index(scoresFile, r -> scoreId(scores, r, bySpeaker));
        Map<String, Row> keyById = keys.index(keysFile, r -> keyId(keys, r, bySpeaker));
        List<Double> bona = new ArrayList<>();
        List<Double> spoof = new ArrayList<>();
        for (Map.Entry<String, Row> e : keyById.entrySet()) {
            Row scoreRow = scoreById.get(e.getKey());
            if (scoreRow == null) {
                throw new ScoreFileException(scoresFile, 0, "no score for '" + e.getKey() + "' (" + keysFile + " line " + e.getValue().line + ")");
            }
            String label = cmLabel(keys, e.getValue(), keysFile);
            double score = cmScore(scores, scoreRow, scoresFile);
            (label.equals("bonafide") ? bona : spoof).add(score);
        }
        if (scoreById.size() != keyById.size()) {
            for (Map.Entry<String, Row> e : scoreById.entrySet()) {
                if (!keyById.containsKey(e.getKey())) {
                    throw new ScoreFileException(scoresFile, e.getValue().line, "'" + e.getKey() + "' has no key in " + keysFile);
                }
            }
        }
        return scoreSet(bona, spoof, scoresFile);
    }

    /** True when the file is an ASVspoof 5 Track 2 score file (its header has a {@code sasv-score} column). */
    public static boolean isSasvScoreFile(Path file) throws IOException {
        return Table.read(file).has("sasv-score");
    }

    /** An ASVspoof 5 Track 2 score file joined with its keys by speaker and file name. */
    public static SasvTrials readSasv(Path scoresFile, Path keysFile) throws IOException {
        Table scores = Table.read(scoresFile);
        Table keys = Table.read(keysFile);
        scores.require(scoresFile, "spk", "filename", "sasv-score");
        keys.require(keysFile, "spk", "filename", "asv-label");
        Map<String, Row> scoreById = scores.index(scoresFile, r -> scores.field(r, "spk") + "\t" + scores.field(r, "filename"));
        Map<String, Row> keyById = keys.index(keysFile, r -> keys.field(r, "spk") + "\t" + keys.field(r, "filename"));
        if (scoreById.size() != keyById.size()) {
            throw new ScoreFileException(scoresFile, 0, scoreById.size() + " trials but " + keysFile + " has " + keyById.size());
        }
        boolean hasCm = scores.has("cm-score") && keys.has("cm-label");
        boolean hasAsv = scores.has("asv-score");
        List<List<Double>> sasv = lists(3);
        List<List<Double>> asv = lists(3);
        List<List<Double>> cmByAsv = lists(3);
        List<Double> bona = new ArrayList<>();
        List<Double> spoof = new ArrayList<>();
        for (Map.Entry<String, Row> e : keyById.entrySet()) {
            Row k = e.getValue();
            Row s = scoreById.get(e.getKey());
            if (s == null) {
                throw new ScoreFileException(scoresFile, 0, "no score for '" + e.getKey().replace('\t', ' ') + "' (" + keysFile + " line " + k.line + ")");
            }
            String asvLabel = keys.field(k, "asv-label");
            int cls = ASV_LABELS.indexOf(asvLabel);
            if (cls < 0) {
                throw new ScoreFileException(keysFile, k.line, "asv-label '" + asvLabel + "' is not one of " + ASV_LABELS);
            }
            sasv.get(cls).add(number(scores.field(s, "sasv-score"), scoresFile, s.line));
            String cmText = hasCm ? scores.field(s, "cm-score") : "-";
            String asvText = hasAsv ? scores.field(s, "asv-score") : "-";
            if (!cmText.equals("-")) {
                double cm = number(cmText, scoresFile, s.line);
                cmByAsv.get(cls).add(cm);
                (cmLabel(keys, k, keysFile).equals("bonafide") ? bona : spoof).add(cm);
            }
            if (!asvText.equals("-")) {
                asv.get(cls).add(number(asvText, scoresFile, s.line));
            }
        }
        int trials = keyById.size();
        boolean cmComplete = bona.size() + spoof.size() == trials;
        boolean asvComplete = asv.stream().mapToInt(List::size).sum() == trials;
        try {
            return new SasvTrials(
                    cmComplete ? scoreSet(bona, spoof, scoresFile) : null,
                    asvComplete ? asvSet(asv) : null,
                    cmComplete ? asvSet(cmByAsv) : null,
                    asvSet(sasv));
        } catch (IllegalArgumentException e) {
            throw new ScoreFileException(scoresFile, 0, e.getMessage());
        }
    }

    /**
     * ASV scores with their keys: ASVspoof 2019 {@code SOURCE KEY SCORE} lines, or a file with a header
     * naming {@code asv-score} and {@code asv-label} columns.
     */
    public static AsvScoreSet readAsv(Path file) throws IOException {
        Table t = Table.read(file);
        List<List<Double>> byKey = lists(3);
        for (Row r : t.rows) {
            String label;
            String score;
            if (t.header != null) {
                t.require(file, "asv-score", "asv-label");
                label = t.field(r, "asv-label");
                score = t.field(r, "asv-score");
            } else {
                if (r.fields.length < 2) {
                    throw new ScoreFileException(file, r.line, "expected 'SOURCE KEY SCORE', found " + r.fields.length + " field");
                }
                label = Arrays.stream(r.fields, 0, r.fields.length - 1).filter(ASV_LABELS::contains).findFirst().orElse(null);
                if (label == null) {
                    throw new ScoreFileException(file, r.line, "no ASV key (target, nontarget or spoof) on the line");
                }
                score = r.fields[r.fields.length - 1];
            }
            int cls = ASV_LABELS.indexOf(label);
            if (cls < 0) {
                throw new ScoreFileException(file, r.line, "asv-label '" + label + "' is not one of " + ASV_LABELS);
            }
            byKey.get(cls).add(number(score, file, r.line));
        }
        try {
            return asvSet(byKey);
        } catch (IllegalArgumentException e) {
            throw new ScoreFileException(file, 0, e.getMessage());
        }
    }

    private static String scoreId(Table t, Row r, boolean bySpeaker) throws ScoreFileException {
        if (t.header != null) {
            String id = t.field(r, "filename");
            return bySpeaker ? t.field(r, "spk") + "\t" + id : id;
        }
        // UTT SCORE; SPEAKER UTT SCORE; UTT ATTACK KEY SCORE (ASVspoof 2019).
        return r.fields.length == 3 ? r.fields[1] : r.fields[0];
    }

    private static double cmScore(Table t, Row r, Path file) throws ScoreFileException {
        String text = t.header != null ? t.field(r, "cm-score") : r.fields[r.fields.length - 1];
        if (t.header == null && r.fields.length < 2) {
            throw new ScoreFileException(file, r.line, "expected 'UTT SCORE', found 1 field");
        }
        return number(text, file, r.line);
    }

    private static String keyId(Table t, Row r, boolean bySpeaker) throws ScoreFileException {
        if (t.header != null) {
            String id = t.field(r, "filename");
            return bySpeaker ? t.field(r, "spk") + "\t" + id : id;
        }
        return r.fields.length == 2 ? r.fields[0] : r.fields[1];
    }

    private static String cmLabel(Table t, Row r, Path file) throws ScoreFileException {
        if (t.header != null) {
            String label = t.field(r, "cm-label");
            if (!CM_LABELS.contains(label)) {
                throw new ScoreFileException(file, r.line, "cm-label '" + label + "' is not bonafide or spoof");
            }
            return label;
        }
        int from = r.fields.length == 2 ? 1 : 2;
        for (int i = from; i < r.fields.length; i++) {
            if (CM_LABELS.contains(r.fields[i])) {
                return r.fields[i];
            }
        }
        throw new ScoreFileException(file, r.line, "no key (bonafide or spoof) after the utterance id");
    }

    private static double number(String text, Path file, int line) throws ScoreFileException {
        double v;
        try {
            v = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new ScoreFileException(file, line, "score '" + text + "' is not a number");
        }
        if (!Double.isFinite(v)) {
            throw new ScoreFileException(file, line, "score '" + text + "' is not finite");
        }
        return v;
    }

    private static ScoreSet scoreSet(List<Double> bona, List<Double> spoof, Path file) throws ScoreFileException {
        try {
            return new ScoreSet(array(bona), array(spoof));
        } catch (IllegalArgumentException e) {
            throw new ScoreFileException(file, 0, e.getMessage());
        }
    }

    private static AsvScoreSet asvSet(List<List<Double>> byKey) {
        return new AsvScoreSet(array(byKey.get(0)), array(byKey.get(1)), array(byKey.get(2)));
    }

    private static List<List<Double>> lists(int n) {
        List<List<Double>> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(new ArrayList<>());
        }
        return l;
    }

    private static double[] array(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private record Row(int line, String[] fields) {
    }

    @FunctionalInterface
    private interface Id {
        String of(Row row) throws ScoreFileException;
    }

    /** A whitespace-separated file; the first line is a header when it names a known column. */
    private record Table(Path file, List<String> header, List<Row> rows) {
        private static final List<String> KNOWN_COLUMNS = List.of("filename", "cm-score", "cm-label", "asv-score",
                "asv-label", "sasv-score", "spk");

        static Table read(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> header = null;
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] fields = line.split("\\s+");
                if (rows.isEmpty() && header == null && Arrays.stream(fields).anyMatch(KNOWN_COLUMNS::contains)) {
                    // The official package's own synonyms for its column names.
                    header = Arrays.stream(fields).map(f -> switch (f) {
                        case "trial_anon" -> "filename";
                        case "tar_spk_anon" -> "spk";
                        case "cm_label" -> "cm-label";
                        case "asv_label" -> "asv-label";
                        default -> f;
                    }).toList();
                    continue;
                }
                if (header != null && fields.length != header.size()) {
                    throw new ScoreFileException(file, i + 1, "expected " + header.size() + " fields (" + String.join(" ", header)
                            + "), found " + fields.length);
                }
                rows.add(new Row(i + 1, fields));
            }
            if (rows.isEmpty()) {
                throw new ScoreFileException(file, 0, "no trials in the file");
            }
            return new Table(file, header, rows);
        }

        boolean has(String column) {
            return header != null && header.contains(column);
        }

        void require(Path f, String... columns) throws ScoreFileException {
            for (String c : columns) {
                if (!has(c)) {
                    throw new ScoreFileException(f, 1, "no '" + c + "' column in the header"
                            + (header == null ? " (the file has no header)" : " (" + String.join(" ", header) + ")"));
                }
            }
        }

        String field(Row r, String column) throws ScoreFileException {
            if (!has(column)) {
                throw new ScoreFileException(file, 1, "no '" + column + "' column in the header (" + String.join(" ", header) + ")");
            }
            return r.fields[header.indexOf(column)];
        }

        Map<String, Row> index(Path f, Id id) throws ScoreFileException {
            Map<String, Row> byId = new LinkedHashMap<>();
            for (Row r : rows) {
                String key = id.of(r);
                Row previous = byId.putIfAbsent(key, r);
                if (previous != null) {
                    throw new ScoreFileException(f, r.line, "'" + key.replace('\t', ' ') + "' repeats line " + previous.line);
                }
            }
            return byId;
        }
    }
}
