package org.sdd4j.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The GRPO settings of a training config ({@code grpo:} block), with the reference code's values as defaults
 * (arXiv 2603.02914, its "grpo3"):
 *
 * <pre>
 * grpo:
 *   variant: grpo          # grpo | grpo_s (ratio against logp.detach()) | reinforce (raw reward x logp, no baseline)
 *   group_size: 64         # labels sampled per utterance
 *   reward: binary         # binary: 1 for the true label, else 0 | signed: +1 / -1
 *   advantage: batch       # batch: normalise over all B x G samples | group: within each utterance (DeepSeekMath)
 *   clip_eps: 0.2          # ratio clipped to [1 - eps, 1 + eps]; .inf (or "inf") for none
 *   kl_weight: 0.04        # beta of the k3 KL to the reference policy; 0: no reference copy at all
 *   old_policy_refresh: 1000   # K: the old policy is a frozen copy refreshed every K steps
 * </pre>
 */
public record GrpoOptions(Variant variant, RewardMode reward, AdvantageScope advantage, int groupSize, double clipEps,
                          double beta, long refreshEvery) {

    /** Which objective a step optimises. */
    public enum Variant {
        /** Clipped ratio against a periodically refreshed old policy, normalised advantages, KL to the reference. */
        GRPO,
        /** "grpo2": ratio against the policy's own detached log-probability (1 in value), no old policy, no clip. */
        GRPO_S,
        /** The negative-reward ablation: raw reward times log-probability, no baseline (plus KL when beta > 0). */
        REINFORCE
    }

    /** What a sampled label earns. */
    public enum RewardMode {
        BINARY, SIGNED;

        public double of(boolean correct) {
            return correct ? 1 : this == SIGNED ? -1 : 0;
        }
    }

    /** Over which samples advantages are normalised. */
    public enum AdvantageScope { BATCH, GROUP }

    public GrpoOptions {
        if (groupSize < 2) {
            throw new IllegalArgumentException("grpo.group_size must be at least 2 (an unbiased std needs two samples)");
        }
        if (!(clipEps > 0)) {
            throw new IllegalArgumentException("grpo.clip_eps must be positive, got " + clipEps);
        }
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("grpo.kl_weight must be finite and non-negative, got " + beta);
        }
        if (refreshEvery < 1) {
            throw new IllegalArgumentException("grpo.old_policy_refresh must be at least 1, got " + refreshEvery);
        }
    }

    /** The reference code's settings. */
    public static GrpoOptions defaults() {
        return new GrpoOptions(Variant.GRPO, RewardMode.BINARY, AdvantageScope.BATCH, 64, 0.2, 0.04, 1000);
    }

    /** Only the clipped GRPO objective compares against an old policy. */
    public boolean needsOldPolicy() {
        return variant == Variant.GRPO;
    }

    /** A reference copy exists only when the KL term has weight. */
    public boolean needsReference() {
        return beta > 0;
    }

    /** Reads a {@code grpo:} block (missing keys keep their defaults); {@code file} names the config in errors. */
    public static GrpoOptions parse(JsonNode node, Path file) {
        GrpoOptions d = defaults();
        if (node == null || node.isMissingNode() || node.isNull()) {
            return d;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(file + ": grpo must be an object");
        }
        try {
            return new GrpoOptions(
                    choice(node, "variant", Variant.class, d.variant(), file),
                    choice(node, "reward", RewardMode.class, d.reward(), file),
                    choice(node, "advantage", AdvantageScope.class, d.advantage(), file),
                    node.path("group_size").asInt(d.groupSize()),
                    number(node.get("clip_eps"), d.clipEps(), file),
                    number(node.get("kl_weight"), d.beta(), file),
                    node.path("old_policy_refresh").asLong(d.refreshEvery()));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static <E extends Enum<E>> E choice(JsonNode node, String key, Class<E> type, E fallback, Path file) {
        if (!node.has(key)) {
            return fallback;
        }
        String v = node.get(key).asText();
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            StringBuilder allowed = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                allowed.append(allowed.isEmpty() ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException(file + ": grpo." + key + " '" + v + "' is not one of " + allowed, e);
        }
    }

    /** A number, or "inf"/".inf"/"infinity" (YAML writes infinity as .inf, JSON has no literal for it). */
    private static double number(JsonNode v, double fallback, Path file) {
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        String t = v.asText().trim().toLowerCase(Locale.ROOT).replaceFirst("^[+.]+", "");
        if (t.equals("inf") || t.equals("infinity")) {
            return Double.POSITIVE_INFINITY;
        }
        throw new IllegalArgumentException(file + ": '" + v.asText() + "' is not a number");
    }
}
