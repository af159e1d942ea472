package org.sdd4j.data;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioReader;
import org.sdd4j.audio.Resampler;
import org.sdd4j.augment.RawBoost;
import org.sdd4j.augment.RawBoostAlgorithm;

/**
 * The usual training {@link Prefetcher.Loader}: decode (WAV/FLAC), resample to 16 kHz, RawBoost, then
 * crop or tile to the model length, in the reference's order (process_Rawboost_feature runs on the
 * whole utterance, before {@code pad}).
 *
 * @param length     model input length in samples (64,600 for AASIST / SSL-AASIST)
 * @param randomCrop a random window ({@link Crop#random}, AASIST) instead of the first samples
 *                   ({@link Crop#head}, SSL-AASIST)
 * @param rawBoost   the augmenter (ignored for {@link RawBoostAlgorithm#NONE})
 * @param algorithm  the RawBoost algorithm
 */
public record UtteranceLoader(int length, boolean randomCrop, RawBoost rawBoost, RawBoostAlgorithm algorithm)
        implements Prefetcher.Loader {
    public static final int SAMPLE_RATE = 16_000;

    public UtteranceLoader {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive, was " + length);
        }
        Objects.requireNonNull(rawBoost, "rawBoost");
        Objects.requireNonNull(algorithm, "algorithm");
        if (rawBoost.sampleRate() != SAMPLE_RATE) {
            throw new IllegalArgumentException("RawBoost must be set up for " + SAMPLE_RATE + " Hz, was " + rawBoost.sampleRate());
        }
    }

    @Override
    public float[] load(LabeledUtterance utterance, RandomGenerator rng) throws Exception {
        AudioClip clip = AudioReader.read(utterance.audio());
        if (clip.sampleRate() != SAMPLE_RATE) {
            clip = Resampler.resample(clip, SAMPLE_RATE);
        }
        if (clip.length() == 0) {
            throw new org.sdd4j.audio.AudioFormatException(utterance.audio().toString(), "no samples");
        }
        float[] x = rawBoost.apply(algorithm, clip.samples(), rng);
        return randomCrop ? Crop.random(x, length, rng) : Crop.head(x, length);
    }
}
