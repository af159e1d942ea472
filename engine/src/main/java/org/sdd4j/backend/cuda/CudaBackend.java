package org.sdd4j.backend.cuda;

import org.sdd4j.backend.Activation;
import org.sdd4j.nativelib.CudaLibraries;
import org.sdd4j.tensor.Tensor;

import static org.sdd4j.backend.cuda.CudaKernels.Ptr;

/**
 * The GPU backend in the making: GPU 0's context and stream, a caching device allocator, and sdd4j's own
 * kernels for the op families the CPU backend computes with its own code (activations, softmax, layer and
 * group norm, the cross-entropy and GRPO losses, the fused Adam/AdamW step), on device buffers.
 *
 * <p><b>Not selectable by users.</b> It does not implement {@link org.sdd4j.backend.Backend} yet: matrix
 * products (cuBLASLt) and convolutions (cuDNN) are not wired, and {@link Tensor} has no device-memory form,
 * so the model code cannot run on it. Until it covers every op the models need it is used only by the GPU
 * tests, which hold each kernel to {@link org.sdd4j.backend.ReferenceBackend}.
 *
 * <p>Every method queues work on the one stream and returns; {@link #download} waits for it.
 * Gradient outputs accumulate ({@code +=}) as in {@link org.sdd4j.backend.Backend}; null gradient buffers
 * mean "not wanted".
 */
public final class CudaBackend implements AutoCloseable {
    private static final int BLOCK = 256;

    private final CudaContext context;
    private final DeviceMemory memory;
    private final CudaKernels kernels;
    private final int elementwiseGridCap;

    /**
     * Opens GPU 0 and loads the kernels.
     *
     * @throws IllegalStateException naming the reason when no usable GPU or no kernels fatbin is present
     */
    public CudaBackend() {
        this.context = CudaContext.open();
        this.memory = new DeviceMemory(context);
        this.kernels = new CudaKernels(context);
        // 32 resident blocks of 256 threads per SM saturate memory bandwidth for grid-stride loops.
        this.elementwiseGridCap = 32 * CudaLibraries.probe().devices().getFirst().multiprocessors();
    }

    public DeviceMemory memory() {
        return memory;
    }

    public CudaContext context() {
        return context;
    }

    // ---- host <-> device ----

    /** A device copy of a float32 host tensor. */
    public DeviceBuffer upload(Tensor host) {
        long bytes = host.numel() * 4;
        DeviceBuffer b = memory.take(bytes);
        context.upload(host.data(), b.address(), bytes);
        return b;
    }

    /** A device copy of host ints (labels, sampled actions). */
    public DeviceBuffer upload(int[] values) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment host = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, values);
            DeviceBuffer b = memory.take(Math.max(4, host.byteSize()));
            context.upload(host, b.address(), host.byteSize());
            return b;
        }
    }

    /** A zero-filled device buffer of {@code count} floats. */
    public DeviceBuffer zeros(long count) {
        DeviceBuffer b = memory.take(Math.max(4, count * 4));
        context.fill32(b.address(), 0, count);
        return b;
    }

    /** Waits for the stream, then copies {@code host.numel()} floats from {@code device} into {@code host}. */
    public void download(DeviceBuffer device, Tensor host) {
        context.download(device.address(), host.data(), host.numel() * 4);
    }

    public void free(DeviceBuffer b) {
        if (b != null) {
            memory.give(b);
        }
    }

    // ---- kernels ----

    private int elementwiseGrid(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, elementwiseGridCap));
    }

    private static Ptr p(DeviceBuffer b) {
        return b == null ? Ptr.NULL : new Ptr(b.address());
    }

    public void activation(Activation f, DeviceBuffer x, DeviceBuffer y, long n) {
        kernels.launch("activation_forward", elementwiseGrid(n), BLOCK, f.ordinal(), p(x), p(y), n);
    }

    public void activationBackward(Activation f, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx,
                                   long n) {
        kernels.launch("activation_backward", elementwiseGrid(n), BLOCK, f.ordinal(), p(x), p(y), p(dy), p(dx), n);
    }

    public void softmax(DeviceBuffer x, DeviceBuffer y, int rows, int d) {
        kernels.launch("softmax_forward", rows, BLOCK, p(x), p(y), rows, d);
    }

    public void softmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int d) {
        kernels.launch("softmax_backward", rows, BLOCK, p(y), p(dy), p(dx), rows, d);
    }

    /** Layer norm over the last dimension {@code d}; weight null means no affine. */
    public void layerNorm(DeviceBuffer x, DeviceBuffer w, DeviceBuffer b, DeviceBuffer y, int rows, int d, float eps) {
        kernels.launch("layernorm_forward", rows, BLOCK, p(x), p(w), p(b), p(y), rows, d, eps);
    }

    public void layerNormBackward(DeviceBuffer x, DeviceBuffer w, DeviceBuffer dy, DeviceBuffer dx, DeviceBuffer dw,
                                  DeviceBuffer db, int rows, int d, float eps) {
        DeviceBuffer stats = memory.take(8L * rows);
        kernels.launch("layernorm_backward_input", rows, BLOCK, p(x), p(w), p(dy), p(dx), p(stats), rows, d, eps);
        if (w != null && (dw != null || db != null)) { // without a weight the forward has no affine at all
            kernels.launch("layernorm_backward_params", (d + BLOCK - 1) / BLOCK, BLOCK, p(x), p(dy), p(stats), p(dw),
                    p(db), rows, d);
        }
        memory.give(stats); // stream-ordered: later work on this stream runs after the kernels above
    }

    public void groupNorm(DeviceBuffer x, int groups, DeviceBuffer w, DeviceBuffer b, DeviceBuffer y, int batch,
                          int channels, long len, float eps) {
        kernels.launch("groupnorm_forward", batch * groups, BLOCK, p(x), p(w), p(b), p(y), batch, channels, len, groups,
                eps);
    }

    public void groupNormBackward(DeviceBuffer x, int groups, DeviceBuffer w, DeviceBuffer dy, DeviceBuffer dx,
                                  DeviceBuffer dw, DeviceBuffer db, int batch, int channels, long len, float eps) {
        DeviceBuffer stats = memory.take(8L * batch * groups);
        kernels.launch("groupnorm_backward_input", batch * groups, BLOCK, p(x), p(w), p(dy), p(dx), p(stats), batch,
                channels, len, groups, eps);
        if (dw != null || db != null) {
            kernels.launch("groupnorm_backward_params", channels, BLOCK, p(x), p(dy), p(stats), p(dw), p(db), batch,
                    channels, len, groups);
        }
        memory.give(stats);
    }

    /** Weighted cross-entropy, mean reduction, into {@code loss[0]}; classWeights may be null. */
    public void crossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer classWeights, DeviceBuffer loss,
                             int batch, int classes) {
        kernels.launch("cross_entropy_forward", 1, BLOCK, p(logits), p(labels), p(classWeights), p(loss), batch, classes);
    }

    public void crossEntropyBackward(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer classWeights,
                                     DeviceBuffer dloss, DeviceBuffer dlogits, int batch, int classes) {
        kernels.launch("cross_entropy_backward", 1, BLOCK, p(logits), p(labels), p(classWeights), p(dloss), p(dlogits),
                batch, classes);
    }

    /** The GRPO loss of DESIGN.md section 4 over B utterances with G sampled actions each. */
    public void grpoLoss(DeviceBuffer logits, DeviceBuffer actions, DeviceBuffer logpOld, DeviceBuffer logpRef,
                         DeviceBuffer advantage, DeviceBuffer loss, int batch, int group, int classes, float eps,
                         float beta) {
        kernels.launch("grpo_loss_forward", 1, BLOCK, p(logits), p(actions), p(logpOld), p(logpRef), p(advantage),
                p(loss), batch, group, classes, eps, beta);
    }

    public void grpoLossBackward(DeviceBuffer logits, DeviceBuffer actions, DeviceBuffer logpOld, DeviceBuffer logpRef,
                                 DeviceBuffer advantage, DeviceBuffer dloss, DeviceBuffer dlogits, int batch, int group,
                                 int classes, float eps, float beta) {
        kernels.launch("grpo_loss_backward", 1, BLOCK, p(logits), p(actions), p(logpOld), p(logpRef), p(advantage),
                p(dloss), p(dlogits), batch, group, classes, eps, beta);
    }

    /**
     * One Adam/AdamW step over a parameter of {@code n} floats at step {@code t} (1-based), with the scalars
     * formed exactly as {@link org.sdd4j.train.Adam#step} forms them.
     */
    public void adamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long n,
                         org.sdd4j.train.Adam.Config config, double lr, long t) {
        double bc1 = 1 - Math.pow(config.beta1(), t);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(config.beta2(), t));
        kernels.launch("adam_step", elementwiseGrid(n), BLOCK, p(param), p(grad), p(m), p(v), n,
                config.variant() == org.sdd4j.train.Adam.Variant.ADAMW ? 1 : 0, (float) config.beta1(),
                (float) config.beta2(), (float) (1 - config.beta1()), (float) (1 - config.beta2()), (float) config.eps(),
                (float) config.weightDecay(), (float) (1 - lr * config.weightDecay()), (float) (lr / bc1), bc2Sqrt);
    }

    @Override
    public void close() {
        context.synchronize();
        kernels.close();
        memory.close();
        context.close();
    }
}
