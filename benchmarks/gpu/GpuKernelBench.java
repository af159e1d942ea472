import java.lang.foreign.Arena;
import java.util.Random;

import org.sdd4j.backend.Activation;
import org.sdd4j.backend.AdamUpdate;
import org.sdd4j.backend.cuda.CudaBackend;
import org.sdd4j.backend.cuda.MatmulPrecision;
import org.sdd4j.nativelib.CudaLibraries;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * Times sdd4j's memory-bound kernels at XLS-R sizes and prints the achieved bandwidth (bytes each kernel
 * must move once, over its median time), then the device's ceilings ("PEAK" lines): copy bandwidth and
 * matrix-product throughput in float32, TF32 and bfloat16, the denominators of the floors.
 */
public final class GpuKernelBench {
    private static final int WARMUP = 5, ITERS = 50;

    public static void main(String[] args) {
        System.out.println(CudaLibraries.probe().describe());
        try (CudaBackend gpu = new CudaBackend(MatmulPrecision.FLOAT32); Arena arena = Arena.ofConfined()) {
            int rows = 8 * 201, d = 1024; // batch 8 of 4 s audio at 50 frames/s, XLS-R 300M width
            long n = (long) rows * d;
            Tensor host = Tensor.zeros(arena, DType.F32, rows, d);
            Random r = new Random(1);
            for (long i = 0; i < n; i++) {
                host.setFloat(i, (float) r.nextGaussian());
            }
            Tensor x = gpu.toDevice(host, arena), y = gpu.allocate(arena, true, rows, d);
            Tensor dy = gpu.toDevice(host, arena), dx = gpu.allocate(arena, true, rows, d);
            Tensor w = gpu.toDevice(host.reshape(rows * d).slice0(0, d), arena), b = gpu.allocate(arena, true, d);
            Tensor dw = gpu.allocate(arena, true, d), db = gpu.allocate(arena, true, d);
            Tensor m = gpu.allocate(arena, true, rows, d), v = gpu.allocate(arena, true, rows, d);
            System.out.printf("%-28s %10s %10s%n", "kernel [" + rows + " x " + d + "]", "median us", "GB/s");
            time(gpu, "gelu forward", 8 * n, () -> gpu.activation(Activation.GELU, x, y));
            time(gpu, "gelu backward", 16 * n, () -> gpu.activationBackward(Activation.GELU, x, y, dy, dx));
            time(gpu, "softmax forward", 8 * n, () -> gpu.softmax(x, y));
            time(gpu, "softmax backward", 16 * n, () -> gpu.softmaxBackward(y, dy, dx));
            time(gpu, "layer norm forward", 8 * n, () -> gpu.layerNorm(x, w, b, 1e-5f, y));
            time(gpu, "layer norm backward", 16 * n, () -> gpu.layerNormBackward(x, w, 1e-5f, dy, dx, dw, db));
            AdamUpdate update = AdamUpdate.at(true, 1e-6, 0.9, 0.999, 1e-8, 0.01, 1);
            time(gpu, "adamw step", 28 * n, () -> gpu.adamStep(x, dy, m, v, update));
            peaks(gpu, arena);
        }
        for (MatmulPrecision p : new MatmulPrecision[] {MatmulPrecision.TF32, MatmulPrecision.BF16}) {
            try (CudaBackend gpu = new CudaBackend(p); Arena arena = Arena.ofConfined()) {
                gemmPeak(gpu, arena, p.label());
            }
        }
    }

    /**
     * The device's measured ceilings, the denominators of the floors (benchmarks/gpu/run.sh floors): copy bandwidth
     * (a 1 GiB device-to-device copy reads and writes every byte once) and float32 matrix-product throughput.
     */
    private static void peaks(CudaBackend gpu, Arena arena) {
        int n = 1 << 28;
        Tensor src = gpu.allocate(arena, false, n), dst = gpu.allocate(arena, false, n);
        gpu.fill(src, 1.5f);
        time(gpu, "PEAK copy bandwidth", 8L * n, () -> gpu.copy(src, dst));
        gemmPeak(gpu, arena, MatmulPrecision.FLOAT32.label());
    }

    /** Random operands: a product of zeros can run faster than real data does (seen for bf16 on an H200). */
    private static void gemmPeak(CudaBackend gpu, Arena arena, String precision) {
        int s = 8192;
        Tensor host = Tensor.zeros(arena, DType.F32, s, s);
        Random r = new Random(2);
        for (long i = 0; i < host.numel(); i++) {
            host.setFloat(i, (float) r.nextGaussian());
        }
        Tensor a = gpu.toDevice(host, arena), w = gpu.toDevice(host, arena), out = gpu.allocate(arena, false, s, s);
        double flops = 2.0 * s * s * s;
        double us = median(gpu, () -> gpu.linear(a, w, null, out, s, s, s));
        System.out.printf("%-28s %10.1f %10.1f TFLOP/s%n", "PEAK gemm " + precision, us, flops / (us * 1e6));
    }

    private static void time(CudaBackend gpu, String name, long bytes, Runnable op) {
        double us = median(gpu, op);
        System.out.printf("%-28s %10.1f %10.1f%n", name, us, bytes / (us * 1e3));
    }

    /** Median microseconds of {@code op}, each run waited for. */
    private static double median(CudaBackend gpu, Runnable op) {
        for (int i = 0; i < WARMUP; i++) {
            op.run();
        }
        gpu.synchronize();
        long[] ns = new long[ITERS];
        for (int i = 0; i < ITERS; i++) {
            long t0 = System.nanoTime();
            op.run();
            gpu.synchronize();
            ns[i] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(ns);
        return ns[ITERS / 2] / 1e3;
    }
}
