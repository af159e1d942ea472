package org.sdd4j.api;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link Detector} is built and run.
 *
 * @param config    an architecture configuration file: an official AASIST {@code .conf} (its
 *                  {@code model_config} is read) or sdd4j's own JSON (the bare model_config object, as the
 *                  model zoo stores it). Empty: infer the architecture from the checkpoint's tensor shapes.
 * @param threads   compute threads (default: the available processors)
 * @param batchSize utterances per forward pass in {@link Detector#scoreBatch}
 */
public record DetectorOptions(Optional<Path> config, int threads, int batchSize) {
    /** The batch size when none is given: enough to amortise per-call overheads, small in memory. */
    public static final int DEFAULT_BATCH_SIZE = 8;

    public DetectorOptions {
        Objects.requireNonNull(config, "config");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + batchSize);
        }
    }

    /** No config file, one thread per available processor, {@link #DEFAULT_BATCH_SIZE}. */
    public static DetectorOptions defaults() {
        return new DetectorOptions(Optional.empty(), Runtime.getRuntime().availableProcessors(), DEFAULT_BATCH_SIZE);
    }

    public DetectorOptions withConfig(Path file) {
        return new DetectorOptions(Optional.of(file), threads, batchSize);
    }

    public DetectorOptions withThreads(int n) {
        return new DetectorOptions(config, n, batchSize);
    }

    public DetectorOptions withBatchSize(int n) {
        return new DetectorOptions(config, threads, n);
    }
}
