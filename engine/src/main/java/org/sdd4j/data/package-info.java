/**
 * Training and evaluation data: corpus protocols, sampling and background loading.
 *
 * <p>{@link org.sdd4j.data.Protocol} reads the ASVspoof 2019 LA, 2021 LA/DF and ASVspoof 5 protocols,
 * In-the-Wild's {@code meta.csv} and plain {@code path<TAB>label} lists into
 * {@link org.sdd4j.data.LabeledUtterance}s. {@link org.sdd4j.data.Sampler} orders an epoch (shuffled,
 * class-balanced or class-weighted), {@link org.sdd4j.data.Prefetcher} loads its batches on worker
 * threads with {@link org.sdd4j.data.UtteranceLoader} (decode, RawBoost, {@link org.sdd4j.data.Crop}).
 * Every random choice is derived from (seed, epoch, position) by {@link org.sdd4j.data.Seeds}, so a
 * run is reproducible whatever the thread count.
 */
package org.sdd4j.data;
