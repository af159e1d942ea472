/**
 * Training-time waveform augmentation.
 *
 * <p>{@link org.sdd4j.augment.RawBoost} reproduces the RawBoost algorithms 1-8 of the SSL-AASIST
 * reference code (convolutive, impulsive and coloured additive noise, alone and combined) with its
 * default parameters in {@link org.sdd4j.augment.RawBoostConfig}; {@link org.sdd4j.augment.CodecAugment}
 * round-trips audio through lossy telephony and streaming codecs with ffmpeg or sox when they are
 * installed. All randomness comes from a {@link java.util.random.RandomGenerator} the caller passes
 * in, so one seed reproduces an augmentation exactly.
 */
package org.sdd4j.augment;
