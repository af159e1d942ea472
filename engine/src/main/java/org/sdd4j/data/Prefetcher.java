package org.sdd4j.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * Loads the batches of one epoch on worker threads ahead of the trainer. At most {@code depth}
 * batches are loaded or waiting at any time (a bounded queue: memory stays bounded however slow the
 * trainer is), and batches come out in the sampler's order.
 *
 * <p>The output does not depend on the number of threads or on their timing: item {@code k} of the
 * epoch (counting through the batches) draws all its randomness from
 * {@link Seeds#forItem(long, int, long) Seeds.forItem(seed, epoch, k)}. An item whose loader throws
 * becomes a {@link Batch.Failure} naming its file; the rest of the batch is unaffected.
 *
 * <p>Not thread-safe: one consumer calls {@link #next()}. {@link #close()} cancels the work still
 * queued and stops the workers; use try-with-resources.
 */
public final class Prefetcher implements Iterator<Batch>, AutoCloseable {
    /** Produces one model input from an utterance, drawing any randomness from {@code rng}. */
    @FunctionalInterface
    public interface Loader {
        float[] load(LabeledUtterance utterance, RandomGenerator rng) throws Exception;
    }

    private final List<LabeledUtterance> items;
    private final List<int[]> batches;
    private final int epoch;
    private final long seed;
    private final Loader loader;
    private final int depth;
    private final ExecutorService workers;
    private final ArrayDeque<List<Future<Object>>> window = new ArrayDeque<>();
    private final long[] firstPosition;
    private int submitted;
    private int delivered;
    private boolean closed;

    /**
     * @param items   the dataset the batches index into
     * @param batches one epoch's batches, e.g. {@link Sampler#epoch(int)}
     * @param threads worker threads (at least 1)
     * @param depth   batches loaded ahead (at least 1)
     */
    public Prefetcher(List<LabeledUtterance> items, List<int[]> batches, int epoch, long seed, Loader loader,
                      int threads, int depth) {
        this(items, batches, 0, epoch, seed, loader, threads, depth);
    }

    /**
     * As above, for the tail of an epoch whose first {@code skipped} positions were consumed before (a
     * resumed run): items keep the seeds they have in the whole epoch.
     */
    public Prefetcher(List<LabeledUtterance> items, List<int[]> batches, long skipped, int epoch, long seed,
                      Loader loader, int threads, int depth) {
        this.items = List.copyOf(items);
        this.batches = List.copyOf(batches);
        this.epoch = epoch;
        this.seed = seed;
        this.loader = Objects.requireNonNull(loader, "loader");
        if (threads < 1 || depth < 1) {
            throw new IllegalArgumentException("threads and depth must be at least 1, were " + threads + " and " + depth);
        }
        this.depth = depth;
        this.firstPosition = new long[this.batches.size()];
        long position = skipped;
        for (int b = 0; b < this.batches.size(); b++) {
            firstPosition[b] = position;
            for (int index : this.batches.get(b)) {
                Objects.checkIndex(index, this.items.size());
            }
            position += this.batches.get(b).length;
        }
        this.workers = Executors.newFixedThreadPool(threads, daemonThreads());
        fill();
    }

    @Override
    public boolean hasNext() {
        return !closed && delivered < batches.size();
    }

    /**
     * The next batch, waiting for its loading to finish.
     *
     * @throws NoSuchElementException if the epoch is over or the prefetcher is closed
     * @throws CancellationException  if the calling thread is interrupted while waiting (the prefetcher is then closed)
     */
    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException(closed ? "prefetcher is closed" : "epoch " + epoch + " has no more batches");
        }
        List<Future<Object>> pending = window.removeFirst();
        int index = delivered++;
        fill(); // keep the workers busy while the trainer uses this batch
        int[] batch = batches.get(index);
        List<Batch.Example> examples = new ArrayList<>(batch.length);
        List<Batch.Failure> failures = new ArrayList<>();
        for (int i = 0; i < batch.length; i++) {
            Object result;
            try {
                result = pending.get(i).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new CancellationException("interrupted while waiting for batch " + index + " of epoch " + epoch);
            } catch (ExecutionException e) {
                // the task catches every Exception itself; this is an Error, which must not be swallowed
                close();
                throw new IllegalStateException("loading batch " + index + " of epoch " + epoch + " failed", e.getCause());
            }
            LabeledUtterance u = items.get(batch[i]);
            if (result instanceof float[] samples) {
                examples.add(new Batch.Example(u, samples));
            } else {
                failures.add(new Batch.Failure(u, (Exception) result));
            }
        }
        return new Batch(epoch, index, examples, failures);
    }

    private void fill() {
        while (!closed && submitted < batches.size() && window.size() < depth) {
            int b = submitted++;
            int[] batch = batches.get(b);
            List<Future<Object>> futures = new ArrayList<>(batch.length);
            for (int i = 0; i < batch.length; i++) {
                LabeledUtterance u = items.get(batch[i]);
                long position = firstPosition[b] + i;
                futures.add(workers.submit(() -> load(u, position)));
            }
            window.addLast(futures);
        }
    }

    /** The samples, or the exception that stopped loading them. */
    private Object load(LabeledUtterance u, long position) {
        try {
            float[] samples = loader.load(u, Seeds.forItem(seed, epoch, position));
            if (samples == null) {
                return new IllegalStateException("loader returned no samples");
            }
            return samples;
        } catch (Exception e) {
            return e;
        }
    }

    /** Cancels queued work and stops the workers; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (List<Future<Object>> pending : window) {
            pending.forEach(f -> f.cancel(true));
        }
        window.clear();
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "sdd4j-prefetch-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
