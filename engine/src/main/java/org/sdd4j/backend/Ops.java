package org.sdd4j.backend;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.lang.foreign.MemorySegment;
import org.sdd4j.autograd.Tape;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * The functional face of a {@link Backend}: each call checks shapes, allocates its result in this
 * scope's arena and runs the operation. Layers are written against this class, the way PyTorch
 * modules are written against {@code torch.nn.functional}.
 *
 * <p>A scope lives for one forward pass: closing it frees every activation at once. A recording scope
 * frees earlier, as PyTorch does: an activation goes back to the pool once the {@link #scoped} body that
 * made it has returned and every backward step that saved it has run ({@link ActivationLifetimes}); each
 * recorded step names the tensors it keeps.
 * Layout glue (permutes, reductions over small dims, concatenation) is shape logic here and memory
 * movement in the backend ({@link Backend#permute}, {@link Backend#copyBlocks}, ...), so that nothing here
 * touches tensor elements on the forward path and a GPU backend keeps every activation on the device; the
 * backward steps of that glue still run on the host (training is CPU-only).
 */
public final class Ops implements AutoCloseable {
    private final Backend backend;
    private final Arena arena;
    private final Tape tape;
    private final boolean training;
    private final java.util.random.RandomGenerator rng;
    /** Where models report named layer outputs; null (the usual case) when nobody listens. */
    private final LayerRecorder recorder;
    private final boolean updateStatistics;
    /** When a recording scope's activations may go back to the pool; null when not recording. */
    private final ActivationLifetimes lifetimes;
    private static final Tensor[] NOTHING = {};

    /**
     * A scope with its own shared arena: shared, not confined, because the backends' worker threads read
     * and write the activations it holds.
     */
    public Ops(Backend backend) {
        this(backend, Arena.ofShared()); // shared: backend worker threads touch activations
    }

    /** A scope allocating in {@code arena}, which must not be confined when the backend has several threads. */
    public Ops(Backend backend, Arena arena) {
        this(backend, arena, false, false, null, false, null);
    }

    /**
     * An inference scope, like {@link #Ops(Backend)}, in which models {@link #report} named layer outputs to
     * {@code recorder} (child scopes included).
     */
    public Ops(Backend backend, LayerRecorder recorder) {
        this(backend, Arena.ofShared(), false, false, null, false, java.util.Objects.requireNonNull(recorder, "recorder"));
    }

    private Ops(Backend backend, Arena arena, boolean training, boolean record, java.util.random.RandomGenerator rng,
                boolean updateStatistics, LayerRecorder recorder) {
        this.backend = backend;
        this.arena = arena;
        this.training = training;
        this.rng = rng;
        this.recorder = recorder;
        this.updateStatistics = updateStatistics;
        this.lifetimes = record ? new ActivationLifetimes(backend) : null;
        this.tape = record ? new Tape(new Tape.GradAllocator() {
            // Gradients are bound to no arena, so backward can return each as soon as it is used.
            @Override
            public Tensor zeros(int... shape) {
                return backend.take(true, shape);
            }

            @Override
            public void release(Tensor gradient) {
                backend.release(gradient);
            }

            @Override
            public void fill(Tensor gradient, float value) {
                backend.fill(gradient, value);
            }

            @Override
            public void checkBound(Tensor parameter, Tensor storage) {
                // A GPU backend reads a host tensor as a cached device copy: gradients bound there would be lost.
                if (storage.device() != backend.device() || parameter.device() != backend.device()) {
                    throw new IllegalArgumentException("parameter " + parameter + " with gradient " + storage
                            + " is not where " + backend.name() + " computes (" + backend.device() + "): build the"
                            + " parameters with Parameters.copyOf(source, trainable, backend)");
                }
            }
        }) : null;
    }

    /**
     * A scope for a training step: layers run in training mode (batch statistics, dropout drawn from
     * {@code rng}, or no dropout when it is null) and, when {@code record}, every operation on watched
     * parameters is taped for {@link Tape#backward}.
     */
    public static Ops training(Backend backend, boolean record, java.util.random.RandomGenerator rng) {
        return new Ops(backend, Arena.ofShared(), true, record, rng, true, null);
    }

    /**
     * A scope for evaluating a frozen copy of a model exactly as the policy pass of the same step sees its
     * input (GRPO's old and reference policies): training mode (batch statistics, dropout from {@code rng}),
     * no tape, and batch-norm running statistics left untouched, since a frozen copy must not drift.
     */
    public static Ops frozenTraining(Backend backend, java.util.random.RandomGenerator rng) {
        return new Ops(backend, Arena.ofShared(), true, false, rng, false, null);
    }

    /** The tape recording this scope's operations, or null when gradients are not recorded. */
    public Tape tape() {
        return tape;
    }

    /** Hands a named layer output to this scope's {@link LayerRecorder}, if it has one; returns {@code output}. */
    public Tensor report(String layer, Tensor output, LayerRecorder.Layout layout) {
        if (recorder != null) {
            recorder.record(layer, output, layout);
        }
        return output;
    }

    /** Whether layers run in training mode (batch-norm batch statistics, active dropout). */
    public boolean training() {
        return training;
    }

    /** The tensors a backward step keeps, for {@link #record} (nulls and parameters are allowed). */
    public static Tensor[] saved(Tensor... tensors) {
        return tensors;
    }

    /**
     * When {@code inputs} need gradients, marks {@code out} as computed from them and records
     * {@code step}, which runs during backward with the gradient that reached {@code out} (and not at all
     * when none did). {@code saved} lists every activation the step reads besides that gradient (the
     * gradients of {@code inputs} are fetched by key, not read as tensors): each stays allocated until the
     * step has run, and anything not listed may be freed before it runs. Returns whether it recorded.
     */
    public boolean record(Tensor out, Tensor[] saved, java.util.function.Consumer<Tensor> step, Tensor... inputs) {
        if (tape == null || !tape.anyNeedsGrad(inputs)) {
            return false;
        }
        tape.markComputed(out);
        lifetimes.save(saved);
        tape.record(() -> {
            Tensor dy = tape.existingGrad(out);
            if (dy != null) {
                step.accept(dy);
                tape.release(out);
            }
            lifetimes.unsave(saved);
        });
        return true;
    }

    /**
     * As {@link #record}, for an operation that wrote its result over {@code out}, one of its inputs: the
     * step receives the result's gradient, taken away from the shared memory's key so the input's gradient
     * starts afresh there (exactly as a copying operation's fresh input gradient would).
     */
    private void recordInPlace(Tensor out, Tensor[] saved, java.util.function.Consumer<Tensor> step) {
        tape.markComputed(out);
        lifetimes.save(saved);
        tape.record(() -> {
            Tensor dy = tape.detachGrad(out);
            if (dy != null) {
                step.accept(dy);
                tape.releaseDetached(dy);
            }
            lifetimes.unsave(saved);
        });
    }

    /**
     * Whether an in-place operation on {@code x} may overwrite it while taping: no recorded step has saved
     * it and it is not one of {@code others} (whose old values the operation reads).
     */
    private boolean overwritable(Tensor x, Tensor... others) {
        if (!lifetimes.overwritable(x)) {
            return false;
        }
        for (Tensor o : others) {
            if (lifetimes.sameBlock(x, o)) {
                return false;
            }
        }
        return true;
    }

    /** Whether an operation on {@code inputs} would be taped (in-place variants then copy instead). */
    private boolean taping(Tensor... inputs) {
        return tape != null && tape.anyNeedsGrad(inputs);
    }

    /** The gradient accumulator of {@code t} during backward, or null if it needs none. */
    private Tensor g(Tensor t) {
        return tape.grad(t);
    }

    public Backend backend() {
        return backend;
    }

    public Arena arena() {
        return arena;
    }

    /**
     * {@code host}'s values on the backend's device: {@code host} itself for CPU providers, else a device copy
     * freed with this scope. Model inputs cross to the GPU here, never as operation arguments (a host tensor
     * given to a GPU operation is taken for a parameter and its device copy cached).
     */
    public Tensor upload(Tensor host) {
        if (host.device() == backend.device()) {
            return host;
        }
        Tensor d = empty(host.shape());
        backend.copy(host, d);
        return d;
    }

    /**
     * {@code t}'s values readable on the host: {@code t} itself when it is in host memory, else a host copy in
     * this scope's arena (which waits for the device's queued work).
     */
    public Tensor download(Tensor t) {
        if (t.device() == org.sdd4j.tensor.Device.CPU) {
            return t;
        }
        Tensor h = Tensor.zeros(arena, DType.F32, t.shape());
        backend.copy(t, h);
        return h;
    }

    /**
     * Writes {@code dst} from the host: {@code writer} fills {@code dst} itself when it is in host memory, else a
     * host staging copy that is then copied to the device. For what only the host can produce: audio batches,
     * dropout masks, losses evaluated in double.
     */
    public void writeFromHost(Tensor dst, java.util.function.Consumer<Tensor> writer) {
        if (dst.device() == org.sdd4j.tensor.Device.CPU) {
            writer.accept(dst);
            return;
        }
        try (Arena staging = Arena.ofConfined()) {
            Tensor host = Tensor.zeros(staging, DType.F32, dst.shape());
            writer.accept(host);
            backend.copy(host, dst);
        }
    }

    /** The value of a one-element tensor wherever it lives (a device tensor waits for the queued work). */
    public float scalar(Tensor t) {
        if (t.numel() != 1) {
            throw new IllegalArgumentException("scalar of " + t);
        }
        return download(t).getFloat(0);
    }

    /**
     * A loss evaluated on the host from downloaded logits: a one-element tensor holding {@code value} whose backward
     * adds {@code dLoss * logitGrad} to the gradient of {@code logits}. A batch's few logits are cheaper to evaluate
     * in double on the host than on any device, and so read the same on every backend.
     */
    public Tensor hostLoss(Tensor logits, double value, double[] logitGrad) {
        if (logits.numel() != logitGrad.length) {
            throw new IllegalArgumentException("gradient of " + logitGrad.length + " values for logits " + logits);
        }
        Tensor loss = empty(1);
        writeFromHost(loss, h -> h.setFloat(0, (float) value));
        record(loss, NOTHING, dl -> {
            float up = scalar(dl);
            Tensor dz = g(logits), step = scratch(logits.shape());
            writeFromHost(step, h -> {
                for (int k = 0; k < logitGrad.length; k++) {
                    h.setFloat(k, (float) (up * logitGrad[k]));
                }
            });
            accumulate(dz, step);
            drop(step);
        }, logits);
        return loss;
    }

    /** A zero-filled float32 tensor from the backend's pool, freed (returned to the pool) with this scope. */
    public Tensor zeros(int... shape) {
        return pooled(true, shape);
    }

    /** As {@link #zeros}, without the fill: for outputs an operation overwrites completely. */
    public Tensor empty(int... shape) {
        return pooled(false, shape);
    }

    private Tensor pooled(boolean zero, int... shape) {
        if (lifetimes != null) {
            // Not bound to the arena: the block goes back to the pool when its last holder lets go.
            Tensor t = backend.take(zero, shape);
            lifetimes.add(t);
            tape.allocated(t);
            return t;
        }
        // Bound to this scope's arena: use after close throws, and closing returns the block to the allocator.
        return backend.allocate(arena, zero, shape);
    }

    /** Scratch for a backward step's own use (not an activation, not a key), given back with {@link #drop}. */
    private Tensor scratch(int... shape) {
        return backend.take(false, shape);
    }

    private void drop(Tensor scratch) {
        backend.release(scratch);
    }

    @Override
    public void close() {
        if (tape != null) {
            tape.close();
        }
        if (lifetimes != null) {
            lifetimes.close();
        }
        arena.close();
    }

    /**
     * Runs {@code body} in a child scope and keeps only its result: every intermediate the body
     * allocates is freed when it returns. Layers call this per block so a forward pass holds one
     * block's working set at a time, not every activation of the model.
     */
    public Tensor scoped(java.util.function.Function<Ops, Tensor> body) {
        if (lifetimes != null) {
            lifetimes.enter();
            Tensor r = body.apply(this); // on an exception nothing is freed early: close() frees it all
            lifetimes.exit(r);
            return r;
        }
        if (tape != null || training) {
            return body.apply(this); // backward needs the intermediates; training mode keeps one scope
        }
        try (Ops child = new Ops(backend, Arena.ofShared(), false, false, null, false, recorder)) {
            Tensor r = body.apply(child);
            Tensor kept = empty(r.shape());
            backend.copy(r, kept);
            return kept;
        }
    }

    /** Batch norm with fixed statistics, in place; returns {@code x}. */
    public Tensor batchNormInPlace(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, float eps) {
        if (taping(x, weight, bias)) {
            return batchNorm(x, mean, var, weight, bias, eps);
        }
        requireShape(mean, "batch-norm running_mean", x.dim(1));
        backend.batchNorm(x, mean, var, weight, bias, eps, x);
        return x;
    }

    /**
     * Batch norm in training mode: batch statistics, running statistics updated in place
     * ({@link Backend#batchNormTrain}), taped like every other operation.
     */
    public Tensor batchNormTrain(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                 float momentum, float eps) {
        int c = x.dim(1);
        Tensor out = empty(x.shape()), mean = empty(c), invStd = empty(c);
        // Momentum 0 keeps running = 1 * running + 0 * batch, bit for bit: a frozen scope's statistics stay put.
        backend.batchNormTrain(x, weight, bias, runningMean, runningVar, updateStatistics ? momentum : 0f, eps, out,
                mean, invStd);
        record(out, saved(x, weight, mean, invStd),
                dy -> backend.batchNormBackward(x, weight, mean, invStd, dy, g(x), g(weight), g(bias)), x, weight, bias);
        return out;
    }

    // ---- arithmetic (delegated to the backend) ----

    /** {@code x @ w^T + b} over the last dimension of {@code x}, torch.nn.functional.linear. */
    public Tensor linear(Tensor x, Tensor w, Tensor b) {
        int k = x.dim(-1), n = w.dim(0);
        requireShape(w, "linear weight", n, k);
        if (b != null) {
            requireShape(b, "linear bias", n);
        }
        int[] s = x.shape();
        s[s.length - 1] = n;
        Tensor out = empty(s);
        int m = (int) (x.numel() / k);
        backend.linear(x, w, b, out, m, n, k);
        record(out, saved(x, w), dy -> backend.linearBackward(x, w, dy, g(x), g(w), g(b), m, n, k), x, w, b);
        return out;
    }

    /** Batched matrix product of {@code [B, M, K]} and {@code [B, K, N]} (or {@code [B, N, K]} if transB). */
    public Tensor matmul(Tensor a, Tensor b, boolean transB) {
        int batch = a.dim(0), m = a.dim(1), k = a.dim(2);
        int n = transB ? b.dim(1) : b.dim(2);
        if (b.dim(0) != batch || (transB ? b.dim(2) : b.dim(1)) != k) {
            throw new IllegalArgumentException("matmul shapes " + Arrays.toString(a.shape()) + " and "
                    + Arrays.toString(b.shape()) + (transB ? "^T" : ""));
        }
        Tensor out = empty(batch, m, n);
        backend.batchedMatmul(a, b, transB, out, batch, m, n, k);
        record(out, saved(a, b), dy -> backend.batchedMatmulBackward(a, b, transB, dy, g(a), g(b), batch, m, n, k), a,
                b);
        return out;
    }

    public Tensor conv1d(Tensor x, Tensor w, Tensor b, int stride, int padding, int groups) {
        int cin = x.dim(1), cout = w.dim(0), kw = w.dim(2);
        if (w.dim(1) * groups != cin || cout % groups != 0) {
            throw new IllegalArgumentException("conv1d weight " + Arrays.toString(w.shape()) + " does not fit input "
                    + Arrays.toString(x.shape()) + " with groups=" + groups);
        }
        int lout = (x.dim(2) + 2 * padding - kw) / stride + 1;
        Tensor out = empty(x.dim(0), cout, lout);
        backend.conv1d(x, w, b, stride, padding, groups, out);
        record(out, saved(x, w), dy -> backend.conv1dBackward(x, w, dy, stride, padding, groups, g(x), g(w), g(b)), x,
                w, b);
        return out;
    }

    public Tensor conv2d(Tensor x, Tensor w, Tensor b, int strideH, int strideW, int padH, int padW, int groups) {
        int cin = x.dim(1), cout = w.dim(0);
        if (w.dim(1) * groups != cin || cout % groups != 0) {
            throw new IllegalArgumentException("conv2d weight " + Arrays.toString(w.shape()) + " does not fit input "
                    + Arrays.toString(x.shape()) + " with groups=" + groups);
        }
        int hout = (x.dim(2) + 2 * padH - w.dim(2)) / strideH + 1;
        int wout = (x.dim(3) + 2 * padW - w.dim(3)) / strideW + 1;
        Tensor out = empty(x.dim(0), cout, hout, wout);
        backend.conv2d(x, w, b, strideH, strideW, padH, padW, groups, out);
        record(out, saved(x, w),
                dy -> backend.conv2dBackward(x, w, dy, strideH, strideW, padH, padW, groups, g(x), g(w), g(b)), x, w, b);
        return out;
    }

    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Tensor out = empty(x.shape());
        backend.layerNorm(x, weight, bias, eps, out);
        record(out, saved(x, weight), dy -> backend.layerNormBackward(x, weight, eps, dy, g(x), g(weight), g(bias)), x,
                weight, bias);
        return out;
    }

    /** Layer norm over the channels of {@code [B, C, L]} (see {@link Backend#layerNormChannels}). */
    public Tensor layerNormChannels(Tensor x, Tensor weight, Tensor bias, float eps) {
        requireShape(weight, "channel layer-norm weight", x.dim(1));
        Tensor out = empty(x.shape());
        backend.layerNormChannels(x, weight, bias, eps, out);
        record(out, saved(x, weight),
                dy -> backend.layerNormChannelsBackward(x, weight, eps, dy, g(x), g(weight), g(bias)), x, weight, bias);
        return out;
    }

    public Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps) {
        Tensor out = empty(x.shape());
        backend.groupNorm(x, groups, weight, bias, eps, out);
        record(out, saved(x, weight),
                dy -> backend.groupNormBackward(x, groups, weight, eps, dy, g(x), g(weight), g(bias)), x, weight, bias);
        return out;
    }

    public Tensor batchNorm(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, float eps) {
        requireShape(mean, "batch-norm running_mean", x.dim(1));
        Tensor out = empty(x.shape());
        backend.batchNorm(x, mean, var, weight, bias, eps, out);
        record(out, saved(x, mean, var, weight),
                dy -> backend.batchNormEvalBackward(x, mean, var, weight, eps, dy, g(x), g(weight), g(bias)), x,
                weight, bias);
        return out;
    }

    public Tensor softmax(Tensor x) {
        Tensor out = empty(x.shape());
        backend.softmax(x, out);
        record(out, saved(out), dy -> backend.softmaxBackward(out, dy, g(x)), x);
        return out;
    }

    public Tensor act(Activation f, Tensor x) {
        Tensor out = empty(x.shape());
        backend.activation(f, x, out);
        // Sigmoid and tanh differentiate from their output (the CPU backend's vector path), the rest from x.
        boolean fromOutput = f == Activation.SIGMOID || f == Activation.TANH;
        record(out, fromOutput ? saved(x, out) : saved(x),
                dy -> backend.activationBackward(f, x, fromOutput ? out : null, dy, g(x)), x);
        return out;
    }

    /** Applies {@code f} in place and returns {@code x} (a new tensor when taping: backward needs x). */
    public Tensor actInPlace(Activation f, Tensor x) {
        if (taping(x)) {
            return act(f, x);
        }
        backend.activation(f, x, x);
        return x;
    }

    /** {@code a + b} with {@code b} broadcast over leading dimensions. */
    public Tensor add(Tensor a, Tensor b) {
        checkBroadcast(a, b);
        Tensor out = empty(a.shape());
        backend.add(a, b, out);
        record(out, NOTHING, dy -> {
            accumulate(g(a), dy);
            accumulateBroadcast(g(b), dy);
        }, a, b);
        return out;
    }

    /**
     * {@code a += b} in place; returns {@code a}. While taping it stays in place when no backward step needs
     * {@code a}'s old values (the sum's backward reads none), and is a copy otherwise.
     */
    public Tensor addInPlace(Tensor a, Tensor b) {
        if (taping(a, b)) {
            if (!overwritable(a, b)) {
                return add(a, b);
            }
            checkBroadcast(a, b);
            boolean aNeedsGrad = tape.needsGrad(a);
            backend.add(a, b, a);
            recordInPlace(a, NOTHING, dy -> {
                if (aNeedsGrad) {
                    accumulate(g(a), dy);
                }
                accumulateBroadcast(g(b), dy);
            });
            return a;
        }
        checkBroadcast(a, b);
        backend.add(a, b, a);
        return a;
    }

    public Tensor maxPool2d(Tensor x, int kh, int kw) {
        Tensor out = empty(x.dim(0), x.dim(1), x.dim(2) / kh, x.dim(3) / kw);
        backend.maxPool2d(x, kh, kw, out);
        record(out, saved(x), dy -> backend.maxPool2dBackward(x, kh, kw, dy, g(x)), x);
        return out;
    }

    // ---- layout glue ----

    /** A contiguous copy with dimensions {@code d0} and {@code d1} swapped. */
    public Tensor transpose(Tensor x, int d0, int d1) {
        int r = x.rank();
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[norm(d0, r)] = norm(d1, r);
        perm[norm(d1, r)] = norm(d0, r);
        return permute(x, perm);
    }

    /** A contiguous copy whose dimension {@code i} is input dimension {@code perm[i]}. */
    public Tensor permute(Tensor x, int... perm) {
        Tensor out = permuteCopy(x, perm, false);
        record(out, NOTHING, dy -> {
            int[] inverse = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                inverse[perm[i]] = i;
            }
            Tensor back = permuteCopy(dy, inverse, true);
            accumulate(g(x), back);
            drop(back);
        }, x);
        return out;
    }

    /** @param scratch whether the copy is backward scratch (then given back with {@link #drop}) */
    private Tensor permuteCopy(Tensor x, int[] perm, boolean scratch) {
        int r = x.rank();
        int[] os = new int[r];
        for (int i = 0; i < r; i++) {
            os[i] = x.dim(perm[i]);
        }
        Tensor out = scratch ? scratch(os) : empty(os);
        backend.permute(x, perm, out);
        return out;
    }

    /** Max over dimension {@code dim} (dropped), optionally of |x|. */
    public Tensor max(Tensor x, int dim, boolean abs) {
        return reduce(x, dim, abs ? Reduction.MAX_ABS : Reduction.MAX);
    }

    /** Mean over dimension {@code dim} (dropped). */
    public Tensor mean(Tensor x, int dim) {
        return reduce(x, dim, Reduction.MEAN);
    }

    /** Element-wise maximum of two tensors of the same shape; a tie splits the gradient, as torch does. */
    public Tensor maximum(Tensor a, Tensor b) {
        requireShape(b, "maximum operand", a.shape());
        Tensor out = empty(a.shape());
        backend.maximum(a, b, out);
        record(out, saved(a, b), dy -> backend.maximumBackward(a, b, dy, g(a), g(b)), a, b);
        return out;
    }

    /** Element-wise product with {@code b} broadcast over leading dimensions. */
    public Tensor mul(Tensor a, Tensor b) {
        checkBroadcast(a, b);
        Tensor out = empty(a.shape());
        long m = b.numel();
        backend.mul(a, b, a.numel() / m, m, out);
        record(out, saved(a, b), dy -> backend.mulBackward(a, b, dy, a.numel() / m, m, g(a), g(b)), a, b);
        return out;
    }

    /** {@code x * s}. */
    public Tensor scale(Tensor x, float s) {
        Tensor out = empty(x.shape());
        backend.scale(x, s, false, out, false);
        record(out, NOTHING, dy -> scaleBackward(g(x), dy, s), x);
        return out;
    }

    /** {@code x / s}: division, not multiplication by 1/s, to round as the references do. */
    public Tensor divide(Tensor x, float s) {
        Tensor out = empty(x.shape());
        backend.scale(x, s, true, out, false);
        record(out, NOTHING, dy -> backend.scale(dy, s, true, g(x), true), x);
        return out;
    }

    private void scaleBackward(Tensor dx, Tensor dy, float s) {
        backend.scale(dy, s, false, dx, true);
    }

    /**
     * {@code x * s} in place; returns {@code x}. While taping it stays in place unless a backward step needs
     * {@code x}'s old values (the product's backward reads none).
     */
    public Tensor scaleInPlace(Tensor x, float s) {
        if (taping(x)) {
            if (!overwritable(x)) {
                return scale(x, s);
            }
            backend.scale(x, s, false, x, false);
            recordInPlace(x, NOTHING, dy -> scaleBackward(g(x), dy, s));
            return x;
        }
        backend.scale(x, s, false, x, false);
        return x;
    }

    /**
     * Inverted dropout (torch semantics): in training mode zeroes each element with probability {@code p}
     * and scales the rest by {@code 1 / (1 - p)}; the identity in inference, when {@code p == 0}, or in a
     * training scope made without a random generator (gradient checks run that way).
     */
    public Tensor dropout(Tensor x, double p) {
        if (!training || p <= 0 || rng == null) {
            return x;
        }
        float keep = (float) (1.0 / (1.0 - p));
        long n = x.numel();
        // One byte per element (kept or not), a quarter of a float mask, drawn here on the host so that every
        // backend drops the same elements for one seed; a GPU backend gets it uploaded.
        Tensor mask = empty((int) ((n + 3) / 4)), out = empty(x.shape());
        writeFromHost(mask, drawn -> {
            MemorySegment bits = drawn.data();
            for (long i = 0; i < n; i++) {
                bits.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (rng.nextDouble() < p ? 0 : 1));
            }
        });
        backend.dropout(x, mask, keep, out);
        record(out, saved(mask), dy -> backend.dropoutBackward(mask, keep, dy, g(x)), x);
        return out;
    }

    /** Concatenation along dimension {@code dim}. */
    public Tensor concat(int dim, Tensor... parts) {
        int r = parts[0].rank();
        int d = norm(dim, r);
        int[] s = parts[0].shape();
        int total = 0;
        for (Tensor p : parts) {
            total += p.dim(d);
        }
        s[d] = total;
        Tensor out = empty(s);
        long outer = 1;
        for (int i = 0; i < d; i++) {
            outer *= s[i];
        }
        long inner = out.numel() / outer / total;
        long at = 0;
        for (Tensor p : parts) {
            long chunk = p.dim(d) * inner;
            backend.copyBlocks(p, 0, chunk, out, at, total * inner, outer, chunk, false);
            at += chunk;
        }
        record(out, NOTHING, dy -> {
            int from = 0;
            for (Tensor p : parts) {
                Tensor dp = g(p);
                if (dp != null) {
                    Tensor piece = narrowCopy(dy, d, from, p.dim(d), true);
                    accumulate(dp, piece);
                    drop(piece);
                }
                from += p.dim(d);
            }
        }, parts);
        return out;
    }

    /** A contiguous copy of entries [from, from + len) along dimension {@code dim}. */
    public Tensor narrow(Tensor x, int dim, int from, int len) {
        int d = norm(dim, x.rank());
        Tensor out = narrowCopy(x, d, from, len, false);
        record(out, NOTHING, dy -> {
            // Scatter dy back into the narrowed range of dx.
            Tensor dx = g(x);
            int full = x.dim(d);
            long outer = 1;
            for (int i = 0; i < d; i++) {
                outer *= x.dim(i);
            }
            long inner = x.numel() / outer / full;
            backend.copyBlocks(dy, 0, len * inner, dx, from * inner, full * inner, outer, len * inner, true);
        }, x);
        return out;
    }

    /** @param scratch whether the copy is backward scratch (then given back with {@link #drop}) */
    private Tensor narrowCopy(Tensor x, int d, int from, int len, boolean scratch) {
        int[] s = x.shape();
        int full = s[d];
        s[d] = len;
        Tensor out = scratch ? scratch(s) : empty(s);
        long outer = 1;
        for (int i = 0; i < d; i++) {
            outer *= s[i];
        }
        long inner = x.numel() / outer / full;
        backend.copyBlocks(x, from * inner, full * inner, out, 0, len * inner, outer, len * inner, false);
        return out;
    }

    private Tensor reduce(Tensor x, int dim, Reduction kind) {
        int r = x.rank();
        int d = norm(dim, r);
        int[] in = x.shape();
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) {
            outer *= in[i];
        }
        for (int i = d + 1; i < r; i++) {
            inner *= in[i];
        }
        int len = in[d];
        int[] os = new int[r - 1];
        for (int i = 0, j = 0; i < r; i++) {
            if (i != d) {
                os[j++] = in[i];
            }
        }
        Tensor out = empty(os);
        backend.reduce(kind, x, outer, len, inner, out);
        final long outerF = outer, innerF = inner;
        record(out, kind == Reduction.MEAN ? NOTHING : saved(x),
                dy -> backend.reduceBackward(kind, x, dy, outerF, len, innerF, g(x)), x);
        return out;
    }

    /** {@code dst += src} (same element count); no-op when {@code dst} is null. */
    private void accumulate(Tensor dst, Tensor src) {
        if (dst != null) {
            backend.add(dst, src, dst);
        }
    }

    /** {@code dst += src} summed over the leading dimensions {@code dst} was broadcast across. */
    private void accumulateBroadcast(Tensor dst, Tensor src) {
        if (dst != null) {
            backend.sumBroadcast(src, dst);
        }
    }

    static long[] strides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    private static int norm(int d, int rank) {
        return d < 0 ? d + rank : d;
    }

    private static void checkBroadcast(Tensor a, Tensor b) {
        if (b.numel() == 0 || a.numel() % b.numel() != 0) {
            throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(b.shape()) + " over "
                    + Arrays.toString(a.shape()));
        }
    }

    /** Throws unless {@code t} has exactly {@code shape}. */
    public static void requireShape(Tensor t, String what, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(what + " has shape " + Arrays.toString(t.shape()) + ", expected "
                    + Arrays.toString(shape));
        }
    }
}
