package org.sdd4j.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.sdd4j.nativelib.cuda.cuda_h;

import static org.sdd4j.nativelib.CudaErrors.check;

/**
 * sdd4j's own CUDA kernels (kernels/*.cu), loaded from the fatbin the build packages as the class-path
 * resource {@value #RESOURCE}, and launched through the driver API. Each kernel's grid and block follow the
 * header comment of its .cu file.
 */
public final class CudaKernels implements AutoCloseable {
    /** Where the build puts the fatbin (kernels/build.sh, engine profile cuda-kernels). */
    public static final String RESOURCE = "org/sdd4j/backend/cuda/sdd4j_kernels.fatbin";

    /** Every kernel the fatbin must export; checked without a GPU by the build's tests. */
    public static final List<String> NAMES = List.of(
            "activation_forward", "activation_backward", "softmax_forward", "softmax_backward",
            "layernorm_forward", "layernorm_backward_input", "layernorm_backward_params",
            "groupnorm_forward", "groupnorm_backward_input", "groupnorm_backward_params",
            "cross_entropy_forward", "cross_entropy_backward", "grpo_loss_forward", "grpo_loss_backward",
            "adam_step", "maxpool2d_forward", "maxpool2d_backward",
            "batchnorm_eval_forward", "batchnorm_train_forward", "batchnorm_backward", "batchnorm_eval_backward",
            "layernorm_channels_forward", "layernorm_channels_backward_input", "layernorm_channels_backward_params",
            "add_broadcast", "mul_broadcast", "mul_broadcast_backward_a", "broadcast_reduce", "scale",
            "maximum_forward", "maximum_backward", "permute_copy", "copy_blocks", "reduce_forward", "reduce_backward",
            "im2col", "col2im", "channel_bias_add", "channel_bias_grad",
            "pairwise_product_forward", "pairwise_product_backward", "pair_scores_forward", "pair_scores_backward_h",
            "pair_scores_backward_w", "gather_scaled_forward", "gather_scaled_backward", "attentive_pool_forward",
            "attentive_pool_backward", "dropout_forward", "dropout_backward", "weightnorm_norms", "weightnorm_forward",
            "weightnorm_backward_dot", "weightnorm_backward_v", "sum_squares", "topk_rank");

    /** A device pointer argument (null pointers are {@code new Ptr(0)}). */
    public record Ptr(long address) {
        public static final Ptr NULL = new Ptr(0);
    }

    private final CudaContext context;
    private final MemorySegment module;
    private final Map<String, MemorySegment> functions = new HashMap<>();

    public CudaKernels(CudaContext context) {
        this.context = context;
        byte[] image = fatbin();
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(image.length + 1L, 16);
            MemorySegment.copy(image, 0, data, ValueLayout.JAVA_BYTE, 0, image.length);
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(cuda_h.cuModuleLoadData(out, data), "cuModuleLoadData(" + RESOURCE + ", " + image.length + " bytes)");
            module = out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /**
     * The fatbin's bytes.
     *
     * @throws IllegalStateException when this build has none (it was built where nvcc was missing)
     */
    public static byte[] fatbin() {
        try (InputStream in = CudaKernels.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("this sdd4j build has no CUDA kernels (" + RESOURCE + " is not on"
                        + " the class path): it was built without nvcc. Rebuild where /usr/local/cuda/bin/nvcc or"
                        + " $CUDA_HOME/bin/nvcc exists.");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + ": " + e, e);
        }
    }

    /**
     * cuLaunchKernel's {@code kernelParams} for {@code args}, allocated in {@code arena}: an array of pointers,
     * each to one argument's value. Arguments are {@link Integer}, {@link Long}, {@link Float}, {@link Double}
     * or {@link Ptr}, in the kernel's parameter order and C types ({@code int}, {@code long long},
     * {@code float}, {@code double}, pointers).
     */
    public static MemorySegment marshal(Arena arena, String name, Object... args) {
        MemorySegment params = arena.allocate(ValueLayout.ADDRESS, Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) {
            MemorySegment slot = switch (args[i]) {
                case Integer v -> arena.allocateFrom(ValueLayout.JAVA_INT, v);
                case Long v -> arena.allocateFrom(ValueLayout.JAVA_LONG, v);
                case Float v -> arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
                case Double v -> arena.allocateFrom(ValueLayout.JAVA_DOUBLE, v);
                case Ptr p -> arena.allocateFrom(ValueLayout.JAVA_LONG, p.address());
                default -> throw new IllegalArgumentException("kernel " + name + " argument " + i + " is a "
                        + args[i].getClass().getSimpleName() + "; use Integer, Long, Float, Double or Ptr");
            };
            params.setAtIndex(ValueLayout.ADDRESS, i, slot);
        }
        return params;
    }

    /** Queues kernel {@code name} on the context's stream with {@link #marshal}led {@code params}. */
    public void launch(String name, int grid, int block, MemorySegment params) {
        context.makeCurrent();
        MemorySegment f = functions.computeIfAbsent(name, this::lookup);
        // cuLaunchKernel copies the argument values before it returns, so the caller's arena may close after it.
        check(cuda_h.cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, context.stream(), params, MemorySegment.NULL),
                "cuLaunchKernel(" + name + ", grid " + grid + ", block " + block + ")");
    }

    private MemorySegment lookup(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(cuda_h.cuModuleGetFunction(out, module, arena.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    @Override
    public void close() {
        context.makeCurrent();
        check(cuda_h.cuModuleUnload(module), "cuModuleUnload");
    }
}
