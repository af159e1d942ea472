package org.sdd4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-threaded float32 matrix product {@code C[M, N] (+)= A[M, K] @ B[K, N]} with the Vector API:
 * 4 rows of A by 3 vectors of B held in 12 accumulators, the register tile that keeps the FMA units
 * busy on AVX-512 and AVX2 alike. A is read in place from a memory segment (weights, mapped from the
 * checkpoint); B is a packed float[] the caller builds (an im2col buffer or a transposed activation).
 * Callers split work across threads; this class never does.
 */
public final class VectorGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorGemm() {
    }

    /**
     * @param a    A's segment, element offset {@code aOff}, row stride {@code lda}
     * @param b    B as a float array, row stride {@code ldb}
     * @param c    C's segment, element offset {@code cOff}, row stride {@code ldc}
     * @param bias per-row bias (indexed by A's row, offset {@code biasOff}) or null; used only when not accumulating
     * @param accumulate add into C instead of overwriting it
     */
    public static void gemm(MemorySegment a, long aOff, int lda, float[] b, int ldb, MemorySegment c, long cOff,
                            int ldc, MemorySegment bias, long biasOff, int m, int n, int k, boolean accumulate) {
        gemm(a, aOff, lda, b, 0, ldb, c, cOff, ldc, bias, biasOff, m, n, k, accumulate);
    }

    /** As above, with B starting at element {@code bOff} of its array (a column block of a wider B). */
    public static void gemm(MemorySegment a, long aOff, int lda, float[] b, int bOff, int ldb, MemorySegment c,
                            long cOff, int ldc, MemorySegment bias, long biasOff, int m, int n, int k,
                            boolean accumulate) {
        int j = 0;
        for (; j + 3 * L <= n; j += 3 * L) {
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                tile4x3(a, aOff + (long) i * lda, lda, b, ldb, bOff + j, c, cOff + (long) i * ldc + j, ldc, bias,
                        biasOff + i, k, accumulate);
            }
            for (; i < m; i++) {
                for (int v = 0; v < 3; v++) {
                    row(a, aOff + (long) i * lda, b, ldb, bOff + j + v * L, S.maskAll(true), c,
                            cOff + (long) i * ldc + j + v * L, bias, biasOff + i, k, accumulate);
                }
            }
        }
        for (; j < n; j += L) {
            VectorMask<Float> mask = S.indexInRange(j, n);
            for (int i = 0; i < m; i++) {
                row(a, aOff + (long) i * lda, b, ldb, bOff + j, mask, c, cOff + (long) i * ldc + j, bias, biasOff + i, k,
                        accumulate);
            }
        }
    }

    private static void tile4x3(MemorySegment a, long aRow, int lda, float[] b, int ldb, int j, MemorySegment c,
                                long cAt, int ldc, MemorySegment bias, long biasAt, int k, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        long a0 = aRow, a1 = aRow + lda, a2 = aRow + 2L * lda, a3 = aRow + 3L * lda;
        for (int p = 0, bo = j; p < k; p++, bo += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a.getAtIndex(F, a0 + p));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a.getAtIndex(F, a1 + p));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a.getAtIndex(F, a2 + p));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a.getAtIndex(F, a3 + p));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
        }
        store(c, cAt, c00, c01, c02, bias, biasAt, accumulate);
        store(c, cAt + ldc, c10, c11, c12, bias, biasAt + 1, accumulate);
        store(c, cAt + 2L * ldc, c20, c21, c22, bias, biasAt + 2, accumulate);
        store(c, cAt + 3L * ldc, c30, c31, c32, bias, biasAt + 3, accumulate);
    }

    private static void store(MemorySegment c, long at, FloatVector v0, FloatVector v1, FloatVector v2,
                              MemorySegment bias, long biasAt, boolean accumulate) {
        long byteAt = at * 4;
        if (accumulate) {
            v0 = v0.add(FloatVector.fromMemorySegment(S, c, byteAt, LE));
            v1 = v1.add(FloatVector.fromMemorySegment(S, c, byteAt + 4L * L, LE));
            v2 = v2.add(FloatVector.fromMemorySegment(S, c, byteAt + 8L * L, LE));
        } else if (bias != null) {
            float bv = bias.getAtIndex(F, biasAt);
            v0 = v0.add(bv);
            v1 = v1.add(bv);
            v2 = v2.add(bv);
        }
        v0.intoMemorySegment(c, byteAt, LE);
        v1.intoMemorySegment(c, byteAt + 4L * L, LE);
        v2.intoMemorySegment(c, byteAt + 8L * L, LE);
    }

    private static void row(MemorySegment a, long aRow, float[] b, int ldb, int j, VectorMask<Float> mask,
                            MemorySegment c, long cAt, MemorySegment bias, long biasAt, int k, boolean accumulate) {
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0, bo = j; p < k; p++, bo += ldb) {
            acc = FloatVector.broadcast(S, a.getAtIndex(F, aRow + p)).fma(FloatVector.fromArray(S, b, bo, mask), acc);
        }
        if (accumulate) {
            acc = acc.add(FloatVector.fromMemorySegment(S, c, cAt * 4, LE, mask));
        } else if (bias != null) {
            acc = acc.add(bias.getAtIndex(F, biasAt));
        }
        acc.intoMemorySegment(c, cAt * 4, LE, mask);
    }
}
