package org.sdd4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.sdd4j.corpus.CorpusBuilder;
import org.sdd4j.corpus.CorpusFiles;
import org.sdd4j.corpus.CorpusOptions;
import org.sdd4j.corpus.ShortcutControl;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sdd4j corpus}: builds the demo anti-spoofing corpus from installed packages, and checks it. */
@Command(name = "corpus", mixinStandardHelpOptions = true,
        description = {"Builds a small anti-spoofing corpus on this machine, or runs its shortcut control.", ""},
        subcommands = {CorpusCommand.Build.class, CorpusCommand.Control.class})
final class CorpusCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code sdd4j corpus build}. */
    @Command(name = "build", mixinStandardHelpOptions = true,
            description = {"Bona fide speech from Debian packages of real recordings, spoofs from the offline TTS",
                "engines, the same random channel for both classes, a generator-held-out split. Missing",
                "packages are reported (with what to apt-get install) and the rest is built.", ""},
            footer = {"",
                "Output: DIR/audio/{bonafide,spoof}/SOURCE/*.wav (16 kHz, 16 bit), DIR/protocol.tsv,",
                "DIR/splits/{train,dev,test_in_domain,test_unseen}.tsv (+ .lst: path<TAB>label),",
                "DIR/README.md with counts, licences and the shortcut control. See docs/CORPUS.md."})
    static final class Build implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--out", paramLabel = "DIR", required = true, description = "Corpus folder (created).")
        Path out;

        @Option(names = "--sources", paramLabel = "LIST", split = ",",
                description = "Sources to use: source ids, Debian packages or engines (espeak-ng, flite, ...). Default: all present.")
        List<String> sources = List.of();

        @Option(names = "--max-per-source", paramLabel = "N", description = "Clips per bona fide source. Default: ${DEFAULT-VALUE}.")
        int maxPerSource = 150;

        @Option(names = "--seed", paramLabel = "S", description = "Seed of every random choice. Default: ${DEFAULT-VALUE}.")
        long seed = 1;

        @Option(names = "--languages", paramLabel = "LIST", split = ",",
                description = "Languages to keep (e.g. en,fr). Default: all of the bona fide sources.")
        List<String> languages = List.of();

        @Override
        public Integer call() throws Exception {
            if (Files.exists(out.resolve(CorpusFiles.PROTOCOL))) {
                throw new UsageException(out + " already holds a corpus; choose another --out or remove it");
            }
            PrintWriter err = spec.commandLine().getErr();
            CorpusOptions d = CorpusOptions.defaults(out);
            CorpusOptions options = new CorpusOptions(out, new LinkedHashSet<>(sources), maxPerSource, seed, Set.copyOf(languages),
                    d.minSeconds(), d.maxSeconds(), d.channel(), d.heldOutEngines(), d.catalogue(), d.engines());
            boolean tty = ProgressBar.stderrIsTerminal();
            CorpusBuilder.Log log = new CorpusBuilder.Log() {
                private ProgressBar bar;
                private String stage;

                @Override
                public void message(String line) {
                    if (bar != null) {
                        bar.message(line);
                    } else {
                        err.println(line);
                        err.flush();
                    }
                    if (bar != null && !line.startsWith("skipped") && !line.startsWith("synthesis")) {
                        bar = null;
                        stage = null;
                    }
                }

                @Override
                public void progress(String s, long done, long total) {
                    if (!s.equals(stage)) {
                        stage = s;
                        bar = new ProgressBar(err, String.format(Locale.ROOT, "%-34s", s), total, ProgressBar.Unit.FILES, tty);
                    }
                    bar.update(done);
                }
            };
            CorpusBuilder.Report report = new CorpusBuilder(options, log).build();
            PrintWriter o = spec.commandLine().getOut();
            long bona = report.items().stream().filter(i -> i.label() == org.sdd4j.corpus.Label.BONAFIDE).count();
            o.printf(Locale.ROOT, "corpus %s: %d bona fide, %d spoof clips in %.0f s; see %s%n", out, bona,
                    report.items().size() - bona, report.seconds(), out.resolve("README.md"));
            o.flush();
            return Main.OK;
        }
    }

    /** {@code sdd4j corpus control}. */
    @Command(name = "control", mixinStandardHelpOptions = true,
            description = {"Fits a logistic regression on bandwidth/silence/level/length",
                "statistics on the train split and prints its EER on the other splits, for",
                "all features and for each group alone. An EER below 30% means those",
                "statistics alone separate bona fide from spoof: a shortcut a detector could",
                "learn instead of synthesis artefacts.", ""})
    static final class Control implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--corpus", paramLabel = "DIR", required = true, description = "A folder built by 'sdd4j corpus build'.")
        Path corpus;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(corpus.resolve(CorpusFiles.PROTOCOL))) {
                throw new UsageException("no " + CorpusFiles.PROTOCOL + " in " + corpus + "; build one with 'sdd4j corpus build'");
            }
            ShortcutControl.Result r = ShortcutControl.run(corpus);
            spec.commandLine().getOut().print(r.toText());
            spec.commandLine().getOut().flush();
            return Main.OK;
        }
    }
}
