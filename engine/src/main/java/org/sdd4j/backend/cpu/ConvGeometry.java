package org.sdd4j.backend.cpu;

import org.sdd4j.tensor.Tensor;

/**
 * The sizes of one 2-D convolution (a 1-D one is height 1), in the im2col view the CPU providers use:
 * per group, the weight is a {@code coutPg x kk} matrix and each output position a column of
 * {@code kk = cpg * kh * kw} input taps.
 */
public record ConvGeometry(int batch, int cin, int h, int w, int cout, int kh, int kw, int hout, int wout,
                           int strideH, int strideW, int padH, int padW, int groups) {

    /** The geometry of a conv2d with input {@code x [B, Cin, H, W]}, weight {@code [Cout, Cin/g, kh, kw]}, output {@code y}. */
    public static ConvGeometry of2d(Tensor x, Tensor weight, Tensor y, int strideH, int strideW, int padH, int padW,
                                    int groups) {
        return new ConvGeometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), weight.dim(0), weight.dim(2), weight.dim(3),
                y.dim(2), y.dim(3), strideH, strideW, padH, padW, groups);
    }

    /** The geometry of a conv1d ({@code [B, C, L]}) as a conv2d of height 1. */
    public static ConvGeometry of1d(Tensor x, Tensor weight, Tensor y, int stride, int padding, int groups) {
        return new ConvGeometry(x.dim(0), x.dim(1), 1, x.dim(2), weight.dim(0), 1, weight.dim(2), 1, y.dim(2), 1,
                stride, 0, padding, groups);
    }

    /** Input channels per group. */
    public int cpg() {
        return cin / groups;
    }

    /** Output channels per group. */
    public int coutPg() {
        return cout / groups;
    }

    /** Rows of the im2col matrix: the taps one output reads in one group. */
    public int kk() {
        return cpg() * kh * kw;
    }

    /** Output positions per channel. */
    public long plane() {
        return (long) hout * wout;
    }

    /** Element offset of {@code dy[b, g * coutPg, oy, ox]} (the first row of a group's tile). */
    public long outputOffset(int b, int g, int oy, int ox) {
        return ((long) b * cout + (long) g * coutPg()) * plane() + (long) oy * wout + ox;
    }

    /** Element offset of the row {@code x[b, g * cpg + ci, iy, 0]}. */
    public long inputRow(int b, int g, int ci, int iy) {
        return (((long) b * cin + (long) g * cpg() + ci) * h + iy) * w;
    }
}
