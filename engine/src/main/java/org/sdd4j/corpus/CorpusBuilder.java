package org.sdd4j.corpus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.Resampler;
import org.sdd4j.augment.Codec;
import org.sdd4j.augment.CodecAugment;
import org.sdd4j.data.Seeds;

/**
 * Builds the corpus: decodes bona fide clips from the installed source packages, synthesises spoofs
 * in the same languages with every installed engine, passes both through {@link ChannelChain}, writes
 * the audio, {@code protocol.tsv}, the splits and a README, and runs the {@link ShortcutControl}.
 * Works with whatever subset of sources and engines is installed and says what is missing. Every
 * random choice is seeded by the item it concerns, so a seed fixes the corpus.
 */
public final class CorpusBuilder {
    /** Where the build reports progress and problems. */
    public interface Log {
        /** A line of information or a warning. */
        void message(String line);

        /** Progress within the current stage. */
        void progress(String stage, long done, long total);
    }

    /** What a build produced. */
    public record Report(List<CorpusItem> items, ShortcutControl.Result control, List<String> skipped, double seconds) {
    }

    private final CorpusOptions options;
    private final Log log;
    private final ExternalDecoder decoder = ExternalDecoder.detect();
    private final ChannelChain chain;

    public CorpusBuilder(CorpusOptions options, Log log) {
        this.options = options;
        this.log = log;
        CodecAugment codecs = CodecAugment.detect();
        this.chain = new ChannelChain(options.channel(), codecs);
    }

    /** The shared channel in use (its codec list depends on the installed tools). */
    public ChannelChain chain() {
        return chain;
    }

    /** Builds the corpus into {@link CorpusOptions#out()}. */
    public Report build() throws IOException {
        long start = System.nanoTime();
        Path out = options.out();
        Files.createDirectories(out);
        List<String> skipped = new ArrayList<>();
        if (chain.availableCodecs().isEmpty()) {
            note(skipped, "codec round trips disabled: neither ffmpeg nor sox can encode (apt-get install ffmpeg sox libsox-fmt-all)");
        }
        TextPool texts = TextPool.withBuiltIns();
        List<CorpusItem> items = new ArrayList<>();
        Map<String, List<ChannelChain.Capture>> capturesByLanguage = new TreeMap<>();
        Map<String, List<Integer>> speechByLanguage = new TreeMap<>();
        for (RealSpeechSource source : options.catalogue()) {
            if (!selected(source.id(), source.debianPackage())) {
                continue;
            }
            if (!source.isInstalled()) {
                note(skipped, "bona fide source " + source.id() + " skipped: " + source.root() + " not found (apt-get install "
                        + source.debianPackage() + ")");
                continue;
            }
            items.addAll(bonafide(source, texts, capturesByLanguage, speechByLanguage, skipped));
        }
        Map<String, Integer> bonafideLanguages = new TreeMap<>();
        for (CorpusItem it : items) {
            bonafideLanguages.merge(it.language(), 1, Integer::sum);
        }
        List<TtsEngine> engines = new ArrayList<>();
        for (TtsEngine e : options.engines()) {
            if (!selected(e.id(), e.id())) {
                continue;
            }
            String missing = e.missingReason();
            if (missing != null) {
                note(skipped, "generator " + missing);
            } else {
                engines.add(e);
            }
        }
        int bonafideCount = items.size();
        // spoofs balance the bona fide class, shared over the engines, within [1, 4 x max-per-source]
        int perEngine = engines.isEmpty() ? 0 : bonafideCount == 0 ? options.maxPerSource()
                : Math.clamp((bonafideCount + engines.size() - 1) / engines.size(), 1, 4 * options.maxPerSource());
        for (TtsEngine e : engines) {
            items.addAll(spoof(e, perEngine, bonafideLanguages, texts, capturesByLanguage, speechByLanguage, skipped));
        }
        if (items.isEmpty()) {
            throw new IOException("nothing to build: no bona fide source and no generator produced a clip (see the messages above)");
        }
        List<CorpusItem> split = new SplitRule(options.heldOutEngines()).assign(items, options.seed());
        CorpusFiles.writeProtocol(out, split);
        ShortcutControl.Result control = null;
        try {
            log.message("running the shortcut control...");
            control = ShortcutControl.run(out);
            log.message(control.toText().stripTrailing());
        } catch (IllegalArgumentException ex) {
            note(skipped, "shortcut control not run: " + ex.getMessage());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Report report = new Report(split, control, skipped, seconds);
        Files.writeString(out.resolve("README.md"), CorpusReadme.of(report, options, chain), StandardCharsets.UTF_8);
        return report;
    }

    private boolean selected(String id, String pkg) {
        if (options.sources().isEmpty()) {
            return true;
        }
        for (String s : options.sources()) {
            if (s.equals(id) || Set.of(pkg.split(" ")).contains(s) || id.startsWith(s + "-")) {
                return true;
            }
        }
        return false;
    }

    private void note(List<String> skipped, String line) {
        skipped.add(line);
        log.message(line);
    }

    private List<CorpusItem> bonafide(RealSpeechSource source, TextPool texts, Map<String, List<ChannelChain.Capture>> captures,
            Map<String, List<Integer>> speech, List<String> skipped) throws IOException {
        List<SourceClip> all = new ArrayList<>();
        for (SourceClip c : source.scan()) {
            if (options.languages().isEmpty() || options.languages().contains(c.language())) {
                all.add(c);
                texts.add(c.language(), c.transcript());
            }
        }
        // a seeded shuffle, then decode until enough clips of speech-like length are kept
        SplittableRandom order = new SplittableRandom(Seeds.mix(options.seed(), 0xB0AF, hash(source.id())));
        for (int i = all.size() - 1; i > 0; i--) {
            int j = order.nextInt(i + 1);
            SourceClip t = all.get(i);
            all.set(i, all.get(j));
            all.set(j, t);
        }
        int attempts = Math.min(all.size(), 6 * options.maxPerSource());
        List<CorpusItem> out = new ArrayList<>();
        int failures = 0;
        for (int n = 0; n < attempts && out.size() < options.maxPerSource(); n++) {
            log.progress("bona fide " + source.id(), out.size(), options.maxPerSource());
            SourceClip c = all.get(n);
            try {
                AudioClip clip = decoder.decode(c.file());
                ChannelChain.Capture capture = new ChannelChain.Capture(clip.sampleRate(), storageCodec(c.file()));
                float[] x = Resampler.resample(clip, ChannelChain.RATE).samples();
                String rel = source.root().relativize(c.file()).toString().replaceAll("\\.[^./]+$", "").replaceAll("[^A-Za-z0-9._-]+", "_");
                RandomGenerator rng = new SplittableRandom(Seeds.mix(options.seed(), 0xC4A7, hash(source.id() + "/" + rel)));
                ChannelChain.Draw d = chain.draw(rng);
                float[] y = chain.apply(x, d, rng);
                double seconds = y.length / (double) ChannelChain.RATE;
                if (seconds < options.minSeconds() || seconds > options.maxSeconds()) {
                    continue;
                }
                String path = "audio/bonafide/" + source.id() + "/" + rel + ".wav";
                org.sdd4j.audio.WavWriter.writePcm16(options.out().resolve(path), y, ChannelChain.RATE);
                out.add(new CorpusItem(path, Label.BONAFIDE, source.id(), "-", c.language(), c.speaker(), source.licence(), null,
                        seconds, capture.describe() + " " + ChannelChain.describe(d)));
                captures.computeIfAbsent(c.language(), k -> new ArrayList<>()).add(capture);
                speech.computeIfAbsent(c.language(), k -> new ArrayList<>()).add(ChannelChain.speechSamples(x));
            } catch (IOException | RuntimeException e) {
                failures++;
                if (failures <= 5) {
                    note(skipped, "skipped " + c.file() + ": " + e.getMessage());
                }
            }
        }
        log.progress("bona fide " + source.id(), out.size(), options.maxPerSource());
        if (failures > 5) {
            note(skipped, source.id() + ": " + (failures - 5) + " more files skipped");
        }
        log.message(String.format(Locale.ROOT, "bona fide %-28s %4d clips (of %d files)", source.id(), out.size(), all.size()));
        return out;
    }

    /** The lossy codec a file was stored with, from its extension (Ogg here is always Vorbis). */
    static Optional<Codec> storageCodec(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".ogg")) {
            return Optional.of(Codec.OGG_VORBIS);
        } else if (n.endsWith(".mp3")) {
            return Optional.of(Codec.MP3);
        } else if (n.endsWith(".gsm")) {
            return Optional.of(Codec.GSM);
        }
        return Optional.empty();
    }

    private List<CorpusItem> spoof(TtsEngine engine, int count, Map<String, Integer> bonafideLanguages, TextPool texts,
            Map<String, List<ChannelChain.Capture>> captures, Map<String, List<Integer>> speech, List<String> skipped)
            throws IOException {
        Set<String> wanted = new TreeSet<>(bonafideLanguages.keySet());
        if (wanted.isEmpty()) {
            wanted.addAll(options.languages().isEmpty() ? Set.of("en") : options.languages());
        }
        Map<String, List<TtsEngine.Voice>> voices = new LinkedHashMap<>();
        for (TtsEngine.Voice v : engine.voices(wanted)) {
            if (texts.has(v.language())) {
                voices.computeIfAbsent(v.language(), k -> new ArrayList<>()).add(v);
            }
        }
        if (voices.isEmpty()) {
            note(skipped, "generator " + engine.id() + " skipped: no voice for the languages " + wanted);
            return List.of();
        }
        // languages weighted as in the bona fide class, so language is not a tell
        List<String> langs = new ArrayList<>(voices.keySet());
        double[] weights = new double[langs.size()];
        double total = 0;
        for (int i = 0; i < langs.size(); i++) {
            weights[i] = bonafideLanguages.getOrDefault(langs.get(i), bonafideLanguages.isEmpty() ? 1 : 0);
            total += weights[i];
        }
        if (total == 0) {
            java.util.Arrays.fill(weights, 1);
            total = weights.length;
        }
        Path work = Files.createTempDirectory("sdd4j-tts-");
        List<CorpusItem> out = new ArrayList<>();
        int failures = 0;
        Map<String, Integer> perVoice = new HashMap<>();
        try {
            for (int n = 0; n < 3 * count && out.size() < count; n++) {
                log.progress("spoof " + engine.id(), out.size(), count);
                RandomGenerator rng = new SplittableRandom(Seeds.mix(options.seed(), 0x5900F, hash(engine.id()), n));
                double u = rng.nextDouble() * total;
                int li = 0;
                while (li < langs.size() - 1 && (u -= weights[li]) >= 0) {
                    li++;
                }
                String lang = langs.get(li);
                List<TtsEngine.Voice> vs = voices.get(lang);
                TtsEngine.Voice voice = vs.get(rng.nextInt(vs.size()));
                String text = texts.draw(lang, rng);
                try {
                    AudioClip clip = engine.synthesize(voice, text, work);
                    float[] x = Resampler.resample(clip, ChannelChain.RATE).samples();
                    // the speech length of a bona fide clip of the language: synthesised sentences run longer
                    List<Integer> lengths = speech.getOrDefault(lang, speech.values().stream().flatMap(List::stream).toList());
                    if (!lengths.isEmpty()) {
                        x = ChannelChain.matchLength(x, lengths.get(rng.nextInt(lengths.size())));
                    }
                    List<ChannelChain.Capture> pool = captures.getOrDefault(lang, captures.values().stream().flatMap(List::stream).toList());
                    ChannelChain.Capture capture = pool.isEmpty() ? new ChannelChain.Capture(clip.sampleRate(), Optional.empty())
                            : pool.get(rng.nextInt(pool.size()));
                    x = chain.imposeCapture(x, capture, rng);
                    ChannelChain.Draw d = chain.draw(rng);
                    float[] y = chain.apply(x, d, rng);
                    double seconds = y.length / (double) ChannelChain.RATE;
                    if (seconds < options.minSeconds() || seconds > options.maxSeconds()) {
                        continue;
                    }
                    String id = String.format(Locale.ROOT, "%s_%s_%05d", engine.id(), voice.name().replaceAll("[^A-Za-z0-9._-]+", "_"), n);
                    String path = "audio/spoof/" + engine.id() + "/" + id + ".wav";
                    org.sdd4j.audio.WavWriter.writePcm16(options.out().resolve(path), y, ChannelChain.RATE);
                    out.add(new CorpusItem(path, Label.SPOOF, engine.id(), voice.generator(), lang, voice.name(), engine.licence(), null,
                            seconds, capture.describe() + " " + ChannelChain.describe(d)));
                    perVoice.merge(voice.generator(), 1, Integer::sum);
                } catch (IOException | RuntimeException e) {
                    failures++;
                    if (failures <= 5) {
                        note(skipped, "synthesis with " + voice.generator() + " failed: " + e.getMessage());
                    }
                }
            }
        } finally {
            try (var s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        log.progress("spoof " + engine.id(), out.size(), count);
        if (failures > 5) {
            note(skipped, engine.id() + ": " + (failures - 5) + " more syntheses failed");
        }
        log.message(String.format(Locale.ROOT, "spoof     %-28s %4d clips (%d voices in %s)", engine.id(), out.size(), perVoice.size(),
                voices.keySet()));
        return out;
    }

    private static long hash(String s) {
        long h = 1125899906842597L;
        for (int i = 0; i < s.length(); i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }
}
