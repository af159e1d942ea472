package org.sdd4j.backend.cpu.dnnl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.sdd4j.nativelib.dnnl.dnnl_h.*;

/**
 * A float32 forward convolution (Conv1d, Conv2d or Conv3d, with groups, stride, asymmetric padding,
 * dilation and optional bias) built once for one {@link ConvolutionShape} and executed on caller-owned
 * buffers in PyTorch's dense layouts. {@link OneDnn#convolution} keeps a cache of these; build one
 * directly to own its lifetime.
 */
public final class ConvolutionPrimitive extends DnnlPrimitive {
    private final ConvolutionShape shape;
    private final long srcFloats;
    private final long weightFloats;
    private final long dstFloats;

    public ConvolutionPrimitive(OneDnn oneDnn, ConvolutionShape shape) {
        this(oneDnn, shape, Descs.of(shape));
    }

    private ConvolutionPrimitive(OneDnn oneDnn, ConvolutionShape shape, Descs d) {
        super(oneDnn, d.primitiveDesc(oneDnn, shape), d.argKinds(), d.descs(), "convolution");
        d.destroy();
        this.shape = shape;
        this.srcFloats = ConvolutionShape.elements(shape.srcDims());
        this.weightFloats = ConvolutionShape.elements(shape.weightDims());
        this.dstFloats = ConvolutionShape.elements(shape.dstDims());
    }

    public ConvolutionShape shape() {
        return shape;
    }

    /**
     * dst = conv(src, weights) + bias.
     *
     * @param bias O floats, or null exactly when the shape has no bias
     */
    public void execute(MemorySegment src, MemorySegment weights, MemorySegment bias, MemorySegment dst) {
        MemoryDescs.requireFloats(src, srcFloats, "convolution src");
        MemoryDescs.requireFloats(weights, weightFloats, "convolution weights");
        MemoryDescs.requireFloats(dst, dstFloats, "convolution dst");
        if (shape.bias()) {
            MemoryDescs.requireFloats(bias, shape.outChannels(), "convolution bias");
            run(src, weights, bias, dst);
        } else {
            if (bias != null) {
                throw new IllegalArgumentException("convolution bias given, but the shape has bias=false");
            }
            run(src, weights, dst);
        }
    }

    /** The memory descriptors of one shape, alive until the primitive and its memories exist. */
    private record Descs(Arena arena, MemorySegment src, MemorySegment weights, MemorySegment bias,
                         MemorySegment dst) {
        static Descs of(ConvolutionShape s) {
            Arena arena = Arena.ofConfined();
            int rank = s.spatialRank();
            int plainTag = switch (rank) {
                case 1 -> dnnl_abc();
                case 2 -> dnnl_abcd();
                default -> dnnl_abcde();
            };
            MemorySegment src = MemoryDescs.withTag(arena, plainTag, s.srcDims());
            MemorySegment dst = MemoryDescs.withTag(arena, plainTag, s.dstDims());
            MemorySegment weights;
            if (s.groups() == 1) {
                weights = MemoryDescs.withTag(arena, plainTag, s.weightDims());
            } else {
                // oneDNN's grouped weights G x O/G x C/G x k... are the same bytes as PyTorch's O x C/G x k...
                long[] w = s.weightDims();
                long[] grouped = new long[w.length + 1];
                grouped[0] = s.groups();
                grouped[1] = w[0] / s.groups();
                System.arraycopy(w, 1, grouped, 2, w.length - 1);
                int groupedTag = switch (rank) {
                    case 1 -> dnnl_abcd();
                    case 2 -> dnnl_abcde();
                    default -> throw new IllegalArgumentException("grouped Conv3d is not supported");
                };
                weights = MemoryDescs.withTag(arena, groupedTag, grouped);
            }
            MemorySegment bias = s.bias() ? MemoryDescs.withTag(arena, dnnl_a(), s.outChannels()) : null;
            return new Descs(arena, src, weights, bias, dst);
        }

        MemorySegment primitiveDesc(OneDnn oneDnn, ConvolutionShape s) {
            int rank = s.spatialRank();
            long[] strides = new long[rank];
            long[] dilates = new long[rank];
            long[] padL = new long[rank];
            long[] padR = new long[rank];
            for (int i = 0; i < rank; i++) {
                strides[i] = s.stride().get(i);
                dilates[i] = s.dilation().get(i) - 1; // oneDNN counts the gaps: 0 = dense kernel
                padL[i] = s.padBefore().get(i);
                padR[i] = s.padAfter().get(i);
            }
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            try {
                DnnlException.check(dnnl_convolution_forward_primitive_desc_create(out, oneDnn.engine(),
                        dnnl_forward_inference(), dnnl_convolution_direct(), src, weights,
                        bias == null ? MemorySegment.NULL : bias, dst, MemoryDescs.dims(arena, strides),
                        MemoryDescs.dims(arena, dilates), MemoryDescs.dims(arena, padL), MemoryDescs.dims(arena, padR),
                        MemorySegment.NULL), "convolution_forward_primitive_desc_create for " + s);
            } catch (RuntimeException e) {
                destroy();
                throw e;
            }
            return out.get(ValueLayout.ADDRESS, 0);
        }

        int[] argKinds() {
            return bias == null
                    ? new int[] {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_DST()}
                    : new int[] {DNNL_ARG_SRC(), DNNL_ARG_WEIGHTS(), DNNL_ARG_BIAS(), DNNL_ARG_DST()};
        }

        MemorySegment[] descs() {
            return bias == null ? new MemorySegment[] {src, weights, dst}
                    : new MemorySegment[] {src, weights, bias, dst};
        }

        void destroy() {
            if (arena.scope().isAlive()) {
                MemoryDescs.destroy(src);
                MemoryDescs.destroy(weights);
                MemoryDescs.destroy(bias);
                MemoryDescs.destroy(dst);
                arena.close();
            }
        }
    }
}
