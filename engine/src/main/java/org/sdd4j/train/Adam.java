package org.sdd4j.train;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;
import org.sdd4j.backend.AdamUpdate;
import org.sdd4j.tensor.Tensor;

/**
 * Adam and AdamW over a {@link Parameters} block, written out as torch.optim computes them
 * (float32, same order of operations; {@link AdamUpdate}), with their moment estimates beside the weights: in
 * off-heap host memory, or on the GPU with a GPU block, where one fused kernel per parameter updates them.
 * <pre>
 *   AdamW: p *= 1 - lr * wd            Adam: g += wd * p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * Parameters without a gradient this step (none flowed into them) are left untouched, as torch skips
 * parameters whose {@code .grad} is None.
 */
public final class Adam implements AutoCloseable {
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
    private final Map<String, Tensor[]> state = new HashMap<>();
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
        for (Parameters.Entry e : params.entries()) {
            if (!e.trainable() || !touched.test(e)) {
                continue;
            }
            Tensor[] mv = state.computeIfAbsent(e.name(), k -> new Tensor[] {
                params.zerosLike(e.value(), arena), params.zerosLike(e.value(), arena)});
            long t = steps.merge(e.name(), 1L, Long::sum);
            AdamUpdate u = AdamUpdate.at(config.variant() == Variant.ADAMW, lr, config.beta1(), config.beta2(),
                    config.eps(), config.weightDecay(), t);
            if (params.device() == null) {
                u.applyOnHost(e.value(), e.grad(), mv[0], mv[1]);
            } else {
                params.device().adamStep(e.value(), e.grad(), mv[0], mv[1], u);
            }
        }
    }

    /**
     * The moment estimates of parameter {@code name} ({@code [m, v]}, where the parameters live: see
     * {@link Parameters#toHost}), or null before its first step.
     */
    public Tensor[] moments(String name) {
        return state.get(name);
    }

    /** Steps taken for {@code name} (torch keeps a step count per parameter). */
    public long steps(String name) {
        return steps.getOrDefault(name, 0L);
    }

    /** Restores one parameter's state (resuming a run) from host tensors. */
    public void restore(String name, long step, Tensor m, Tensor v) {
        Tensor ms = params.zerosLike(m, arena), vs = params.zerosLike(v, arena);
        params.load(ms, m);
        params.load(vs, v);
        state.put(name, new Tensor[] {ms, vs});
        steps.put(name, step);
    }

    @Override
    public void close() {
        arena.close();
    }
}
