package org.sdd4j.corpus;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The README.md written into a built corpus: counts, sources and licences, the split rule, the control. */
final class CorpusReadme {
    private CorpusReadme() {
    }

    static String of(CorpusBuilder.Report report, CorpusOptions options, ChannelChain chain) {
        StringBuilder sb = new StringBuilder("# sdd4j demo corpus\n\n");
        sb.append("Built by `sdd4j corpus build` on this machine from installed Debian packages and offline TTS engines")
                .append(" (see docs/CORPUS.md in sdd4j). Do not redistribute without honouring each source's licence.\n\n");
        sb.append(String.format(Locale.ROOT, "Seed %d, max %d clips per source, clips %.1f-%.1f s, build time %.0f s.%n%n",
                options.seed(), options.maxPerSource(), options.minSeconds(), options.maxSeconds(), report.seconds()));
        sb.append("## Counts\n\n| class | source | licence | clips | minutes |\n|---|---|---|---|---|\n");
        Map<String, double[]> bySource = new TreeMap<>();
        Map<String, String> licences = new TreeMap<>();
        Map<String, int[]> bySplit = new TreeMap<>();
        Map<String, Integer> byGenerator = new TreeMap<>();
        for (CorpusItem it : report.items()) {
            String key = it.label().text() + "\t" + it.source();
            double[] c = bySource.computeIfAbsent(key, k -> new double[2]);
            c[0]++;
            c[1] += it.seconds() / 60;
            licences.put(key, it.licence());
            int[] s = bySplit.computeIfAbsent(it.split().text(), k -> new int[2]);
            s[it.label() == Label.BONAFIDE ? 0 : 1]++;
            if (it.label() == Label.SPOOF) {
                byGenerator.merge(it.generator(), 1, Integer::sum);
            }
        }
        bySource.forEach((k, c) -> {
            String[] p = k.split("\t");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.1f |%n", p[0], p[1], licences.get(k), (int) c[0], c[1]));
        });
        sb.append("\n## Splits\n\n| split | bona fide | spoof |\n|---|---|---|\n");
        for (Split s : Split.values()) {
            int[] c = bySplit.getOrDefault(s.text(), new int[2]);
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d |%n", s.text(), c[0], c[1]));
        }
        sb.append("\nRule: spoofs of ").append(new java.util.TreeSet<>(options.heldOutEngines()))
                .append(" only in test_unseen; other spoofs 70/10/20 % to train/dev/test_in_domain by seeded hash;")
                .append(" bona fide dealt by (source, language, speaker) group, 60/10/15/15 % to train/dev/test_in_domain/test_unseen.\n");
        sb.append("\n## Generators\n\n| generator | clips |\n|---|---|\n");
        byGenerator.forEach((g, n) -> sb.append("| ").append(g).append(" | ").append(n).append(" |\n"));
        sb.append("\n## Channel (both classes)\n\nResampled to 16 kHz; spoofs take the capture (native rate below 16 kHz, storage codec) of a random")
                .append(" bona fide clip of their language; then silence trim, loudness, noise floor, band-limit and codec drawn from ")
                .append(options.channel()).append("; codecs available: ").append(chain.availableCodecs()).append(".\n");
        sb.append("\n## Shortcut control\n\n```\n").append(report.control() == null ? "not run\n" : report.control().toText()).append("```\n");
        if (!report.skipped().isEmpty()) {
            sb.append("\n## Skipped\n\n");
            report.skipped().forEach(s -> sb.append("- ").append(s).append('\n'));
        }
        return sb.toString();
    }
}
