package org.sdd4j.train;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import org.sdd4j.tensor.Tensor;

/**
 * Adam and AdamW over a {@link Parameters} block, written out as torch.optim computes them
 * (float32, same order of operations), with their moment estimates in off-heap memory beside the
 * weights:
 * <pre>
 *   AdamW: p *= 1 - lr * wd            Adam: g += wd * p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * Parameters without a gradient this step (none flowed into them) are left untouched, as torch skips
 * parameters whose {@code .grad} is None.
 */
public final class Adam implements AutoCloseable {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Weight decay coupled to the gradient (Adam) or decoupled (AdamW, Loshchilov and Hutter). */
    public enum Variant { ADAM, ADAMW }

    /** Hyper-parameters; {@code lr} is the base rate a schedule scales. */
    public record Config(Variant variant, double lr, double beta1, double beta2, double eps, double weightDecay) {
        public static Config adam(double lr, double weightDecay) {
            return new Config(Variant.ADAM, lr, 0.9, 0.999, 1e-8, weightDecay);
        }

        public static Config adamW(double lr, double weightDecay) {
            return new Config(Variant.ADAMW, lr, 0.9, 0.999, 1e-8, weightDecay);
        }
    }

    private final Parameters params;
    private final Config config;
    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment[]> state = new HashMap<>();
    private final Map<String, Long> steps = new HashMap<>();

    public Adam(Parameters params, Config config) {
        this.params = params;
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /**
     * One update with learning rate {@code lr}. {@code touched} says whether a parameter received a gradient
     * this step (see {@link org.sdd4j.autograd.Tape#receivedGrad}); callers that cannot tell pass {@code e -> true}.
     */
    public void step(double lr, java.util.function.Predicate<Parameters.Entry> touched) {
        // Scalars are formed in double and rounded once, as torch passes Python floats to its kernels.
        float b1 = (float) config.beta1(), b2 = (float) config.beta2(), eps = (float) config.eps();
        float oneMinusB1 = (float) (1 - config.beta1()), oneMinusB2 = (float) (1 - config.beta2());
        float wd = (float) config.weightDecay(), decay = (float) (1 - lr * config.weightDecay());
        for (Parameters.Entry e : params.entries()) {
            if (!e.trainable() || !touched.test(e)) {
                continue;
            }
            MemorySegment[] mv = state.computeIfAbsent(e.name(), k -> new MemorySegment[] {
                arena.allocate(e.value().numel() * 4, 64), arena.allocate(e.value().numel() * 4, 64)});
            long t = steps.merge(e.name(), 1L, Long::sum);
            double bc1 = 1 - Math.pow(config.beta1(), t);
            double bc2Sqrt = Math.sqrt(1 - Math.pow(config.beta2(), t));
            float stepSize = (float) (lr / bc1);
            MemorySegment p = e.value().data(), g = e.grad().data(), m = mv[0], v = mv[1];
            for (long i = 0, n = e.value().numel(); i < n; i++) {
                float pi = p.getAtIndex(F, i), gi = g.getAtIndex(F, i);
                if (config.variant() == Variant.ADAMW) {
                    pi = pi * decay;
                } else if (wd != 0) {
                    gi = gi + wd * pi;
                }
                float mi = m.getAtIndex(F, i) * b1 + oneMinusB1 * gi;
                float vi = v.getAtIndex(F, i) * b2 + oneMinusB2 * gi * gi;
                m.setAtIndex(F, i, mi);
                v.setAtIndex(F, i, vi);
                float denom = (float) (Math.sqrt(vi) / bc2Sqrt) + eps;
                p.setAtIndex(F, i, pi - stepSize * (mi / denom));
            }
        }
    }

    /** The moment estimates of parameter {@code name} ({@code [m, v]} views), or null before its first step. */
    public Tensor[] moments(String name) {
        MemorySegment[] mv = state.get(name);
        if (mv == null) {
            return null;
        }
        int[] shape = params.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow().value()
                .shape();
        return new Tensor[] {Tensor.wrap(mv[0], org.sdd4j.tensor.DType.F32, shape),
            Tensor.wrap(mv[1], org.sdd4j.tensor.DType.F32, shape)};
    }

    /** Steps taken for {@code name} (torch keeps a step count per parameter). */
    public long steps(String name) {
        return steps.getOrDefault(name, 0L);
    }

    /** Restores one parameter's state (resuming a run). */
    public void restore(String name, long step, Tensor m, Tensor v) {
        MemorySegment ms = arena.allocate(m.numel() * 4, 64), vs = arena.allocate(v.numel() * 4, 64);
        MemorySegment.copy(m.data(), 0, ms, 0, ms.byteSize());
        MemorySegment.copy(v.data(), 0, vs, 0, vs.byteSize());
        state.put(name, new MemorySegment[] {ms, vs});
        steps.put(name, step);
    }

    @Override
    public void close() {
        arena.close();
    }
}
