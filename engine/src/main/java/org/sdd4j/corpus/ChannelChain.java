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
 * native bandwidth and storage artefacts are distributed alike in both classes; (2) silence trim with a
 * random margin; (3) loudness to a random level; (4) a noise floor; (5) a random band-limit; (6) with
 * some probability a codec round trip; all at {@link #RATE}.
 */
public final class ChannelChain {
    /** The corpus sample rate. */
    public static final int RATE = 16_000;

    private final ChannelDistribution distribution;
    private final CodecAugment codecs;
    private final List<Codec> available;

    /** The settings drawn for one item. */
    public record Draw(double lowPassHz, double highPassHz, Optional<Codec> codec, double loudnessDb, double noiseDb,
            int marginSamples) {
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
        int margin = (int) Math.round(distribution.marginSeconds().draw(rng) * RATE);
        return new Draw(lp, hp, codec, loud, noise, margin);
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

    /** Applies stages 2 to 6 to 16 kHz audio. */
    public float[] apply(float[] x, Draw d, RandomGenerator rng) throws IOException {
        float[] y = Conditioning.trimSilence(x, d.marginSamples());
        y = Conditioning.normaliseLoudness(y, d.loudnessDb());
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
        return String.format(Locale.ROOT, "lp=%.0f hp=%.0f codec=%s", d.lowPassHz(), d.highPassHz(),
                d.codec().map(c -> c.name().toLowerCase(Locale.ROOT)).orElse("none"));
    }
}
