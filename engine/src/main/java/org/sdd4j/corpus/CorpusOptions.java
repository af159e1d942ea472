package org.sdd4j.corpus;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What {@link CorpusBuilder} builds.
 *
 * @param out            the corpus folder (created)
 * @param sources        source ids, Debian package names or engine ids to use; empty = all present
 * @param maxPerSource   at most this many clips per bona fide source; spoofs per engine are the bona fide
 *                       total shared over the engines, at most 4 x this
 * @param seed           fixes every random choice (sampling, texts, channels, splits)
 * @param languages      languages to keep; empty = all languages of the bona fide clips
 * @param minSeconds     shortest clip kept (after trimming)
 * @param maxSeconds     longest clip kept
 * @param channel        the shared channel distribution
 * @param heldOutEngines engines only in {@code test_unseen}
 * @param catalogue      the bona fide sources to consider
 * @param engines        the TTS engines to consider
 */
public record CorpusOptions(Path out, Set<String> sources, int maxPerSource, long seed, Set<String> languages,
        double minSeconds, double maxSeconds, ChannelDistribution channel, Set<String> heldOutEngines,
        List<RealSpeechSource> catalogue, List<TtsEngine> engines) {
    public CorpusOptions {
        if (maxPerSource < 1) {
            throw new IllegalArgumentException("max per source must be at least 1, was " + maxPerSource);
        }
        if (!(minSeconds > 0 && minSeconds < maxSeconds)) {
            throw new IllegalArgumentException("need 0 < min seconds < max seconds, got " + minSeconds + ", " + maxSeconds);
        }
        sources = Set.copyOf(sources);
        languages = Set.copyOf(languages);
        heldOutEngines = Set.copyOf(heldOutEngines);
        catalogue = List.copyOf(catalogue);
        engines = List.copyOf(engines);
    }

    /** The defaults: every installed Debian source and engine, clips of 0.8 to 12 s. */
    public static CorpusOptions defaults(Path out) {
        return new CorpusOptions(out, Set.of(), 150, 1, Set.of(), 0.8, 12, ChannelDistribution.defaults(),
                SplitRule.DEFAULT_HELD_OUT, RealSpeechSource.catalogue(), List.of(TtsEngine.values()));
    }
}
