package org.sdd4j.train.grpo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Ops;
import org.sdd4j.checkpoint.StateDict;
import org.sdd4j.metrics.SampleStats;
import org.sdd4j.model.SpoofModel;
import org.sdd4j.tensor.Tensor;
import org.sdd4j.train.Adam;
import org.sdd4j.train.CheckpointStore;
import org.sdd4j.train.GradClip;
import org.sdd4j.train.GradientReach;
import org.sdd4j.train.MethodStep;
import org.sdd4j.train.Parameters;

/**
 * One GRPO step (DESIGN.md section 4): the frozen old and reference policies score the batch first, each
 * under {@link Ops#frozenTraining} with the same dropout stream as the policy pass (so right after a refresh
 * the ratio is exactly 1), then the policy pass with the tape on, label sampling, rewards, advantages, the
 * taped {@link GrpoLoss}, backward through the model, clipping and the optimiser update.
 *
 * <p>The old policy (variant grpo) and the reference (kl_weight > 0) are {@link Parameters#frozenCopy frozen
 * copies} of the policy's weight block, taken when this object is built (the start of the run or stage) and, for
 * the old policy, refreshed by one bulk copy every {@code old_policy_refresh} steps. Nothing else is copied.
 */
public final class GrpoStep implements MethodStep {
    /** Checkpoint entry holding the old policy when it differs from the current weights. */
    public static final String OLD_POLICY = "old_policy";

    private final SpoofModel policy;
    private final Parameters params;
    private final Adam optimizer;
    private final Backend backend;
    private final double clipNorm;
    private final GrpoOptions options;
    private final long seed;
    private final Parameters old, reference;
    private final SpoofModel oldModel, referenceModel;

    /**
     * @param build    builds a model of the policy's architecture over a frozen copy's weights
     * @param clipNorm maximum gradient norm, or {@code Double.POSITIVE_INFINITY} for none
     * @param seed     the run seed (label draws derive from it and the step)
     */
    public GrpoStep(SpoofModel policy, Parameters params, Function<StateDict, SpoofModel> build, Adam optimizer,
                    Backend backend, double clipNorm, GrpoOptions options, long seed) {
        this.policy = policy;
        this.params = params;
        this.optimizer = optimizer;
        this.backend = backend;
        this.clipNorm = clipNorm;
        this.options = options;
        this.seed = seed;
        Parameters o = null, r = null;
        try {
            o = options.needsOldPolicy() ? params.frozenCopy() : null;
            r = options.needsReference() ? params.frozenCopy() : null;
            this.oldModel = o == null ? null : build.apply(o.stateDict());
            this.referenceModel = r == null ? null : build.apply(r.stateDict());
        } catch (RuntimeException | Error e) {
            if (o != null) {
                o.close();
            }
            if (r != null) {
                r.close();
            }
            throw e;
        }
        this.old = o;
        this.reference = r;
    }

    /** The old policy's weights (variant grpo), or null. */
    public Parameters oldPolicy() {
        return old;
    }

    /** The reference policy's weights (kl_weight > 0), or null. */
    public Parameters referencePolicy() {
        return reference;
    }

    @Override
    public Report run(List<MicroBatch> microBatches, long step, double lr) {
        if (microBatches.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one micro-batch");
        }
        if (old != null && step % options.refreshEvery() == 0) {
            old.copyFrom(params);
        }
        params.zeroGrad();
        int n = microBatches.size();
        GradientReach reach = new GradientReach(params);
        double loss = 0, kl = 0, clipped = 0, ratioDev = 0;
        List<double[]> rewards = new ArrayList<>(n), advantages = new ArrayList<>(n);
        for (MicroBatch mb : microBatches) {
            // Frozen passes first: each frees its activations before the policy pass builds its tape.
            double[] oldLogits = old == null ? null : frozenLogits(oldModel, mb.waveforms(), mb.dropout());
            double[] refLogits = reference == null ? null : frozenLogits(referenceModel, mb.waveforms(), mb.dropout());
            try (Ops ops = Ops.training(backend, true, mb.dropout() == null ? null : mb.dropout().get())) {
                params.watch(ops.tape());
                Tensor logits = policy.logits(ops, MethodStep.stack(ops, mb.waveforms()));
                int classes = logits.dim(1);
                double[] z = toDoubles(ops.download(logits));
                int[] sampled = LabelSampler.sample(LabelSampler.softmax(z, classes), classes, options.groupSize(),
                        LabelSampler.forStep(seed, mb.position()));
                double[] r = GroupAdvantages.rewards(sampled, mb.labels(), options.reward());
                double[] a = GroupAdvantages.of(r, options.groupSize(), options.advantage());
                GrpoLoss.Evaluation e = GrpoLoss.evaluate(options, classes, z,
                        options.variant() == GrpoOptions.Variant.GRPO ? oldLogits : null, refLogits, sampled, r, a);
                Tensor l = GrpoLoss.tape(ops, logits, e);
                // Under accumulation each micro-batch normalises its own advantages, as a PyTorch loop would.
                ops.tape().backward(n == 1 ? l : ops.divide(l, n));
                reach.add(ops.tape());
                loss += e.loss() / n;
                kl += e.klMean() / n;
                clipped += e.clipFraction() / n;
                ratioDev = Math.max(ratioDev, e.ratioMaxDeviation());
                rewards.add(r);
                advantages.add(a);
            }
        }
        double norm = Double.isInfinite(clipNorm) ? Double.NaN : GradClip.clip(params, clipNorm);
        optimizer.step(lr, reach.asFilter());
        double[] allRewards = concat(rewards), allAdvantages = concat(advantages);
        Map<String, Double> m = new LinkedHashMap<>();
        double advMean = SampleStats.mean(allAdvantages);
        m.put("reward_mean", SampleStats.mean(allRewards));
        m.put("kl_mean", kl);
        m.put("clip_fraction", clipped);
        m.put("ratio_max_dev", ratioDev);
        m.put("adv_mean", advMean);
        m.put("adv_std", SampleStats.std(allAdvantages, 0, allAdvantages.length, advMean));
        m.put("adv_min", java.util.Arrays.stream(allAdvantages).min().orElse(0));
        m.put("adv_max", java.util.Arrays.stream(allAdvantages).max().orElse(0));
        return new Report(loss, norm, lr, m);
    }

    private static double[] concat(List<double[]> parts) {
        return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    /** Logits of a frozen copy on the batch, in training mode with the step's dropout stream, no tape. */
    private double[] frozenLogits(SpoofModel model, List<float[]> waveforms, Supplier<RandomGenerator> dropout) {
        try (Ops ops = Ops.frozenTraining(backend, dropout == null ? null : dropout.get())) {
            return toDoubles(ops.download(model.logits(ops, MethodStep.stack(ops, waveforms))));
        }
    }

    private static double[] toDoubles(Tensor t) {
        double[] d = new double[(int) t.numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.getFloat(i);
        }
        return d;
    }

    /** The old policy differs from the weights unless the next step refreshes it anyway. */
    @Override
    public Map<String, Parameters> checkpointState(long steps) {
        return old != null && steps % options.refreshEvery() != 0 ? Map.of(OLD_POLICY, old) : Map.of();
    }

    @Override
    public void restore(CheckpointStore store, Path checkpoint, long steps) throws IOException {
        if (old != null && steps % options.refreshEvery() != 0 && !store.restoreExtra(checkpoint, OLD_POLICY, old)) {
            throw new IOException(checkpoint + ": no " + OLD_POLICY + ".safetensors, which a GRPO run at step " + steps
                    + " (old policy refreshed every " + options.refreshEvery() + ") needs to resume");
        }
    }

    @Override
    public String memoryReport() {
        long w = params.weightBytes(), g = params.gradientBytes();
        return String.format("GRPO memory: policy weights %s + gradients %s + Adam state %s; old policy %s;"
                        + " reference %s (frozen copies: %d of %s each)", mib(w), mib(g), mib(2 * g),
                old == null ? "none" : mib(old.weightBytes()), reference == null ? "none" : mib(reference.weightBytes()),
                (old == null ? 0 : 1) + (reference == null ? 0 : 1), mib(w));
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    @Override
    public void close() {
        if (old != null) {
            old.close();
        }
        if (reference != null) {
            reference.close();
        }
    }
}
