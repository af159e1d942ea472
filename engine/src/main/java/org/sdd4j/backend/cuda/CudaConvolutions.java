package org.sdd4j.backend.cuda;

import org.sdd4j.tensor.Tensor;

import static org.sdd4j.backend.cuda.CudaKernels.Ptr;

/**
 * Convolutions on the GPU, forward and backward (kernels/conv.cu and cuBLASLt): per batch item, im2col into a
 * column buffer and one strided-batched product over the groups; the input gradient folds the column gradient
 * back with col2im. 1-D convolutions are 2-D ones of height 1. Why not cuDNN: see {@link CudaBackend}.
 */
final class CudaConvolutions {
    private final Launcher l;

    CudaConvolutions(Launcher launcher) {
        this.l = launcher;
    }

    void conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out) {
        conv2d(as2d(x), as2d(w), bias, 1, stride, 0, padding, groups, as2d(out));
    }

    void conv1dBackward(Tensor x, Tensor w, Tensor dy, int stride, int padding, int groups, Tensor dx,
                        Tensor dw, Tensor db) {
        conv2dBackward(as2d(x), as2d(w), as2d(dy), 1, stride, 0, padding, groups, as2d(dx), as2d(dw), db);
    }

    private static Tensor as2d(Tensor t) {
        return t == null ? null : t.reshape(t.dim(0), t.dim(1), 1, t.dim(2));
    }

    /** The shape of one convolution, in the terms of kernels/conv.cu. */
    private record ConvShape(int batch, int cin, int h, int w, int cout, int kh, int kw, int hout, int wout,
                             int groups) {
        static ConvShape of(Tensor x, Tensor wt, Tensor y, int groups) {
            return new ConvShape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), wt.dim(0), wt.dim(2), wt.dim(3), y.dim(2),
                    y.dim(3), groups);
        }

        long positions() {
            return (long) hout * wout;
        }

        /** Rows of one group's column block: its input channels times the kernel area. */
        int groupRows() {
            return cin / groups * kh * kw;
        }

        long columnFloats() {
            return (long) cin * kh * kw * positions();
        }
    }

    private void im2col(Tensor x, int item, ConvShape s, int sh, int sw, int ph, int pw, DeviceBuffer col) {
        l.launch("im2col", l.grid(s.columnFloats()), Launcher.BLOCK, l.p(x, (long) item * s.cin * s.h * s.w),
                new Ptr(col.address()), s.cin, s.h, s.w, s.kh, s.kw, sh, sw, ph, pw, s.hout, s.wout);
    }

    void conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups,
                Tensor out) {
        ConvShape s = ConvShape.of(x, w, out, groups);
        int coutg = s.cout / groups, kg = s.groupRows();
        long pos = s.positions();
        DeviceBuffer col = l.memory.take(Math.max(4, s.columnFloats() * 4));
        for (int b = 0; b < s.batch; b++) {
            im2col(x, b, s, strideH, strideW, padH, padW, col);
            // Per group: y_g[coutg, P] = w_g[coutg, Kg] @ col_g[Kg, P]; the groups are one strided batch.
            l.gpu.matmul(false, false, coutg, (int) pos, kg, l.addr(w), (long) coutg * kg, col.address(), kg * pos,
                    l.addr(out) + 4L * b * s.cout * pos, coutg * pos, groups, false, 0);
        }
        l.memory.give(col);
        if (bias != null) {
            long n = (long) s.batch * s.cout * pos;
            l.launch("channel_bias_add", l.grid(n), Launcher.BLOCK, l.p(out), l.p(bias), n, s.cout, pos);
        }
    }

    void conv2dBackward(Tensor x, Tensor w, Tensor dy, int strideH, int strideW, int padH, int padW,
                        int groups, Tensor dx, Tensor dw, Tensor db) {
        ConvShape s = ConvShape.of(x, w, dy, groups);
        int coutg = s.cout / groups, kg = s.groupRows();
        long pos = s.positions();
        DeviceBuffer col = l.memory.take(Math.max(4, s.columnFloats() * 4));
        for (int b = 0; b < s.batch; b++) {
            long dyItem = l.addr(dy) + 4L * b * s.cout * pos;
            if (dw != null) { // dw_g[coutg, Kg] += dy_g[coutg, P] @ col_g^T
                im2col(x, b, s, strideH, strideW, padH, padW, col);
                l.gpu.matmul(false, true, coutg, kg, (int) pos, dyItem, coutg * pos, col.address(), kg * pos, l.addr(dw),
                        (long) coutg * kg, groups, true, 0);
            }
            if (dx != null) { // dcol_g[Kg, P] = w_g^T @ dy_g, folded back into dx
                l.gpu.matmul(true, false, kg, (int) pos, coutg, l.addr(w), (long) coutg * kg, dyItem, coutg * pos,
                        col.address(), kg * pos, groups, false, 0);
                l.launch("col2im", l.grid((long) s.cin * s.h * s.w), Launcher.BLOCK, new Ptr(col.address()),
                        l.p(dx, (long) b * s.cin * s.h * s.w), s.cin, s.h, s.w, s.kh, s.kw, strideH, strideW, padH, padW,
                        s.hout, s.wout);
            }
        }
        l.memory.give(col);
        if (db != null) {
            l.launch("channel_bias_grad", s.cout, Launcher.BLOCK, l.p(dy), l.p(db), s.batch, s.cout, pos);
        }
    }
}
