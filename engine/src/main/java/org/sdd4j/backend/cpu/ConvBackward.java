package org.sdd4j.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;
import org.sdd4j.tensor.Tensor;

/**
 * The backward pass of a float32 convolution on the CPU, in the im2col view: per group and output tile,
 * {@code dW += dY @ col^T} and {@code dcol = W^T @ dY}, the latter scattered back onto the input (col2im).
 * This class owns the decomposition over threads; the two products per tile come from a {@link Tiles},
 * so that each provider multiplies with its own GEMM.
 *
 * <p><b>Races.</b> Weight gradients of different tiles land on the same weights: when there are fewer
 * groups than threads, each worker sums its share of the tiles into its own partial buffer, added into
 * {@code dW} at the end. Input gradients of neighbouring tiles overlap by {@code k - stride} input rows
 * (columns): tiles are grouped into blocks of rows, and blocks run in four phases (row-block parity x
 * column-tile parity) so that blocks running at the same time never touch the same input element.
 */
public final class ConvBackward {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Cap on the floats of per-worker weight-gradient partials: beyond it, fewer workers share a group. */
    private static final long PARTIAL_FLOATS = 1L << 22;

    /**
     * One worker's two products on an output tile: {@code nt} positions of output row {@code oy} from
     * column {@code x0}, in batch {@code b} and group {@code g}. Used by one thread; closed when its share
     * of the tiles is done.
     */
    public interface Tiles extends AutoCloseable {
        /** {@code dw[coutPg x kk] (row stride kk, from element dwOff) += dY tile [coutPg x nt] @ col[kk x nt]^T}. */
        void weightGradient(int b, int g, int oy, int x0, int nt, MemorySegment dw, long dwOff);

        /** {@code dcol[r * nt + t] = sum_co W[g][co, r] * dY[b, g, co, oy, x0 + t]}, the tile's im2col gradient. */
        void columnGradient(int b, int g, int oy, int x0, int nt, float[] dcol);

        @Override
        void close();
    }

    /**
     * How a provider multiplies: output positions per tile (raised to the kernel width when smaller) and
     * a factory of one worker's {@link Tiles} for tiles of at most that width.
     */
    public record Plan(int tile, Supplier<Tiles> tiles) {
    }

    private ConvBackward() {
    }

    /** Accumulates the gradients of a convolution into {@code dx}, {@code dw}, {@code db} (each may be null). */
    public static void run(Parallel parallel, ConvGeometry c, Plan plan, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
        if (db != null) {
            biasGradient(parallel, c, dy, db);
        }
        int tw = tileWidth(c, plan.tile());
        Supplier<Tiles> tiles = plan.tiles();
        if (dw != null) {
            weightGradient(parallel, c, tw, tiles, dw);
        }
        if (dx != null) {
            inputGradient(parallel, c, tw, tiles, dx);
        }
    }

    /** The tile width actually used: at least the kernel width, so that tiles two apart never share input. */
    public static int tileWidth(ConvGeometry c, int tile) {
        return Math.max(tile, c.kw());
    }

    private static void biasGradient(Parallel parallel, ConvGeometry c, Tensor dy, Tensor db) {
        MemorySegment gs = dy.data(), bs = db.data();
        long plane = c.plane();
        parallel.forRange(c.cout(), 4, (from, to) -> {
            for (int co = from; co < to; co++) {
                double s = 0;
                for (int b = 0; b < c.batch(); b++) {
                    s += sum(gs, ((long) b * c.cout() + co) * plane, plane);
                }
                bs.setAtIndex(F, co, (float) (bs.getAtIndex(F, co) + s));
            }
        });
    }

    private static void weightGradient(Parallel parallel, ConvGeometry c, int tile, Supplier<Tiles> tiles, Tensor dw) {
        int groups = c.groups(), kk = c.kk(), coutPg = c.coutPg();
        int tilesW = (c.wout() + tile - 1) / tile;
        int units = c.batch() * c.hout() * tilesW;
        long weights = (long) c.cout() * kk;
        // Enough workers per group to fill the pool, as long as their partial sums stay small.
        int chunks = Math.max(1, Math.min(units, (2 * parallel.threads() + groups - 1) / groups));
        chunks = (int) Math.max(1, Math.min(chunks, PARTIAL_FLOATS / weights));
        int perGroup = chunks;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment partial = perGroup == 1 ? null : arena.allocate(perGroup * weights * Float.BYTES, 64);
            MemorySegment target = perGroup == 1 ? dw.data() : partial;
            parallel.forRange(groups * perGroup, 1, (from, to) -> {
                try (Tiles t = tiles.get()) {
                    for (int task = from; task < to; task++) {
                        int g = task / perGroup, ch = task % perGroup;
                        long off = (perGroup == 1 ? 0 : ch * weights) + (long) g * coutPg * kk;
                        int u0 = (int) ((long) units * ch / perGroup), u1 = (int) ((long) units * (ch + 1) / perGroup);
                        for (int u = u0; u < u1; u++) {
                            int x0 = (u % tilesW) * tile, oy = (u / tilesW) % c.hout(), b = u / tilesW / c.hout();
                            t.weightGradient(b, g, oy, x0, Math.min(tile, c.wout() - x0), target, off);
                        }
                    }
                }
            });
            if (partial != null) {
                MemorySegment ws = dw.data();
                int blocks = (int) ((weights + 4095) / 4096);
                parallel.forRange(blocks, 1, (from, to) -> {
                    long start = (long) from * 4096, end = Math.min(weights, (long) to * 4096);
                    for (int ch = 0; ch < perGroup; ch++) {
                        addInto(ws, start, partial, ch * weights + start, end - start);
                    }
                });
            }
        }
    }

    private static void inputGradient(Parallel parallel, ConvGeometry c, int tile, Supplier<Tiles> tiles, Tensor dx) {
        // Blocks of rb output rows touch input rows [first, first + (rb - 1) * stride + kh): two blocks apart
        // they are disjoint when kh <= (rb + 1) * stride, and so are column tiles when kw <= (tile + 1) * stride.
        int rb = Math.max(1, (c.kh() + c.strideH() - 1) / c.strideH() - 1);
        int rowBlocks = (c.hout() + rb - 1) / rb, tilesW = (c.wout() + tile - 1) / tile;
        MemorySegment xs = dx.data();
        for (int phase = 0; phase < 4; phase++) {
            int pr = phase & 1, pt = phase >> 1;
            int nRb = (rowBlocks - pr + 1) / 2, nTw = (tilesW - pt + 1) / 2;
            if (nRb == 0 || nTw == 0) {
                continue;
            }
            parallel.forRange(c.batch() * c.groups() * nRb * nTw, 1, (from, to) -> {
                float[] dcol = new float[c.kk() * tile];
                try (Tiles t = tiles.get()) {
                    for (int task = from; task < to; task++) {
                        int x0 = ((task % nTw) * 2 + pt) * tile, y0 = ((task / nTw) % nRb * 2 + pr) * rb;
                        int g = (task / nTw / nRb) % c.groups(), b = task / nTw / nRb / c.groups();
                        int nt = Math.min(tile, c.wout() - x0);
                        for (int oy = y0; oy < Math.min(c.hout(), y0 + rb); oy++) {
                            t.columnGradient(b, g, oy, x0, nt, dcol);
                            col2im(c, b, g, oy, x0, nt, dcol, xs);
                        }
                    }
                }
            });
        }
    }

    /** {@code dx += col2im(dcol)} for one tile: each column entry goes back to the input tap it was read from. */
    private static void col2im(ConvGeometry c, int b, int g, int oy, int x0, int nt, float[] dcol, MemorySegment xs) {
        int width = c.w(), sw = c.strideW();
        for (int ci = 0; ci < c.cpg(); ci++) {
            for (int ky = 0; ky < c.kh(); ky++) {
                int iy = oy * c.strideH() - c.padH() + ky;
                if (iy < 0 || iy >= c.h()) {
                    continue;
                }
                long xr = c.inputRow(b, g, ci, iy);
                for (int kx = 0; kx < c.kw(); kx++) {
                    int at = ((ci * c.kh() + ky) * c.kw() + kx) * nt, shift = kx - c.padW();
                    if (sw == 1) {
                        int first = x0 + shift;
                        int lo = Math.max(0, -first), hi = Math.min(nt, width - first);
                        if (hi > lo) {
                            addInto(xs, xr + first + lo, dcol, at + lo, hi - lo);
                        }
                    } else {
                        for (int t = 0; t < nt; t++) {
                            int ix = (x0 + t) * sw + shift;
                            if (ix >= 0 && ix < width) {
                                xs.setAtIndex(F, xr + ix, xs.getAtIndex(F, xr + ix) + dcol[at + t]);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The plain Vector API tiles: the weight transposed once per call to {@code [kk x coutPg]} per group, an
     * im2col tile built transposed ({@code [nt x kk]}) so that both products are {@link VectorGemm} calls.
     */
    static Plan vectorPlan(ConvGeometry c, Tensor x, Tensor w, Tensor dy, int tile) {
        int kk = c.kk(), coutPg = c.coutPg();
        float[] wt = new float[c.cout() * kk];
        MemorySegment ws = w.data();
        for (int g = 0; g < c.groups(); g++) {
            for (int co = 0; co < coutPg; co++) {
                for (int r = 0; r < kk; r++) {
                    wt[(g * kk + r) * coutPg + co] = ws.getAtIndex(F, ((long) g * coutPg + co) * kk + r);
                }
            }
        }
        MemorySegment wts = MemorySegment.ofArray(wt), xs = x.data(), gs = dy.data();
        int plane = Math.toIntExact(c.plane());
        int tw = tileWidth(c, tile);
        return new Plan(tile, () -> new Tiles() {
            private final float[] colT = new float[tw * kk];
            private final float[] dyTile = new float[coutPg * tw];

            @Override
            public void weightGradient(int b, int g, int oy, int x0, int nt, MemorySegment dw, long dwOff) {
                for (int ci = 0; ci < c.cpg(); ci++) {
                    for (int ky = 0; ky < c.kh(); ky++) {
                        int iy = oy * c.strideH() - c.padH() + ky;
                        boolean rowIn = iy >= 0 && iy < c.h();
                        long xr = rowIn ? c.inputRow(b, g, ci, iy) : 0;
                        for (int kx = 0; kx < c.kw(); kx++) {
                            int r = (ci * c.kh() + ky) * c.kw() + kx;
                            for (int t = 0; t < nt; t++) {
                                int ix = (x0 + t) * c.strideW() - c.padW() + kx;
                                colT[t * kk + r] = rowIn && ix >= 0 && ix < c.w() ? xs.getAtIndex(F, xr + ix) : 0f;
                            }
                        }
                    }
                }
                VectorGemm.gemm(gs, c.outputOffset(b, g, oy, x0), plane, colT, 0, kk, dw, dwOff, kk, null, 0, coutPg,
                        kk, nt, true);
            }

            @Override
            public void columnGradient(int b, int g, int oy, int x0, int nt, float[] dcol) {
                long o = c.outputOffset(b, g, oy, x0);
                for (int co = 0; co < coutPg; co++) {
                    MemorySegment.copy(gs, F, (o + (long) co * plane) * Float.BYTES, dyTile, co * nt, nt);
                }
                VectorGemm.gemm(wts, (long) g * kk * coutPg, coutPg, dyTile, 0, nt, MemorySegment.ofArray(dcol), 0,
                        nt, null, 0, kk, nt, coutPg, false);
            }

            @Override
            public void close() {
            }
        });
    }

    static double sum(MemorySegment s, long o, long n) {
        double acc = 0;
        long i = 0;
        while (i + VectorGemm.L <= n) {
            FloatVector block = FloatVector.zero(VectorGemm.S);
            for (int k = 0; k < 64 && i + VectorGemm.L <= n; k++, i += VectorGemm.L) {
                block = block.add(FloatVector.fromMemorySegment(VectorGemm.S, s, (o + i) * 4, LE));
            }
            acc += VectorMath.sum(block);
        }
        for (; i < n; i++) {
            acc += s.getAtIndex(F, o + i);
        }
        return acc;
    }

    /** {@code dst[at, at + n) += src[from, from + n)} on float segments. */
    static void addInto(MemorySegment dst, long at, MemorySegment src, long from, long n) {
        long i = 0;
        for (; i + VectorGemm.L <= n; i += VectorGemm.L) {
            FloatVector.fromMemorySegment(VectorGemm.S, dst, (at + i) * 4, LE)
                    .add(FloatVector.fromMemorySegment(VectorGemm.S, src, (from + i) * 4, LE))
                    .intoMemorySegment(dst, (at + i) * 4, LE);
        }
        for (; i < n; i++) {
            dst.setAtIndex(F, at + i, dst.getAtIndex(F, at + i) + src.getAtIndex(F, from + i));
        }
    }

    /** {@code dst[at, at + n) += src[from, from + n)} from a float array. */
    static void addInto(MemorySegment dst, long at, float[] src, int from, int n) {
        int i = 0;
        for (; i + VectorGemm.L <= n; i += VectorGemm.L) {
            FloatVector.fromMemorySegment(VectorGemm.S, dst, (at + i) * 4, LE)
                    .add(FloatVector.fromArray(VectorGemm.S, src, from + i))
                    .intoMemorySegment(dst, (at + i) * 4, LE);
        }
        for (; i < n; i++) {
            dst.setAtIndex(F, at + i, dst.getAtIndex(F, at + i) + src[from + i]);
        }
    }
}
