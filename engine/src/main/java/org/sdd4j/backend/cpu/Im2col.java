package org.sdd4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The im2col tile both CPU providers multiply: for one output row {@code oy} and the output columns
 * {@code [x0, x0 + nt)} of one group, row {@code (ci, ky, kx)} holds the input values those outputs read
 * (zero where the window hangs over the padding). A 1-D convolution is the case {@code h = kh = 1}.
 */
public final class Im2col {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Im2col() {
    }

    /**
     * Fills {@code col[(ci * kh + ky) * kw + kx][t]} (row length {@code nt}).
     *
     * @param xGroup element offset of {@code x[b, g * cpg, 0, 0]}
     */
    public static void tile(MemorySegment xs, long xGroup, int cpg, int h, int wd, int kh, int kw, int oy, int x0,
                            int nt, int strideH, int strideW, int padH, int padW, float[] col) {
        for (int ci = 0; ci < cpg; ci++) {
            long xo = xGroup + (long) ci * h * wd;
            for (int ky = 0; ky < kh; ky++) {
                int iy = oy * strideH - padH + ky;
                for (int kx = 0; kx < kw; kx++) {
                    int row = ((ci * kh + ky) * kw + kx) * nt;
                    if (iy < 0 || iy >= h) {
                        Arrays.fill(col, row, row + nt, 0f);
                    } else {
                        row(xs, xo + (long) iy * wd, wd, x0, nt, strideW, kx - padW, col, row);
                    }
                }
            }
        }
    }

    /**
     * One row: {@code col[at + t] = x[xRow + (x0 + t) * stride + shift]}, zero outside {@code [0, width)}.
     * With stride 1 the in-range part is one contiguous block, copied in bulk.
     */
    private static void row(MemorySegment xs, long xRow, int width, int x0, int nt, int stride, int shift,
                            float[] col, int at) {
        if (stride == 1) {
            int first = x0 + shift;
            int lo = Math.max(0, -first), hi = Math.min(nt, width - first);
            if (hi <= lo) {
                Arrays.fill(col, at, at + nt, 0f);
                return;
            }
            Arrays.fill(col, at, at + lo, 0f);
            MemorySegment.copy(xs, F, (xRow + first + lo) * Float.BYTES, col, at + lo, hi - lo);
            Arrays.fill(col, at + hi, at + nt, 0f);
            return;
        }
        for (int t = 0; t < nt; t++) {
            int ix = (x0 + t) * stride + shift;
            col[at + t] = ix >= 0 && ix < width ? xs.getAtIndex(F, xRow + ix) : 0f;
        }
    }
}
