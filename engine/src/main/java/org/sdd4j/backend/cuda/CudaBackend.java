package org.sdd4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.Backend;
import org.sdd4j.backend.Reduction;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Device;
import org.sdd4j.tensor.MemoryPool;
import org.sdd4j.tensor.Tensor;

import static org.sdd4j.backend.cuda.CudaKernels.Ptr;

/**
 * The GPU backend: GPU 0's context and stream, a caching device allocator, cuBLASLt for every matrix
 * product (linear layers with the bias fused as an epilogue, batched products, and the GEMMs of the
 * convolutions), and sdd4j's own kernels (kernels/*.cu) for everything else, forward and backward.
 *
 * <p><b>Convolutions</b> are im2col + cuBLASLt GEMM (+ col2im for the input gradient), not cuDNN: one code
 * path serves 1-D and 2-D, strides, padding and groups in forward and both backward passes, with a fixed
 * summation order; it needs no per-shape descriptor, algorithm search or workspace negotiation, each a
 * failure mode that could only be found on a GPU, and the column buffer of the largest layer sdd4j runs
 * (the wav2vec 2.0 positional convolution, ~110 MB) fits easily. cuDNN's bindings stay for a later,
 * measured replacement of the hottest convolutions.
 *
 * <p><b>Tensors.</b> Activations live on the GPU: {@link #allocate} hands out {@link Tensor#onDevice}
 * tensors from the caching allocator. Host tensors passed to an operation are taken to be <em>parameters</em>
 * (checkpoint weights): each is uploaded once and the device copy reused while its host memory stays the
 * same block (keyed by address and size); {@link #forgetParameterCopies()} drops them after the host
 * values change (an optimiser step). Outputs and gradient targets must be device tensors: a host one is refused
 * by name, since the kernel would write only its cached copy (batch norm's running statistics are the one host
 * output, copied back on purpose). {@link #toDevice}/{@link #toHost} copy explicitly, through pinned staging memory.
 *
 * <p><b>Precision.</b> float32 throughout. {@code -Dsdd4j.cuda.precision=tf32|bf16} ({@link MatmulPrecision}, or
 * the constructor argument) lets cuBLASLt round matrix-product inputs to TF32 or bfloat16 on tensor cores; see
 * {@link #TF32_PROPERTY} for the
 * tolerances the tests hold it to.
 *
 * <p><b>Scope.</b> Scoring and training run end to end on the GPU ({@link #NOT_ON_GPU} is empty). To train,
 * build the {@link org.sdd4j.train.Parameters} on this backend: weights, gradients and Adam's moments then live
 * in device memory, and a taping scope keeps activations and gradients there too ({@link #take}). The host
 * draws dropout masks (so every backend drops the same elements for one seed), evaluates the loss in double
 * from the batch's downloaded logits, and ranks graph-pool scores.
 *
 * <p>Every method queues work on the one stream and returns; copies to the host wait for it. Gradient
 * outputs accumulate ({@code +=}) as {@link Backend} specifies; null gradient targets mean "not wanted".
 */
public final class CudaBackend implements Backend {
    /**
     * {@code -Dsdd4j.cuda.tf32=true} enables TF32 matrix products (as {@code -Dsdd4j.cuda.precision=tf32} does;
     * {@link MatmulPrecision}). Documented tolerances (relative L2 error against
     * {@link org.sdd4j.backend.ReferenceBackend}): float32 1e-5 for products and convolutions; TF32 3e-3 (inputs
     * rounded to 10 mantissa bits, ~5e-4 per element, growing with sqrt(K); measured 3.0e-4 at K = 512); bfloat16
     * 1.2e-2 (7 mantissa bits; measured 2.3e-3). Model logits: within 2e-4 absolute in float32 (DESIGN.md's
     * parity target, held by CudaModelParityTest), {@code 0.1 * max(1, |logit|)} in TF32 and
     * {@code 0.25 * max(1, |logit|)} in bfloat16. Those bounds are measured on the host kernel emulator, which
     * rounds both inputs of every product as tensor cores do. TF32 moved AASIST's logits by up to 0.002, AASIST-L's
     * by 0.013 and the mini AntiDeepfake's by 5e-4, but the mini SSL-AASIST's by 0.072. bfloat16 moved them by
     * 0.011, 0.033, 0.0016 and 0.083. The mini SSL-AASIST's random-weight back end amplifies the rounding of
     * activations (rounding only its weights to TF32 moves it by 0.002, 1% input noise by 3e-4). The first guess for
     * TF32, 2e-2, was too tight; the GPU run reports the hardware's own worst case.
     */
    public static final String TF32_PROPERTY = "sdd4j.cuda.tf32";

    /**
     * What still runs on the host. Empty: every {@link Backend} operation, the layout and graph glue (graph
     * pools' top-k included) and every backward step, runs on the GPU, so AASIST, AASIST-L, SSL-AASIST,
     * AntiDeepfake and the layer-fusion head score and train end to end on device tensors. Scoring copies the
     * input up and the logits down, one synchronising copy per forward pass; a training step also downloads its
     * logits to evaluate the loss and uploads dropout masks. {@link org.sdd4j.backend.Backends} chooses CUDA by
     * default when this is empty, a GPU is usable and the backend is {@link #VERIFIED_ON_HARDWARE}.
     */
    public static final java.util.List<String> NOT_ON_GPU = java.util.List.of();

    /**
     * Whether this backend has passed its GPU test suite (op parity and model parity, benchmarks/gpu/run.sh) on
     * GPU hardware. Until it has, its code has run only on the host kernel emulator (kernels/host, where the same
     * suite passes in every build), not through the driver, cuBLASLt or a real GPU, so
     * {@link org.sdd4j.backend.Backends} does not choose it by default: {@code -Dsdd4j.backend=cuda} opts in. Set
     * to true in the commit that records a passing run.
     */
    public static final boolean VERIFIED_ON_HARDWARE = false;

    private static final int BLOCK = Launcher.BLOCK;

    private final GpuRuntime gpu;
    private final DeviceMemory memory;
    private final MemoryPool hostMemory = new MemoryPool();
    private final Map<ParameterKey, DeviceBuffer> parameters = new HashMap<>();
    private final Launcher launcher;
    private final CudaConvolutions convolutions;
    private final CudaGraphGlue graphs;

    private record ParameterKey(long address, long bytes) {
    }

    /**
     * Opens GPU 0 and loads the kernels, with the products' precision the system properties name
     * ({@link MatmulPrecision#fromProperties}: float32 unless asked).
     *
     * @throws IllegalStateException naming the reason when no usable GPU or no kernels fatbin is present
     */
    public CudaBackend() {
        this(MatmulPrecision.fromProperties());
    }

    /** Opens GPU 0 with matrix products in {@code precision} (see {@link #TF32_PROPERTY} for the tolerances). */
    public CudaBackend(MatmulPrecision precision) {
        this(new DriverRuntime(precision));
    }

    /** This backend on {@code gpu}, which it then owns (the tests pass the kernel emulator). */
    CudaBackend(GpuRuntime gpu) {
        this.gpu = gpu;
        this.memory = new DeviceMemory(gpu);
        this.launcher = new Launcher(gpu, memory, this::addr);
        this.convolutions = new CudaConvolutions(launcher);
        this.graphs = new CudaGraphGlue(launcher);
    }

    @Override
    public String name() {
        return "cuda (" + gpu.deviceName() + ", " + gpu.precision().label() + ")";
    }

    /** One host thread queues all work; the parallelism is the GPU's. */
    @Override
    public int threads() {
        return 1;
    }

    /** Host scratch memory (gradient buffers of host-side code); activations come from {@link #allocate}. */
    @Override
    public MemoryPool memory() {
        return hostMemory;
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    /** The device allocator's peaks: activations, gradients, and (when training) weights and optimiser state. */
    @Override
    public String memoryPeaks() {
        return memory.peaks();
    }

    /** A device tensor from the caching allocator, given back when {@code arena} closes. */
    @Override
    public Tensor allocate(Arena arena, boolean zero, int... shape) {
        Tensor t = take(zero, shape);
        // Given back in stream order: work queued before the close still runs before any reuse.
        return Tensor.onDevice(t.data().reinterpret(arena, s -> release(t)), DType.F32, shape);
    }

    /** A device tensor from the caching allocator, bound to no arena: {@link #release} gives it back. */
    @Override
    public Tensor take(boolean zero, int... shape) {
        long count = Tensor.numel(shape);
        DeviceBuffer b = memory.take(Math.max(4, count * 4));
        if (zero) {
            gpu.fill32(b.address(), 0, count);
        }
        return Tensor.onDevice(MemorySegment.ofAddress(b.address()).reinterpret(Math.max(4, count * 4)), DType.F32,
                shape);
    }

    @Override
    public void release(Tensor taken) {
        memory.give(taken.data().address());
    }

    @Override
    public void fill(Tensor t, float value) {
        writes("fill", t);
        gpu.fill32(addr(t), Float.floatToRawIntBits(value), t.numel());
    }

    /** Copies {@code src} into {@code dst} (equal element counts), whichever sides they are on. */
    @Override
    public void copy(Tensor src, Tensor dst) {
        long bytes = src.numel() * 4;
        if (src.numel() != dst.numel()) {
            throw new IllegalArgumentException("copy " + src + " into " + dst);
        }
        if (src.device() == Device.CUDA && dst.device() == Device.CUDA) {
            gpu.copy(addr(dst), addr(src), bytes);
        } else if (dst.device() == Device.CUDA) {
            gpu.upload(src.data(), addr(dst), bytes);
        } else if (src.device() == Device.CUDA) {
            gpu.download(addr(src), dst.data(), bytes);
        } else {
            dst.copyFrom(src);
        }
    }

    /** A device copy of a float32 host tensor, freed when {@code arena} closes. */
    public Tensor toDevice(Tensor host, Arena arena) {
        Tensor d = allocate(arena, false, host.shape());
        copy(host, d);
        return d;
    }

    /** Waits for the stream, then copies a device tensor into a new host tensor of {@code arena}. */
    public Tensor toHost(Tensor device, Arena arena) {
        Tensor h = Tensor.zeros(arena, device.shape());
        copy(device, h);
        return h;
    }

    /** Drops the device copies of host parameters (call after changing their host values). */
    public synchronized void forgetParameterCopies() {
        parameters.values().forEach(memory::give);
        parameters.clear();
    }

    /** The device address of a tensor's elements: its own when on the GPU, its cached parameter copy otherwise. */
    private long addr(Tensor t) {
        if (t == null) {
            return 0;
        }
        if (t.device() == Device.CUDA) {
            return t.data().address();
        }
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException("the CUDA backend computes in float32; got " + t);
        }
        synchronized (this) {
            ParameterKey key = new ParameterKey(t.data().address(), t.data().byteSize());
            DeviceBuffer b = parameters.get(key);
            if (b == null) {
                b = memory.take(Math.max(4, key.bytes()));
                gpu.upload(t.data(), b.address(), key.bytes());
                parameters.put(key, b);
            }
            return b.address();
        }
    }

    /**
     * Refuses host tensors as outputs of {@code op}. A host tensor passed to this backend is read as a parameter,
     * through a cached device copy, so writing it would change only the copy and the host would never see the
     * result: outputs and gradients come from {@link #allocate}/{@link #take} (or device {@link
     * org.sdd4j.train.Parameters}). Null outputs mean "not wanted" and pass.
     */
    private static void writes(String op, Tensor... outputs) {
        for (Tensor t : outputs) {
            if (t != null && t.device() != Device.CUDA) {
                throw new IllegalArgumentException("CUDA backend: " + op + " would write " + t + ", which is in host"
                        + " memory; the GPU writes device tensors only (Backend.allocate/take, or Parameters built on"
                        + " this backend)");
            }
        }
    }

    private Ptr p(Tensor t) {
        return launcher.p(t);
    }

    private Ptr p(Tensor t, long floatOffset) {
        return launcher.p(t, floatOffset);
    }

    /** The device allocator (the tests take raw buffers from it). */
    public DeviceMemory deviceMemory() {
        return memory;
    }

    /**
     * Records the GPU work {@code body} queues into a {@link CudaGraph}, running none of it. The body must stay on
     * the device: a copy to or from the host, or a wait, fails the capture (run the body once eagerly first, so
     * that parameters are uploaded and per-model caches filled). Tensors it allocates in scopes that outlive the
     * graph (its input and output) stay the graph's; those it frees are withdrawn from the allocator's cache.
     */
    public CudaGraph capture(Runnable body) {
        gpu.synchronize();
        memory.beginReservation();
        gpu.beginCapture();
        long handle;
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            try {
                gpu.destroyGraph(gpu.endCapture());
            } catch (RuntimeException second) {
                e.addSuppressed(second);
            }
            memory.endReservation().forEach(memory::give);
            throw e;
        }
        try {
            handle = gpu.endCapture();
        } catch (RuntimeException e) {
            memory.endReservation().forEach(memory::give);
            throw e;
        }
        return new CudaGraph(gpu, memory, handle, memory.endReservation());
    }

    /** Waits for everything queued on the stream (timing loops; copies to the host wait by themselves). */
    public void synchronize() {
        gpu.synchronize();
    }

    /** The GPU under this backend (the tests fill raw buffers through it). */
    GpuRuntime runtime() {
        return gpu;
    }

    // ---- raw device buffers (package-private: the kernel tests and the loss kernels below) ----

    /** A device copy of a float32 host tensor. */
    DeviceBuffer upload(Tensor host) {
        long bytes = host.numel() * 4;
        DeviceBuffer b = memory.take(bytes);
        gpu.upload(host.data(), b.address(), bytes);
        return b;
    }

    /** A device copy of host ints (labels, sampled actions). */
    DeviceBuffer upload(int[] values) {
        return launcher.upload(values);
    }

    /** A zero-filled device buffer of {@code count} floats. */
    DeviceBuffer zeros(long count) {
        DeviceBuffer b = memory.take(Math.max(4, count * 4));
        gpu.fill32(b.address(), 0, count);
        return b;
    }

    /** Waits for the stream, then copies {@code host.numel()} floats from {@code device} into {@code host}. */
    void download(DeviceBuffer device, Tensor host) {
        gpu.download(device.address(), host.data(), host.numel() * 4);
    }

    void free(DeviceBuffer b) {
        if (b != null) {
            memory.give(b);
        }
    }

    // ---- kernels ----

    /** Queues kernel {@code name} with {@code args} (see {@link CudaKernels#marshal}). */
    private void launch(String name, int grid, int block, Object... args) {
        launcher.launch(name, grid, block, args);
    }

    private int elementwiseGrid(long n) {
        return launcher.grid(n);
    }

    private static Ptr p(DeviceBuffer b) {
        return Launcher.p(b);
    }

    /*
     * The loss kernels (kernels/loss.cu). Training does not call them: a step downloads its B x 2 logits anyway (to
     * report the loss and, for GRPO, to sample actions on the host), so org.sdd4j.train.Losses evaluates both there
     * in double, identically on every backend, and hands value and gradient to the tape (Ops.hostLoss). The kernels are the on-device form of the same definitions, held to
     * them by CudaBackendTest, for a training step that stays on the GPU end to end.
     */

    /** Weighted cross-entropy, mean reduction, into {@code loss[0]}; classWeights may be null. */
    void crossEntropy(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer classWeights, DeviceBuffer loss,
                      int batch, int classes) {
        launch("cross_entropy_forward", 1, BLOCK, p(logits), p(labels), p(classWeights), p(loss), batch, classes);
    }

    void crossEntropyBackward(DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer classWeights,
                              DeviceBuffer dloss, DeviceBuffer dlogits, int batch, int classes) {
        launch("cross_entropy_backward", 1, BLOCK, p(logits), p(labels), p(classWeights), p(dloss), p(dlogits),
                batch, classes);
    }

    /** The GRPO loss of DESIGN.md section 4 over B utterances with G sampled actions each. */
    void grpoLoss(DeviceBuffer logits, DeviceBuffer actions, DeviceBuffer logpOld, DeviceBuffer logpRef,
                  DeviceBuffer advantage, DeviceBuffer loss, int batch, int group, int classes, float eps,
                  float beta) {
        launch("grpo_loss_forward", 1, BLOCK, p(logits), p(actions), p(logpOld), p(logpRef), p(advantage),
                p(loss), batch, group, classes, eps, beta);
    }

    void grpoLossBackward(DeviceBuffer logits, DeviceBuffer actions, DeviceBuffer logpOld, DeviceBuffer logpRef,
                          DeviceBuffer advantage, DeviceBuffer dloss, DeviceBuffer dlogits, int batch, int group,
                          int classes, float eps, float beta) {
        launch("grpo_loss_backward", 1, BLOCK, p(logits), p(actions), p(logpOld), p(logpRef), p(advantage),
                p(dloss), p(dlogits), batch, group, classes, eps, beta);
    }

    /** The fused update of kernels/adamw.cu, bit for bit {@link AdamUpdate#applyOnHost}. */
    @Override
    public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, org.sdd4j.backend.AdamUpdate u) {
        writes("adamStep", p, m, v);
        long n = p.numel();
        launch("adam_step", elementwiseGrid(n), BLOCK, p(p), p(g), p(m), p(v), n, u.decoupled() ? 1 : 0, u.beta1(),
                u.beta2(), u.oneMinusBeta1(), u.oneMinusBeta2(), u.eps(), u.weightDecay(), u.decay(), u.stepSize(),
                u.bc2Sqrt());
    }

    /** Per-block partial sums in double on the GPU, added up in block order on the host: deterministic. */
    @Override
    public double sumOfSquares(Tensor t) {
        long n = t.numel();
        int grid = elementwiseGrid(n);
        DeviceBuffer partials = memory.take(8L * grid);
        launch("sum_squares", grid, BLOCK, p(t), new Ptr(partials.address()), n);
        double sum = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(8L * grid, 8);
            gpu.download(partials.address(), host, 8L * grid);
            for (int i = 0; i < grid; i++) {
                sum += host.getAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, i);
            }
        } finally {
            memory.give(partials);
        }
        return sum;
    }

    // ---- Backend: matrix products (cuBLASLt) ----

    /**
     * The bias rides on cuBLASLt's epilogue when it is 16-byte aligned (the epilogue needs that); otherwise it is
     * added after the product.
     */
    @Override
    public void linear(Tensor a, Tensor w, Tensor bias, Tensor out, int m, int n, int k) {
        writes("linear", out);
        long b = addr(bias);
        boolean epilogue = b % 16 == 0;
        gpu.matmul(false, true, m, n, k, addr(a), 0, addr(w), 0, addr(out), 0, 1, false, epilogue ? b : 0);
        if (!epilogue) {
            add(out, bias, out);
        }
    }

    @Override
    public void batchedMatmul(Tensor a, Tensor b, boolean transB, Tensor out, int batch, int m, int n, int k) {
        writes("batchedMatmul", out);
        gpu.matmul(false, transB, m, n, k, addr(a), (long) m * k, addr(b), (long) k * n, addr(out), (long) m * n,
                batch, false, 0);
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db, int m, int n, int k) {
        writes("linearBackward", dx, dw, db);
        if (dx != null) { // dx[M,K] += dy[M,N] @ w[N,K]
            gpu.matmul(false, false, m, k, n, addr(dy), 0, addr(w), 0, addr(dx), 0, 1, true, 0);
        }
        if (dw != null) { // dw[N,K] += dy^T[N,M] @ x[M,K]
            gpu.matmul(true, false, n, k, m, addr(dy), 0, addr(x), 0, addr(dw), 0, 1, true, 0);
        }
        if (db != null) { // db[N] += sum over the M rows of dy
            launch("broadcast_reduce", elementwiseGrid(n), BLOCK, Ptr.NULL, p(dy), p(db), 1L, (long) m, (long) n);
        }
    }

    @Override
    public void batchedMatmulBackward(Tensor a, Tensor b, boolean transB, Tensor dy, Tensor da, Tensor db, int batch,
                                      int m, int n, int k) {
        writes("batchedMatmulBackward", da, db);
        long sa = (long) m * k, sb = (long) k * n, sy = (long) m * n;
        if (da != null) { // da += dy @ op(b)^T
            gpu.matmul(false, !transB, m, k, n, addr(dy), sy, addr(b), sb, addr(da), sa, batch, true, 0);
        }
        if (db != null) {
            if (transB) { // db[N,K] += dy^T @ a
                gpu.matmul(true, false, n, k, m, addr(dy), sy, addr(a), sa, addr(db), sb, batch, true, 0);
            } else { // db[K,N] += a^T @ dy
                gpu.matmul(true, false, k, n, m, addr(a), sa, addr(dy), sy, addr(db), sb, batch, true, 0);
            }
        }
    }

    // ---- Backend: convolutions (CudaConvolutions: im2col + cuBLASLt) ----

    @Override
    public void conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out) {
        writes("conv1d", out);
        convolutions.conv1d(x, w, bias, stride, padding, groups, out);
    }

    @Override
    public void conv1dBackward(Tensor x, Tensor w, Tensor dy, int stride, int padding, int groups, Tensor dx,
                               Tensor dw, Tensor db) {
        writes("conv1dBackward", dx, dw, db);
        convolutions.conv1dBackward(x, w, dy, stride, padding, groups, dx, dw, db);
    }

    @Override
    public void conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups,
                       Tensor out) {
        writes("conv2d", out);
        convolutions.conv2d(x, w, bias, strideH, strideW, padH, padW, groups, out);
    }

    @Override
    public void conv2dBackward(Tensor x, Tensor w, Tensor dy, int strideH, int strideW, int padH, int padW,
                               int groups, Tensor dx, Tensor dw, Tensor db) {
        writes("conv2dBackward", dx, dw, db);
        convolutions.conv2dBackward(x, w, dy, strideH, strideW, padH, padW, groups, dx, dw, db);
    }

    // ---- Backend: normalisation, softmax, activations, element-wise, pooling ----

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        writes("layerNorm", out);
        int d = x.dim(-1), rows = Math.toIntExact(x.numel() / d);
        launch("layernorm_forward", rows, BLOCK, p(x), p(weight), p(bias), p(out), rows, d, eps);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                  Tensor dBias) {
        writes("layerNormBackward", dx, dWeight, dBias);
        int d = x.dim(-1), rows = Math.toIntExact(x.numel() / d);
        DeviceBuffer stats = memory.take(8L * rows);
        launch("layernorm_backward_input", rows, BLOCK, p(x), p(weight), p(dy), p(dx), new Ptr(stats.address()),
                rows, d, eps);
        if (weight != null && (dWeight != null || dBias != null)) { // without a weight there is no affine at all
            launch("layernorm_backward_params", (d + BLOCK - 1) / BLOCK, BLOCK, p(x), p(dy),
                    new Ptr(stats.address()), p(dWeight), p(dBias), rows, d);
        }
        memory.give(stats);
    }

    @Override
    public void layerNormChannels(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        writes("layerNormChannels", out);
        int b = x.dim(0), c = x.dim(1), len = x.dim(2);
        launch("layernorm_channels_forward", elementwiseGrid((long) b * len), BLOCK, p(x), p(weight), p(bias),
                p(out), b, c, len, eps);
    }

    @Override
    public void layerNormChannelsBackward(Tensor x, Tensor weight, float eps, Tensor dy, Tensor dx, Tensor dWeight,
                                          Tensor dBias) {
        writes("layerNormChannelsBackward", dx, dWeight, dBias);
        int b = x.dim(0), c = x.dim(1), len = x.dim(2);
        DeviceBuffer stats = memory.take(8L * b * len);
        launch("layernorm_channels_backward_input", elementwiseGrid((long) b * len), BLOCK, p(x), p(weight),
                p(dy), p(dx), new Ptr(stats.address()), b, c, len, eps);
        if (dWeight != null || dBias != null) {
            launch("layernorm_channels_backward_params", c, BLOCK, p(x), p(dy), new Ptr(stats.address()),
                    p(dWeight), p(dBias), b, c, len);
        }
        memory.give(stats);
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, Tensor out) {
        writes("groupNorm", out);
        int b = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) b * c);
        launch("groupnorm_forward", b * groups, BLOCK, p(x), p(weight), p(bias), p(out), b, c, len, groups, eps);
    }

    @Override
    public void groupNormBackward(Tensor x, int groups, Tensor weight, float eps, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        writes("groupNormBackward", dx, dWeight, dBias);
        int b = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) b * c);
        DeviceBuffer stats = memory.take(8L * b * groups);
        launch("groupnorm_backward_input", b * groups, BLOCK, p(x), p(weight), p(dy), p(dx),
                new Ptr(stats.address()), b, c, len, groups, eps);
        if (dWeight != null || dBias != null) {
            launch("groupnorm_backward_params", c, BLOCK, p(x), p(dy), new Ptr(stats.address()), p(dWeight),
                    p(dBias), b, c, len, groups);
        }
        memory.give(stats);
    }

    @Override
    public void batchNorm(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, float eps, Tensor out) {
        writes("batchNorm", out);
        int b = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) b * c);
        launch("batchnorm_eval_forward", elementwiseGrid(x.numel()), BLOCK, p(x), p(mean), p(var), p(weight),
                p(bias), p(out), b, c, len, eps);
    }

    /**
     * Running statistics that are host parameters are updated on their device copies and copied back, so the
     * checkpoint's buffers stay the truth.
     */
    @Override
    public void batchNormTrain(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                               float momentum, float eps, Tensor out, Tensor saveMean, Tensor saveInvStd) {
        writes("batchNormTrain", out, saveMean, saveInvStd);
        int b = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) b * c);
        launch("batchnorm_train_forward", c, BLOCK, p(x), p(weight), p(bias), p(runningMean), p(runningVar),
                momentum, eps, p(out), p(saveMean), p(saveInvStd), b, c, len);
        for (Tensor running : new Tensor[] {runningMean, runningVar}) {
            if (running != null && running.device() == Device.CPU) {
                gpu.download(addr(running), running.data(), running.numel() * 4);
            }
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        writes("batchNormBackward", dx, dWeight, dBias);
        int b = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) b * c);
        launch("batchnorm_backward", c, BLOCK, p(x), p(weight), p(saveMean), p(saveInvStd), p(dy), p(dx),
                p(dWeight), p(dBias), b, c, len);
    }

    /** Gradients of {@link #batchNorm} (fixed statistics): {@code dx += dy * w / sqrt(var + eps)}. */
    @Override
    public void batchNormEvalBackward(Tensor x, Tensor mean, Tensor var, Tensor weight, float eps, Tensor dy,
                                      Tensor dx, Tensor dWeight, Tensor dBias) {
        writes("batchNormEvalBackward", dx, dWeight, dBias);
        int b = x.dim(0), c = x.dim(1);
        long len = x.numel() / ((long) b * c);
        launch("batchnorm_eval_backward", c, BLOCK, p(x), p(mean), p(var), p(weight), eps, p(dy), p(dx),
                p(dWeight), p(dBias), b, c, len);
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        writes("softmax", out);
        int d = x.dim(-1), rows = Math.toIntExact(x.numel() / d);
        launch("softmax_forward", rows, BLOCK, p(x), p(out), rows, d);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        writes("softmaxBackward", dx);
        if (dx == null) {
            return;
        }
        int d = y.dim(-1), rows = Math.toIntExact(y.numel() / d);
        launch("softmax_backward", rows, BLOCK, p(y), p(dy), p(dx), rows, d);
    }

    @Override
    public void activation(Activation f, Tensor x, Tensor out) {
        writes("activation", out);
        launch("activation_forward", elementwiseGrid(x.numel()), BLOCK, f.ordinal(), p(x), p(out), x.numel());
    }

    @Override
    public void activationBackward(Activation f, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        writes("activationBackward", dx);
        if (dx == null) {
            return;
        }
        launch("activation_backward", elementwiseGrid(x.numel()), BLOCK, f.ordinal(), p(x), p(y), p(dy), p(dx),
                x.numel());
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        writes("add", out);
        long n = a.numel(), m = b.numel();
        launch("add_broadcast", elementwiseGrid(n), BLOCK, p(a), p(b), p(out), n, n / m, m);
    }

    @Override
    public void maxPool2d(Tensor x, int kh, int kw, Tensor out) {
        writes("maxPool2d", out);
        long planes = (long) x.dim(0) * x.dim(1);
        launch("maxpool2d_forward", elementwiseGrid(out.numel()), BLOCK, p(x), p(out), planes, x.dim(2), x.dim(3),
                out.dim(2), out.dim(3), kh, kw);
    }

    @Override
    public void maxPool2dBackward(Tensor x, int kh, int kw, Tensor dy, Tensor dx) {
        writes("maxPool2dBackward", dx);
        if (dx == null) {
            return;
        }
        long planes = (long) x.dim(0) * x.dim(1);
        launch("maxpool2d_backward", elementwiseGrid(dy.numel()), BLOCK, p(x), p(dy), p(dx), planes, x.dim(2),
                x.dim(3), dy.dim(2), dy.dim(3), kh, kw);
    }

    // ---- layout and element-wise glue (org.sdd4j.backend.Ops's permute, narrow, concat, reductions) ----

    /** {@code out} = the contiguous copy of {@code x} whose dimension i is input dimension {@code perm[i]} (rank <= 6). */
    @Override
    public void permute(Tensor x, int[] perm, Tensor out) {
        writes("permute", out);
        int r = x.rank();
        if (r > 6) {
            throw new IllegalArgumentException("permute of rank " + r + " > 6 on the GPU: " + x);
        }
        long[] inStride = new long[r];
        long acc = 1;
        for (int i = r - 1; i >= 0; i--) {
            inStride[i] = acc;
            acc *= x.dim(i);
        }
        Object[] args = new Object[16];
        args[0] = p(x);
        args[1] = p(out);
        args[2] = x.numel();
        args[3] = r;
        for (int i = 0; i < 6; i++) {
            args[4 + i] = i < r ? x.dim(perm[i]) : 1;
            args[10 + i] = i < r ? inStride[perm[i]] : 0L;
        }
        launch("permute_copy", elementwiseGrid(x.numel()), BLOCK, args);
    }

    /**
     * {@code dst[dstOffset + r * dstStride + c] (+)= src[srcOffset + r * srcStride + c]} for {@code r < rows},
     * {@code c < rowLength} (offsets and strides in floats): narrow, concat and their gradients.
     */
    @Override
    public void copyBlocks(Tensor src, long srcOffset, long srcStride, Tensor dst, long dstOffset, long dstStride,
                           long rows, long rowLength, boolean accumulate) {
        writes("copyBlocks", dst);
        launch("copy_blocks", elementwiseGrid(rows * rowLength), BLOCK, p(src), srcOffset, srcStride, p(dst),
                dstOffset, dstStride, rows, rowLength, accumulate ? 1 : 0);
    }

    @Override
    public void reduce(Reduction kind, Tensor x, long outer, int len, long inner, Tensor out) {
        writes("reduce", out);
        launch("reduce_forward", elementwiseGrid(outer * inner), BLOCK, kind.ordinal(), p(x), p(out), outer, len,
                inner);
    }

    @Override
    public void reduceBackward(Reduction kind, Tensor x, Tensor dy, long outer, int len, long inner, Tensor dx) {
        writes("reduceBackward", dx);
        launch("reduce_backward", elementwiseGrid(outer * inner), BLOCK, kind.ordinal(), p(x), p(dy), p(dx),
                outer, len, inner);
    }

    /** {@code out = a * b}, {@code b} broadcast as {@code [outer, 1, inner]} over {@code a} = {@code [outer, mid, inner]}. */
    @Override
    public void mul(Tensor a, Tensor b, long mid, long inner, Tensor out) {
        writes("mul", out);
        launch("mul_broadcast", elementwiseGrid(a.numel()), BLOCK, p(a), p(b), p(out), a.numel(), mid, inner);
    }

    /** Gradients of {@link #mul}: {@code da += dy * b}, {@code db += sum_mid dy * a}. */
    @Override
    public void mulBackward(Tensor a, Tensor b, Tensor dy, long mid, long inner, Tensor da, Tensor db) {
        writes("mulBackward", da, db);
        long n = a.numel();
        if (da != null) {
            launch("mul_broadcast_backward_a", elementwiseGrid(n), BLOCK, p(b), p(dy), p(da), n, mid, inner);
        }
        if (db != null) {
            long outer = n / (mid * inner);
            launch("broadcast_reduce", elementwiseGrid(outer * inner), BLOCK, p(a), p(dy), p(db), outer, mid,
                    inner);
        }
    }

    /** {@code dst[j] += sum over i with i % dst.numel() == j of src[i]}: a broadcast operand's gradient. */
    @Override
    public void sumBroadcast(Tensor src, Tensor dst) {
        writes("sumBroadcast", dst);
        long m = dst.numel();
        launch("broadcast_reduce", elementwiseGrid(m), BLOCK, Ptr.NULL, p(src), p(dst), 1L, src.numel() / m, m);
    }

    /** {@code out (+)= x * s}, or {@code x / s} when {@code divide}. */
    @Override
    public void scale(Tensor x, float s, boolean divide, Tensor out, boolean accumulate) {
        writes("scale", out);
        launch("scale", elementwiseGrid(x.numel()), BLOCK, p(x), s, divide ? 1 : 0, accumulate ? 1 : 0, p(out),
                x.numel());
    }

    @Override
    public void maximum(Tensor a, Tensor b, Tensor out) {
        writes("maximum", out);
        launch("maximum_forward", elementwiseGrid(a.numel()), BLOCK, p(a), p(b), p(out), a.numel());
    }

    @Override
    public void maximumBackward(Tensor a, Tensor b, Tensor dy, Tensor da, Tensor db) {
        writes("maximumBackward", da, db);
        launch("maximum_backward", elementwiseGrid(a.numel()), BLOCK, p(a), p(b), p(dy), p(da), p(db),
                a.numel());
    }

    // ---- AASIST graph pieces and attentive pooling (CudaGraphGlue, kernels/graph.cu) ----

    @Override
    public void pairwiseProduct(Tensor x, Tensor y) {
        writes("pairwiseProduct", y);
        graphs.pairwiseProduct(x, y);
    }

    @Override
    public void pairwiseProductBackward(Tensor x, Tensor dy, Tensor dx) {
        writes("pairwiseProductBackward", dx);
        graphs.pairwiseProductBackward(x, dy, dx);
    }

    @Override
    public void pairScores(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor s) {
        writes("pairScores", s);
        graphs.pairScores(h, weights, weightOfPair, temperature, s);
    }

    @Override
    public void pairScoresBackward(Tensor h, Tensor[] weights, int[] weightOfPair, float temperature, Tensor ds,
                                   Tensor dh, Tensor[] dWeights) {
        writes("pairScoresBackward", dh);
        writes("pairScoresBackward", dWeights);
        graphs.pairScoresBackward(h, weights, weightOfPair, temperature, ds, dh, dWeights);
    }

    @Override
    public void topK(Tensor scores, int keep, Tensor idx) {
        writes("topK", idx);
        graphs.topK(scores, keep, idx);
    }

    @Override
    public void gatherScaled(Tensor h, Tensor s, Tensor idx, Tensor y) {
        writes("gatherScaled", y);
        graphs.gatherScaled(h, s, idx, y);
    }

    @Override
    public void gatherScaledBackward(Tensor h, Tensor s, Tensor idx, Tensor dy, Tensor dh, Tensor ds) {
        writes("gatherScaledBackward", dh, ds);
        graphs.gatherScaledBackward(h, s, idx, dy, dh, ds);
    }

    @Override
    public void attentivePool(Tensor x, Tensor w, int dim, Tensor out, Tensor p) {
        writes("attentivePool", out, p);
        graphs.attentivePool(x, w, dim, out, p);
    }

    @Override
    public void attentivePoolBackward(Tensor x, Tensor p, Tensor out, int dim, Tensor dy, Tensor dx, Tensor dw) {
        writes("attentivePoolBackward", dx, dw);
        graphs.attentivePoolBackward(x, p, out, dim, dy, dx, dw);
    }

    // ---- training-only operations (kernels/elementwise.cu, kernels/weightnorm.cu) ----

    @Override
    public void dropout(Tensor x, Tensor mask, float keep, Tensor out) {
        writes("dropout", out);
        launch("dropout_forward", elementwiseGrid(x.numel()), BLOCK, p(x), p(mask), keep, p(out), x.numel());
    }

    @Override
    public void dropoutBackward(Tensor mask, float keep, Tensor dy, Tensor dx) {
        writes("dropoutBackward", dx);
        if (dx != null) {
            launch("dropout_backward", elementwiseGrid(dy.numel()), BLOCK, p(mask), keep, p(dy), p(dx), dy.numel());
        }
    }

    /** v as {@code [outer, k, inner]} around {@code dim}. */
    private record NormView(long outer, int k, long inner) {
        static NormView of(Tensor v, int dim) {
            long inner = 1;
            for (int i = dim + 1; i < v.rank(); i++) {
                inner *= v.dim(i);
            }
            return new NormView(v.numel() / (inner * v.dim(dim)), v.dim(dim), inner);
        }
    }

    /** The k norms of {@code v} (doubles), in a block the caller gives back. */
    private DeviceBuffer weightNorms(Tensor v, NormView view) {
        DeviceBuffer norms = memory.take(8L * view.k());
        launch("weightnorm_norms", view.k(), BLOCK, p(v), p(norms), view.outer(), view.k(), view.inner());
        return norms;
    }

    @Override
    public void weightNorm(Tensor g, Tensor v, int dim, Tensor w) {
        writes("weightNorm", w);
        NormView view = NormView.of(v, dim);
        DeviceBuffer norms = weightNorms(v, view);
        launch("weightnorm_forward", elementwiseGrid(v.numel()), BLOCK, p(g), p(v), p(norms), p(w), v.numel(),
                view.k(), view.inner());
        memory.give(norms);
    }

    @Override
    public void weightNormBackward(Tensor g, Tensor v, int dim, Tensor dw, Tensor dg, Tensor dv) {
        writes("weightNormBackward", dg, dv);
        NormView view = NormView.of(v, dim);
        DeviceBuffer norms = weightNorms(v, view), dot = memory.take(8L * view.k());
        launch("weightnorm_backward_dot", view.k(), BLOCK, p(dw), p(v), p(norms), p(dot), p(dg), view.outer(),
                view.k(), view.inner());
        if (dv != null) {
            launch("weightnorm_backward_v", elementwiseGrid(v.numel()), BLOCK, p(g), p(v), p(dw), p(norms), p(dot),
                    p(dv), v.numel(), view.k(), view.inner());
        }
        memory.give(norms);
        memory.give(dot);
    }

    @Override
    public void close() {
        gpu.synchronize();
        forgetParameterCopies();
        graphs.close();
        memory.close();
        hostMemory.close();
        gpu.close();
    }
}
