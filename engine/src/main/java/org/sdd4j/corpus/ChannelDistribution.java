package org.sdd4j.corpus;

/**
 * The random distribution of the shared channel: every item of both classes draws its own settings
 * from this one distribution, so none of them says which class an item is. Ranges are uniform.
 *
 * @param lowPassHz        low-pass cutoff range (telephone 3.4 kHz to full 16 kHz band)
 * @param highPassHz       high-pass cutoff range
 * @param codecProbability chance of a lossy codec round trip
 * @param loudnessDb       active-speech RMS target range, dBFS
 * @param noiseDb          added noise floor range, dBFS RMS (digital silence is a tell)
 * @param paddingSeconds   range of the silence put before and (drawn again) after the trimmed speech
 * @param tiltDbPerOctave  range of the spectral tilt above 500 Hz that every clip is equalised to
 */
public record ChannelDistribution(Range lowPassHz, Range highPassHz, double codecProbability, Range loudnessDb,
        Range noiseDb, Range paddingSeconds, Range tiltDbPerOctave) {
    /** A closed interval [min, max]. */
    public record Range(double min, double max) {
        public Range {
            if (!(min <= max)) {
                throw new IllegalArgumentException("range min " + min + " > max " + max);
            }
        }

        double draw(java.util.random.RandomGenerator rng) {
            return min == max ? min : min + (max - min) * rng.nextDouble();
        }
    }

    public ChannelDistribution {
        if (codecProbability < 0 || codecProbability > 1) {
            throw new IllegalArgumentException("codec probability must be in [0, 1], was " + codecProbability);
        }
    }

    /**
     * The corpus default: low-pass 3.4-8 kHz, high-pass 50-300 Hz, codec with p = 0.5, -32..-18 dBFS,
     * noise -72..-52 dBFS, 0.05-0.4 s of silence on each side, spectral tilt 4-10 dB per octave.
     */
    public static ChannelDistribution defaults() {
        return new ChannelDistribution(new Range(3400, 8000), new Range(50, 300), 0.5, new Range(-32, -18),
                new Range(-72, -52), new Range(0.05, 0.4), new Range(4, 10));
    }
}
