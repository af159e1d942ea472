package org.sdd4j.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * A fixed pool of worker threads for data-parallel loops. Owning the pool (rather than using the
 * common pool) is what makes {@code --threads N} mean N, as torch.set_num_threads does.
 */
public final class Parallel implements AutoCloseable {
    /** A loop body over task indices [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        AtomicInteger n = new AtomicInteger();
        this.pool = threads == 1 ? null : new ForkJoinPool(threads, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("sdd4j-cpu-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n) split into about {@code threads * 4} contiguous chunks (enough to
     * balance uneven tasks without scheduling overhead); serial when small or single-threaded.
     */
    public void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) {
            return;
        }
        if (pool == null || n <= minChunk) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(Math.max(1, n / Math.max(minChunk, 1)), threads * 4);
        int step = (n + chunks - 1) / chunks;
        int count = (n + step - 1) / step;
        pool.submit(() -> IntStream.range(0, count).parallel().forEach(c -> {
            int from = c * step;
            body.run(from, Math.min(n, from + step));
        })).join();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
