package org.sdd4j.model.aasist;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * The {@code model_config} of the official AASIST {@code .conf} files.
 *
 * @param filts        {@code filts[0]} sinc filters, then the [in, out] channels of residual blocks 1-4
 *                     (blocks 5 and 6 repeat block 4)
 * @param firstConv    sinc kernel length before it is made odd
 * @param gatDims      node dimensions of the graph layers
 * @param poolRatios   graph-pool keep ratios (index 3 is unused by the reference, as there)
 * @param temperatures attention temperatures (GAT-S, GAT-T, HS-GAL, HS-GAL)
 * @param samples      input length ({@code nb_samp}): 64,600 for the published models
 */
public record AasistConfig(int sincFilters, int[][] filts, int firstConv, int[] gatDims, double[] poolRatios,
                           double[] temperatures, int samples) {

    /** AASIST (ASVspoof 2019 LA, and the ASVspoof 5 baseline). */
    public static final AasistConfig AASIST = new AasistConfig(70, new int[][] {{1, 32}, {32, 32}, {32, 64}, {64, 64}},
            128, new int[] {64, 32}, new double[] {0.5, 0.7, 0.5, 0.5}, new double[] {2, 2, 100, 100}, 64_600);
    /** AASIST-L. */
    public static final AasistConfig AASIST_L = new AasistConfig(70, new int[][] {{1, 32}, {32, 32}, {32, 24}, {24, 24}},
            128, new int[] {24, 32}, new double[] {0.4, 0.5, 0.7, 0.5}, new double[] {2, 2, 100, 100}, 64_600);
    /** The SSL-AASIST back end (Tak et al. 2022), whose values are fixed in its code. */
    public static final AasistConfig SSL_AASIST = new AasistConfig(128, new int[][] {{1, 32}, {32, 32}, {32, 64},
        {64, 64}}, 0, new int[] {64, 32}, new double[] {0.5, 0.5, 0.5, 0.5}, new double[] {2, 2, 100, 100}, 64_600);

    /** Reads an official {@code .conf} (its {@code model_config}) or the bare model_config object. */
    public static AasistConfig fromJson(JsonNode root) {
        JsonNode m = root.has("model_config") ? root.get("model_config") : root;
        String arch = m.path("architecture").asText("AASIST");
        if (!arch.equals("AASIST")) {
            throw new IllegalArgumentException("model_config.architecture is '" + arch + "'; only AASIST is supported");
        }
        JsonNode f = m.get("filts");
        if (f == null || f.size() != 5) {
            throw new IllegalArgumentException("model_config.filts must have 5 entries, e.g. [70, [1,32], [32,32], [32,64], [64,64]]");
        }
        int[][] blocks = new int[4][];
        for (int i = 0; i < 4; i++) {
            blocks[i] = new int[] {f.get(i + 1).get(0).asInt(), f.get(i + 1).get(1).asInt()};
        }
        return new AasistConfig(f.get(0).asInt(), blocks, m.path("first_conv").asInt(128), ints(m, "gat_dims", 2),
                doubles(m, "pool_ratios", 4), doubles(m, "temperatures", 4), m.path("nb_samp").asInt(64_600));
    }

    /** This configuration as an official-style {@code model_config} object (what sdd4j writes beside its checkpoints). */
    public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
        var m = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        m.put("architecture", "AASIST");
        m.put("nb_samp", samples);
        m.put("first_conv", firstConv);
        var f = m.putArray("filts");
        f.add(sincFilters);
        for (int[] b : filts) {
            f.addArray().add(b[0]).add(b[1]);
        }
        var g = m.putArray("gat_dims");
        for (int v : gatDims) {
            g.add(v);
        }
        var p = m.putArray("pool_ratios");
        for (double v : poolRatios) {
            p.add(v);
        }
        var t = m.putArray("temperatures");
        for (double v : temperatures) {
            t.add(v);
        }
        return m;
    }

    /** The [in, out] channels of residual block {@code i} (0..5). */
    public int[] block(int i) {
        return filts[Math.min(i, 3)];
    }

    /** Channels of the encoder output. */
    public int encoderChannels() {
        return filts[3][1];
    }

    private static int[] ints(JsonNode m, String key, int n) {
        JsonNode a = m.get(key);
        if (a == null || a.size() != n) {
            throw new IllegalArgumentException("model_config." + key + " must have " + n + " entries");
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static double[] doubles(JsonNode m, String key, int n) {
        JsonNode a = m.get(key);
        if (a == null || a.size() != n) {
            throw new IllegalArgumentException("model_config." + key + " must have " + n + " entries");
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    @Override
    public String toString() {
        return "AasistConfig[filts=" + sincFilters + " " + Arrays.deepToString(filts) + ", gatDims="
                + Arrays.toString(gatDims) + ", poolRatios=" + Arrays.toString(poolRatios) + ", temperatures="
                + Arrays.toString(temperatures) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AasistConfig c && sincFilters == c.sincFilters && firstConv == c.firstConv
                && samples == c.samples
                && Arrays.deepEquals(filts, c.filts) && Arrays.equals(gatDims, c.gatDims)
                && Arrays.equals(poolRatios, c.poolRatios) && Arrays.equals(temperatures, c.temperatures);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(filts) * 31 + Arrays.hashCode(gatDims);
    }
}
