package org.sdd4j.backend.cpu.dnnl;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a float32 forward convolution with PyTorch's conventions: src N x C x spatial, weights
 * O x C/groups x kernel, bias O, dst N x O x output spatial, all dense row-major. Spatial lists have one
 * entry per spatial dimension (1 for Conv1d, 2 for Conv2d, height first). Dilation is PyTorch's
 * (1 = none); padding may differ before and after. A value type: used as the primitive cache key.
 */
public record ConvolutionShape(int batch, int inChannels, int outChannels, int groups, List<Integer> input,
                               List<Integer> kernel, List<Integer> stride, List<Integer> padBefore,
                               List<Integer> padAfter, List<Integer> dilation, boolean bias) {

    public ConvolutionShape {
        input = List.copyOf(input);
        kernel = List.copyOf(kernel);
        stride = List.copyOf(stride);
        padBefore = List.copyOf(padBefore);
        padAfter = List.copyOf(padAfter);
        dilation = List.copyOf(dilation);
        int rank = input.size();
        if (rank < 1 || rank > 3) {
            throw new IllegalArgumentException("convolution needs 1 to 3 spatial dimensions, got " + rank);
        }
        for (List<Integer> l : List.of(kernel, stride, padBefore, padAfter, dilation)) {
            if (l.size() != rank) {
                throw new IllegalArgumentException("convolution " + describe(batch, inChannels, outChannels, groups,
                        input, kernel, stride, padBefore, padAfter, dilation) + ": every spatial list needs " + rank
                        + " entries");
            }
        }
        if (batch < 1 || inChannels < 1 || outChannels < 1 || groups < 1
                || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("convolution: batch, channels and groups must be >= 1 and both"
                    + " channel counts divisible by groups; got batch " + batch + ", in " + inChannels + ", out "
                    + outChannels + ", groups " + groups);
        }
        for (int i = 0; i < rank; i++) {
            if (input.get(i) < 1 || kernel.get(i) < 1 || stride.get(i) < 1 || dilation.get(i) < 1
                    || padBefore.get(i) < 0 || padAfter.get(i) < 0) {
                throw new IllegalArgumentException("convolution: sizes, kernel, stride and dilation must be >= 1,"
                        + " padding >= 0; got " + describe(batch, inChannels, outChannels, groups, input, kernel,
                        stride, padBefore, padAfter, dilation));
            }
            if (outputSize(input.get(i), kernel.get(i), stride.get(i), padBefore.get(i), padAfter.get(i),
                    dilation.get(i)) < 1) {
                throw new IllegalArgumentException("convolution: the dilated kernel does not fit the padded input"
                        + " in spatial dimension " + i + ": " + describe(batch, inChannels, outChannels, groups,
                        input, kernel, stride, padBefore, padAfter, dilation));
            }
        }
    }

    /** A Conv1d over src N x C x L. */
    public static ConvolutionShape conv1d(int batch, int inChannels, int length, int outChannels, int kernel,
                                          int stride, int padLeft, int padRight, int dilation, int groups,
                                          boolean bias) {
        return new ConvolutionShape(batch, inChannels, outChannels, groups, List.of(length), List.of(kernel),
                List.of(stride), List.of(padLeft), List.of(padRight), List.of(dilation), bias);
    }

    /** A Conv2d over src N x C x H x W; each pair is (height, width), padding (top, bottom, left, right). */
    public static ConvolutionShape conv2d(int batch, int inChannels, int height, int width, int outChannels,
                                          int kernelH, int kernelW, int strideH, int strideW, int padTop,
                                          int padBottom, int padLeft, int padRight, int dilationH, int dilationW,
                                          int groups, boolean bias) {
        return new ConvolutionShape(batch, inChannels, outChannels, groups, List.of(height, width),
                List.of(kernelH, kernelW), List.of(strideH, strideW), List.of(padTop, padLeft),
                List.of(padBottom, padRight), List.of(dilationH, dilationW), bias);
    }

    /** Number of spatial dimensions. */
    public int spatialRank() {
        return input.size();
    }

    /** Output spatial sizes. */
    public List<Integer> output() {
        List<Integer> out = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            out.add(outputSize(input.get(i), kernel.get(i), stride.get(i), padBefore.get(i), padAfter.get(i),
                    dilation.get(i)));
        }
        return List.copyOf(out);
    }

    /** src dims: N, C, spatial... */
    public long[] srcDims() {
        return dims(batch, inChannels, input);
    }

    /** dst dims: N, O, output spatial... */
    public long[] dstDims() {
        return dims(batch, outChannels, output());
    }

    /** weights dims in PyTorch's order: O, C/groups, kernel... */
    public long[] weightDims() {
        return dims(outChannels, inChannels / groups, kernel);
    }

    static long elements(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static long[] dims(int a, int b, List<Integer> rest) {
        long[] d = new long[2 + rest.size()];
        d[0] = a;
        d[1] = b;
        for (int i = 0; i < rest.size(); i++) {
            d[2 + i] = rest.get(i);
        }
        return d;
    }

    private static int outputSize(int in, int kernel, int stride, int padBefore, int padAfter, int dilation) {
        long span = (long) (kernel - 1) * dilation + 1;
        long padded = (long) in + padBefore + padAfter;
        return padded < span ? 0 : (int) ((padded - span) / stride + 1);
    }

    private static String describe(int batch, int in, int out, int groups, List<Integer> input, List<Integer> kernel,
                                   List<Integer> stride, List<Integer> padBefore, List<Integer> padAfter,
                                   List<Integer> dilation) {
        return "[batch " + batch + ", in " + in + ", out " + out + ", groups " + groups + ", input " + input
                + ", kernel " + kernel + ", stride " + stride + ", pad " + padBefore + "/" + padAfter
                + ", dilation " + dilation + "]";
    }
}
