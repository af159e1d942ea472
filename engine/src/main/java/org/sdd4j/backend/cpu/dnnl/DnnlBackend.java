package org.sdd4j.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.sdd4j.backend.cpu.ConvBackward;
import org.sdd4j.backend.cpu.ConvGeometry;
import org.sdd4j.backend.cpu.CpuBackend;
import org.sdd4j.backend.cpu.Im2col;
import org.sdd4j.backend.cpu.Parallel.RangeBody;
import org.sdd4j.nativelib.LoadedLibrary;
import org.sdd4j.nativelib.dnnl.dnnl_h;
import org.sdd4j.nativelib.gomp.gomp_h;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * The CPU provider with oneDNN underneath, for the products that dominate the models' time:
 * <ul>
 *   <li>linear layers and batched matmuls are cached oneDNN matmul primitives executing directly on the
 *       tensors' native segments (a torch {@code [out, in]} weight is read in place as a transposed B);</li>
 *   <li>convolutions are im2col tiles built on the Java pool, each multiplied by oneDNN's JIT
 *       {@code sgemm} on one OpenMP thread straight into the output rows.</li>
 * </ul>
 * Norms, activations and pooling keep {@link CpuBackend}'s Vector API kernels: they are memory-bound and
 * gain nothing from a native call.
 *
 * <p><b>Why not oneDNN's convolution primitive.</b> On PyTorch's plain NC(H)W layouts oneDNN 3.11
 * dispatches fp32 convolutions to {@code jit_uni_ncsp:conv+ref:any}, a reference kernel: measured on
 * this project's 2-core AVX-512 machine it was 10-40x slower than im2col (AASIST's 32 -> 32 (2,3) conv on
 * [1, 32, 24, 21490]: 20 s against 1.7 s with the Vector API GEMM and 0.12 s with im2col + sgemm). Its
 * fast kernels want blocked layouts, which would cost a reorder of every activation in and out.
 * im2col + sgemm won on every AASIST and wav2vec2 shape measured, the 1 -> 32 first conv included, so
 * every native float32 convolution takes it.
 *
 * <p><b>Threads.</b> {@link #threads()} is both the Java pool size and the OpenMP team size oneDNN is given
 * before every call ({@code omp_set_num_threads}), as {@code torch.set_num_threads} sets both of PyTorch's
 * pools.
 *
 * <p><b>Concurrency.</b> A backend may be shared by several Java threads (batch scoring from a pool).
 * A {@link OneDnn} (engine, stream, primitive cache) must stay on one thread, so each calling thread gets
 * its own, created on first use; primitives are cached per thread, so callers never wait on each other.
 * Every instance is tracked so that {@link #close()} frees them all (an instance lives until then even
 * if its thread ends: pools keep their threads, so there are few).
 *
 * <p>Tensors that are not float32 or not off-heap take {@link CpuBackend}'s path: oneDNN reads native
 * memory only.
 */
public final class DnnlBackend extends CpuBackend {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final List<OneDnn> instances = new CopyOnWriteArrayList<>();
    private final ThreadLocal<OneDnn> perThread = ThreadLocal.withInitial(this::newInstance);
    private final LoadedLibrary library;
    private volatile boolean closed;

    /**
     * Loads oneDNN and checks that it can run here.
     *
     * @param threads worker threads for both the Vector API pool and oneDNN's OpenMP team, >= 1
     * @throws org.sdd4j.nativelib.NativeLibraryException if oneDNN or its OpenMP runtime is missing
     */
    public DnnlBackend(int threads) {
        super(threads);
        try {
            this.library = perThread.get().library();
        } catch (RuntimeException | LinkageError e) {
            super.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "cpu-onednn(" + library.version() + ", " + OneDnn.effectiveIsa() + ")";
    }

    /** The oneDNN library in use (path, how it was found, version). */
    public LoadedLibrary library() {
        return library;
    }

    @Override
    public void linear(Tensor a, Tensor w, Tensor bias, Tensor out, int m, int n, int k) {
        if (!native32(a, w, bias, out)) {
            super.linear(a, w, bias, out, m, n, k);
            return;
        }
        // One matmul with the torch weight [N, K] read in place as a transposed, shared B.
        MatmulShape shape = new MatmulShape(1, m, k, n, true, true, bias != null);
        oneDnn().matmul(shape, a.data(), w.data(), bias == null ? null : bias.data(), out.data());
    }

    @Override
    public void batchedMatmul(Tensor a, Tensor b, boolean transB, Tensor out, int batch, int m, int n, int k) {
        if (!native32(a, b, null, out)) {
            super.batchedMatmul(a, b, transB, out, batch, m, n, k);
            return;
        }
        oneDnn().matmul(new MatmulShape(batch, m, k, n, transB, false, false), a.data(), b.data(), null,
                out.data());
    }

    @Override
    public void conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out) {
        if (!native32(x, w, bias, out)) {
            super.conv1d(x, w, bias, stride, padding, groups, out);
            return;
        }
        im2colSgemm(x.dim(0), x.dim(1), 1, x.dim(2), x, w, bias, w.dim(0), 1, w.dim(2), 1, stride, 0, padding, groups,
                out, 1, out.dim(2));
    }

    @Override
    public void conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups,
                       Tensor out) {
        if (!native32(x, w, bias, out)) {
            super.conv2d(x, w, bias, strideH, strideW, padH, padW, groups, out);
            return;
        }
        im2colSgemm(x.dim(0), x.dim(1), x.dim(2), x.dim(3), x, w, bias, w.dim(0), w.dim(2), w.dim(3), strideH,
                strideW, padH, padW, groups, out, out.dim(2), out.dim(3));
    }

    /**
     * Convolution (1-D as height 1) as im2col tiles over output rows and column ranges, spread over the
     * Java pool, each tile multiplied by oneDNN's sgemm straight into the output rows (its leading
     * dimension is the output plane). Each worker asks OpenMP for one thread: the parallelism is already
     * across tiles, and nested OpenMP teams would oversubscribe the cores.
     */
    private void im2colSgemm(int batch, int cin, int h, int wd, Tensor x, Tensor w, Tensor bias, int cout, int kh,
                             int kw, int strideH, int strideW, int padH, int padW, int groups, Tensor out, int hout,
                             int wout) {
        int cpg = cin / groups, coutPg = cout / groups, kk = cpg * kh * kw;
        // Keep a tile's im2col block (kk x tile floats) around 512 KiB, inside L2 beside the output tile.
        int tile = Math.max(64, Math.min(4096, (131072 / kk) / 64 * 64));
        int tilesW = (wout + tile - 1) / tile;
        long plane = (long) hout * wout;
        // Workers read and write through unscoped views: the tensors may live in the caller's confined arena
        // (an Ops scope), which only its owner thread may touch; the owner is blocked here until the
        // workers finish, so the memory cannot be freed under them.
        MemorySegment xs = unscoped(x), ws = unscoped(w), os = unscoped(out);
        MemorySegment bs = bias == null ? null : unscoped(bias);
        int tasks = batch * groups * hout * tilesW;
        // Too few tiles to spread over the pool: one thread builds them and sgemm runs on the whole team.
        boolean fewTiles = tasks < 2 * threads();
        RangeBody body = (from, to) -> {
            gomp_h.omp_set_num_threads(fewTiles ? threads() : 1);
            // The tile is built in a Java array (bulk copies, fast even before the JIT has warmed up)
            // and handed to sgemm through one native copy.
            float[] colArray = new float[kk * tile];
            float[] biasRow = bias == null ? null : new float[tile];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment col = arena.allocate((long) kk * tile * Float.BYTES, 64);
                for (int task = from; task < to; task++) {
                    int tw = task % tilesW, oy = (task / tilesW) % hout, g = (task / tilesW / hout) % groups;
                    int b = task / tilesW / hout / groups;
                    int x0 = tw * tile, nt = Math.min(tile, wout - x0);
                    Im2col.tile(xs, ((long) b * cin + (long) g * cpg) * h * wd, cpg, h, wd, kh, kw, oy, x0, nt,
                            strideH, strideW, padH, padW, colArray);
                    MemorySegment.copy(colArray, 0, col, F, 0, kk * nt);
                    long o0 = ((long) b * cout + (long) g * coutPg) * plane + (long) oy * wout + x0;
                    MemorySegment c = os.asSlice(o0 * Float.BYTES);
                    if (biasRow != null) {
                        for (int r = 0; r < coutPg; r++) {
                            Arrays.fill(biasRow, 0, nt, bs.getAtIndex(F, (long) g * coutPg + r));
                            MemorySegment.copy(biasRow, 0, c, F, (long) r * plane * Float.BYTES, nt);
                        }
                    }
                    DnnlException.check(dnnl_h.dnnl_sgemm((byte) 'N', (byte) 'N', coutPg, nt, kk, 1f,
                            ws.asSlice((long) g * coutPg * kk * Float.BYTES), kk, col, nt,
                            biasRow == null ? 0f : 1f, c, plane), "sgemm");
                }
            }
        };
        if (fewTiles) {
            body.run(0, tasks);
        } else {
            parallel.forRange(tasks, 1, body);
        }
    }

    // ---- training: the products of the backward passes on sgemm; the rest is CpuBackend's ----

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db, int m, int n, int k) {
        if (!allNative32(x, w, dy, dx, dw)) {
            super.linearBackward(x, w, dy, dx, dw, db, m, n, k);
            return;
        }
        OneDnn d = oneDnn();
        if (dx != null) {
            // dx[m, k] += dy[m, n] @ W[n, k]
            d.sgemm(false, false, m, k, n, 1f, dy.data(), n, w.data(), k, 1f, dx.data(), k);
        }
        if (dw != null) {
            // dw[n, k] += dy^T @ x, both read in place
            d.sgemm(true, false, n, k, m, 1f, dy.data(), n, x.data(), k, 1f, dw.data(), k);
        }
        if (db != null) {
            super.linearBackward(x, w, dy, null, null, db, m, n, k);
        }
    }

    @Override
    public void batchedMatmulBackward(Tensor a, Tensor b, boolean transB, Tensor dy, Tensor da, Tensor db, int batch,
                                      int m, int n, int k) {
        if (!allNative32(a, b, dy, da, db)) {
            super.batchedMatmulBackward(a, b, transB, dy, da, db, batch, m, n, k);
            return;
        }
        MemorySegment as = unscoped(a), bs = unscoped(b), gs = unscoped(dy);
        MemorySegment das = da == null ? null : unscoped(da), dbs = db == null ? null : unscoped(db);
        // Many small products (attention heads): one per Java task, each sgemm on one OpenMP thread.
        // A few large ones: one after another, each on the whole team.
        boolean perTask = batch >= threads();
        RangeBody body = (from, to) -> {
            gomp_h.omp_set_num_threads(perTask ? 1 : threads());
            for (int q = from; q < to; q++) {
                long ao = (long) q * m * k * Float.BYTES, bo = (long) q * k * n * Float.BYTES;
                long oo = (long) q * m * n * Float.BYTES;
                if (das != null) {
                    // da[m, k] += dy[m, n] @ op(B)^T: B stored [n, k] when transposed, [k, n] otherwise
                    sgemm(false, !transB, m, k, n, gs.asSlice(oo), n, bs.asSlice(bo), transB ? k : n, 1f,
                            das.asSlice(ao), k);
                }
                if (dbs != null) {
                    if (transB) {
                        // dB[n, k] += dy^T @ a
                        sgemm(true, false, n, k, m, gs.asSlice(oo), n, as.asSlice(ao), k, 1f, dbs.asSlice(bo), k);
                    } else {
                        // dB[k, n] += a^T @ dy
                        sgemm(true, false, k, n, m, as.asSlice(ao), k, gs.asSlice(oo), n, 1f, dbs.asSlice(bo), n);
                    }
                }
            }
        };
        if (perTask) {
            parallel.forRange(batch, 1, body);
        } else {
            body.run(0, batch);
        }
    }

    /**
     * Convolution backward tiles on sgemm, reading the output gradient and the weight in place:
     * {@code dW += dY @ col^T} (im2col tile as in the forward) and {@code dcol = W^T @ dY}.
     */
    @Override
    protected ConvBackward.Plan convBackwardPlan(ConvGeometry c, Tensor x, Tensor w, Tensor dy, Tensor dw) {
        if (!allNative32(x, w, dy, dw)) {
            return super.convBackwardPlan(c, x, w, dy, dw);
        }
        int kk = c.kk(), coutPg = c.coutPg(), cpg = c.cpg(), plane = Math.toIntExact(c.plane());
        int tile = Math.max(64, Math.min(4096, (131072 / kk) / 64 * 64));
        int tw = ConvBackward.tileWidth(c, tile);
        MemorySegment xs = unscoped(x), ws = unscoped(w), gs = unscoped(dy);
        return new ConvBackward.Plan(tile, () -> new ConvBackward.Tiles() {
            private final Arena arena = Arena.ofConfined();
            private final MemorySegment col = arena.allocate((long) kk * tw * Float.BYTES, 64);
            private final MemorySegment dcolNative = arena.allocate((long) kk * tw * Float.BYTES, 64);
            private final float[] colArray = new float[kk * tw];

            {
                // The parallelism is across tiles on the Java pool; nested OpenMP teams would oversubscribe.
                gomp_h.omp_set_num_threads(1);
            }

            @Override
            public void weightGradient(int b, int g, int oy, int x0, int nt, MemorySegment target, long off) {
                Im2col.tile(xs, c.inputRow(b, g, 0, 0), cpg, c.h(), c.w(), c.kh(), c.kw(), oy, x0, nt, c.strideH(),
                        c.strideW(), c.padH(), c.padW(), colArray);
                MemorySegment.copy(colArray, 0, col, F, 0, kk * nt);
                MemorySegment dwView = MemorySegment.ofAddress(target.address()).reinterpret(target.byteSize());
                sgemm(false, true, coutPg, kk, nt, gs.asSlice(c.outputOffset(b, g, oy, x0) * Float.BYTES), plane, col,
                        nt, 1f, dwView.asSlice(off * Float.BYTES), kk);
            }

            @Override
            public void columnGradient(int b, int g, int oy, int x0, int nt, float[] dcol) {
                sgemm(true, false, kk, nt, coutPg, ws.asSlice((long) g * coutPg * kk * Float.BYTES), kk,
                        gs.asSlice(c.outputOffset(b, g, oy, x0) * Float.BYTES), plane, 0f, dcolNative, nt);
                MemorySegment.copy(dcolNative, F, 0, dcol, 0, kk * nt);
            }

            @Override
            public void close() {
                arena.close();
            }
        });
    }

    /** {@code C = A' @ B' + beta * C} on this thread's OpenMP team, row-major, as {@link OneDnn#sgemm}. */
    private static void sgemm(boolean transA, boolean transB, int m, int n, int k, MemorySegment a, int lda,
                              MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        DnnlException.check(dnnl_h.dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), m, n, k, 1f,
                a, lda, b, ldb, beta, c, ldc), "sgemm");
    }

    /** Frees every thread's oneDNN engine, stream and cached primitives, then the Vector API pool. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (OneDnn d : instances) {
            d.close();
        }
        instances.clear();
        super.close();
    }

    /** How many per-thread oneDNN instances are open (for tests of the per-thread policy). */
    int openInstances() {
        return instances.size();
    }

    private OneDnn oneDnn() {
        if (closed) {
            throw new IllegalStateException("this DnnlBackend is closed");
        }
        return perThread.get();
    }

    private OneDnn newInstance() {
        OneDnn d = OneDnn.create(threads());
        instances.add(d);
        return d;
    }

    private static MemorySegment unscoped(Tensor t) {
        return MemorySegment.ofAddress(t.data().address()).reinterpret(t.data().byteSize());
    }

    /** oneDNN reads native float32 memory only; anything else takes the Vector API path. */
    private static boolean native32(Tensor a, Tensor b, Tensor c, Tensor d) {
        return ok(a) && ok(b) && (c == null || ok(c)) && ok(d);
    }

    /** As {@link #native32}, for any number of tensors, nulls (gradients not wanted) ignored. */
    private static boolean allNative32(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && !ok(t)) {
                return false;
            }
        }
        return true;
    }

    private static boolean ok(Tensor t) {
        return t.dtype() == DType.F32 && t.data().isNative();
    }
}
