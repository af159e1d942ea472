package org.sdd4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import org.sdd4j.api.Score;

/**
 * Writes scores as an ASVspoof 5 score file (tab-separated, header {@code filename cm-score}) or as JSON
 * lines with the same field names. Optional columns: the two logits ({@code --emit logits}) and a
 * decision against a threshold. Numbers are written as the shortest decimal that reads back to the same
 * value, so nothing is lost between sdd4j and an evaluation script.
 */
final class ScoreWriter {
    enum Format { tsv, jsonl }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Writer out;
    private final Format format;
    private final boolean logits;
    private final Double threshold;

    ScoreWriter(Writer out, Format format, boolean logits, Double threshold) {
        this.out = out;
        this.format = format;
        this.logits = logits;
        this.threshold = threshold;
    }

    /** The TSV header (JSON lines have none). */
    void header() throws IOException {
        if (format == Format.tsv) {
            out.write("filename\tcm-score" + (logits ? "\tlogit0\tlogit1" : "") + (threshold != null ? "\tdecision" : "") + "\n");
        }
    }

    void score(String name, Score s) throws IOException {
        if (format == Format.tsv) {
            StringBuilder line = new StringBuilder(name).append('\t').append(number(s.score()));
            if (logits) {
                line.append('\t').append(s.spoofLogit()).append('\t').append(s.bonafideLogit());
            }
            if (threshold != null) {
                line.append('\t').append(decision(s));
            }
            out.write(line.append('\n').toString());
        } else {
            ObjectNode o = JSON.createObjectNode().put("filename", name);
            if ((double) (float) s.score() == s.score()) {
                o.put("cm-score", (float) s.score());
            } else {
                o.put("cm-score", s.score());
            }
            if (logits) {
                o.put("logit0", s.spoofLogit()).put("logit1", s.bonafideLogit());
            }
            if (threshold != null) {
                o.put("decision", decision(s));
            }
            line(o);
        }
    }

    /** Inputs that could not be scored appear only in JSON lines (TSV score files have no place for them). */
    void error(String name, String reason) throws IOException {
        if (format == Format.jsonl) {
            line(JSON.createObjectNode().put("filename", name).put("error", reason));
        }
    }

    void flush() throws IOException {
        out.flush();
    }

    private String decision(Score s) {
        return s.score() >= threshold ? "bonafide" : "spoof";
    }

    private void line(ObjectNode o) throws IOException {
        try {
            out.write(JSON.writeValueAsString(o) + "\n");
        } catch (JsonProcessingException e) {
            throw new IOException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A score that is a float (a logit) prints as that float; a probability prints as a double. */
    private static String number(double v) {
        return (double) (float) v == v ? Float.toString((float) v) : Double.toString(v);
    }
}
