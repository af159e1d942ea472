package org.sdd4j.corpus;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.sdd4j.audio.Resampler;
import org.sdd4j.augment.Codec;
import org.sdd4j.augment.CodecAugment;

/**
 * The shortcut counter-measures, applied in the same way to both classes: (1) for spoofs, the capture
 * of a randomly drawn bona fide clip (its native rate when below 16 kHz, its storage codec), so that
 * native bandwidth and storage artefacts are distributed alike in both classes; (2) a full silence
 * trim; (3) spectral equalisation to a random tilt; (4) loudness to a random level; (5) random leading
 * and trailing silence; (6) a noise floor; (7) a random band-limit; (8) with some probability a codec
 * round trip; all at {@link #RATE}. Spoofs are also cut to a bona fide length ({@link #matchLength}).
 */
public final class ChannelChain {
    /** The corpus sample rate. */
    public static final int RATE = 16_000;
    /** The most {@link Conditioning#equalise} may raise or lower any band. */
    static final double MAX_EQ_GAIN_DB = 12;

    private final ChannelDistribution distribution;
    private final CodecAugment codecs;
    private final List<Codec> available;

    /** The settings drawn for one item. */
    public record Draw(double lowPassHz, double highPassHz, Optional<Codec> codec, double loudnessDb, double noiseDb,
            int leadSamples, int trailSamples, double tiltDbPerOctave) {
    }

    /**
     * How a recording was captured and stored: its native rate and the lossy codec it was stored with
     * (empty for PCM). A spoof is passed through a bona fide clip's capture.
     */
    public record Capture(int rate, Optional<Codec> codec) {
        /** Short text for the protocol's channel column. */
        public String describe() {
            return "cap=" + rate + "/" + codec.map(c -> c.name().toLowerCase(Locale.ROOT)).orElse("pcm");
        }
    }

    /** @param codecs the codec tool; null or one with no codecs leaves the codec stage out (and says so in the log). */
    public ChannelChain(ChannelDistribution distribution, CodecAugment codecs) {
        this.distribution = distribution;
        this.codecs = codecs;
        this.available = codecs == null ? List.of() : codecs.availableCodecs();
    }

    /** The codecs the round-trip stage draws from. */
    public List<Codec> availableCodecs() {
        return available;
    }

    /** Draws one item's settings; the same call for bona fide and spoof items. */
    public Draw draw(RandomGenerator rng) {
        double lp = distribution.lowPassHz().draw(rng);
        double hp = distribution.highPassHz().draw(rng);
        boolean coded = rng.nextDouble() < distribution.codecProbability() && !available.isEmpty();
        Optional<Codec> codec = coded ? Optional.of(available.get(rng.nextInt(available.size()))) : Optional.empty();
        double loud = distribution.loudnessDb().draw(rng);
        double noise = distribution.noiseDb().draw(rng);
        int lead = (int) Math.round(distribution.paddingSeconds().draw(rng) * RATE);
        int trail = (int) Math.round(distribution.paddingSeconds().draw(rng) * RATE);
        double tilt = distribution.tiltDbPerOctave().draw(rng);
        return new Draw(lp, hp, codec, loud, noise, lead, trail, tilt);
    }

    /**
     * Imposes {@code capture} on 16 kHz audio: down to its rate and back when that is below 16 kHz,
     * then through its codec. Used for spoofs only, since bona fide clips carry their capture already.
     */
    public float[] imposeCapture(float[] x, Capture capture, RandomGenerator rng) throws IOException {
        float[] y = x;
        if (capture.rate() < RATE) {
            y = Resampler.of(RATE, capture.rate()).process(y);
            y = Resampler.of(capture.rate(), RATE).process(y);
        }
        if (capture.codec().isPresent() && codecs != null && codecs.isAvailable(capture.codec().get())) {
            y = codec(y, capture.codec().get(), rng);
        }
        return y;
    }

    /**
     * Trims silence from both ends and cuts what is left to about {@code targetSamples} at a pause (see
     * {@link Conditioning#cutAtPause}). For spoofs, with a target drawn from the bona fide clips' speech
     * lengths, so that duration (which the model sees as crop content and tiling) is no class tell.
     */
    public static float[] matchLength(float[] x, int targetSamples) {
        float[] speech = Conditioning.trimSilence(x, 0);
        return Conditioning.cutAtPause(speech, targetSamples);
    }

    /** The length of the speech in {@code x}: what {@link #apply} keeps before padding. */
    public static int speechSamples(float[] x) {
        return Conditioning.trimSilence(x, 0).length;
    }

    /** Applies stages 2 to 8 to 16 kHz audio. */
    public float[] apply(float[] x, Draw d, RandomGenerator rng) throws IOException {
        // trim fully, then pad with drawn silence: the engines' long tails and the prompts' tight cuts both go
        float[] y = Conditioning.trimSilence(x, 0);
        y = Conditioning.equalise(y, RATE, d.tiltDbPerOctave(), MAX_EQ_GAIN_DB);
        y = Conditioning.normaliseLoudness(y, d.loudnessDb());
        y = Conditioning.pad(y, d.leadSamples(), d.trailSamples());
        y = Conditioning.addNoise(y, d.noiseDb(), rng);
        y = Conditioning.bandLimit(y, RATE, d.lowPassHz(), d.highPassHz());
        if (d.codec().isPresent()) {
            y = codec(y, d.codec().get(), rng);
        }
        return Conditioning.limitPeak(y, 0.99);
    }

    private float[] codec(float[] y, Codec c, RandomGenerator rng) throws IOException {
        try {
            return codecs.apply(y, RATE, c, rng);
        } catch (org.sdd4j.augment.CodecUnavailableException e) {
            // only listed codecs are drawn, so this means a tool vanished during the build
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Short text for the protocol's channel column. */
    public static String describe(Draw d) {
        return String.format(Locale.ROOT, "tilt=%.1f lp=%.0f hp=%.0f codec=%s", d.tiltDbPerOctave(), d.lowPassHz(), d.highPassHz(),
                d.codec().map(c -> c.name().toLowerCase(Locale.ROOT)).orElse("none"));
    }
}
