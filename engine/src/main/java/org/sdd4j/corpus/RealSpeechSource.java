package org.sdd4j.corpus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Debian package of real human speech (DESIGN.md section 8) and how to find its clips, languages
 * and speakers in its installed folders. {@link #catalogue()} lists the known packages; {@link #folder}
 * makes a source of any folder (tests, or a user's own recordings).
 *
 * @param id            short name used in the corpus (protocol column {@code source}, folder names)
 * @param debianPackage what to install when it is missing
 * @param licence       the licence of the recordings (from the package's copyright file)
 * @param root          the installed folder
 * @param layout        how files, languages and speakers are laid out under {@code root}
 */
public record RealSpeechSource(String id, String debianPackage, String licence, Path root, Layout layout) {
    /** Finds the clips under a root. */
    @FunctionalInterface
    public interface Layout {
        List<SourceClip> scan(Path root) throws IOException;
    }

    /** Whether the package's folder exists here. */
    public boolean isInstalled() {
        return Files.isDirectory(root);
    }

    /** The clips under {@link #root}, in a stable (sorted) order. */
    public List<SourceClip> scan() throws IOException {
        List<SourceClip> clips = new ArrayList<>(layout.scan(root));
        clips.sort((a, b) -> a.file().compareTo(b.file()));
        return clips;
    }

    /** A folder of audio files (.wav .flac .ogg .mp3 .gsm, recursively) in one language, speaker unknown. */
    public static RealSpeechSource folder(String id, String licence, Path root, String language) {
        return new RealSpeechSource(id, "-", licence, root,
                r -> files(r, "wav", "flac", "ogg", "mp3", "gsm").stream().map(f -> new SourceClip(f, language, "-", "")).toList());
    }

    /** The known Debian packages, installed or not. */
    public static List<RealSpeechSource> catalogue() {
        Path asterisk = Path.of("/usr/share/asterisk/sounds");
        return List.of(
                new RealSpeechSource("fillets-ng", "fillets-ng-data fillets-ng-data-cs fillets-ng-data-nl", "GPL-2",
                        Path.of("/usr/share/games/fillets-ng/sound"), RealSpeechSource::filletsLayout),
                new RealSpeechSource("tuxpaint-stamps", "tuxpaint-stamps-default", "GPL-2",
                        Path.of("/usr/share/tuxpaint/stamps"), RealSpeechSource::tuxpaintLayout),
                asteriskVoice("asterisk-core-en", "asterisk-core-sounds-en-wav", "CC-BY-SA-3.0", asterisk.resolve("en_US_f_Allison")),
                asteriskVoice("asterisk-core-es", "asterisk-core-sounds-es-wav", "CC-BY-SA-3.0", asterisk.resolve("es_MX_f_Allison")),
                asteriskVoice("asterisk-core-fr", "asterisk-core-sounds-fr-wav", "CC-BY-SA-3.0", asterisk.resolve("fr_CA_f_June")),
                asteriskVoice("asterisk-core-it", "asterisk-core-sounds-it-wav", "CC-BY-SA-3.0", asterisk.resolve("it_IT_m_Carlo")),
                asteriskVoice("asterisk-core-ru", "asterisk-core-sounds-ru-wav", "CC-BY-SA-3.0", asterisk.resolve("ru_RU_f_IvrvoiceRU")),
                asteriskVoice("asterisk-prompt-it-menardi", "asterisk-prompt-it-menardi-wav", "CC-BY-SA-3.0",
                        asterisk.resolve("it_IT_f_Menardi")),
                new RealSpeechSource("asterisk-prompt-fr-armelle", "asterisk-prompt-fr-armelle", "GPL-2+", asterisk.resolve("fr"),
                        r -> files(r, "gsm", "wav").stream().map(f -> new SourceClip(f, "fr", "armelle", "")).toList()),
                new RealSpeechSource("asterisk-prompt-es-co", "asterisk-prompt-es-co", "GPL-2", asterisk.resolve("es"),
                        r -> files(r, "gsm", "wav").stream().map(f -> new SourceClip(f, "es", "es-co", "")).toList()),
                new RealSpeechSource("klettres", "klettres-data", "GPL-2+", Path.of("/usr/share/klettres"),
                        RealSpeechSource::languageFolders),
                new RealSpeechSource("ktuberling", "ktuberling-data", "GPL-2+", Path.of("/usr/share/ktuberling/sounds"),
                        RealSpeechSource::languageFolders),
                new RealSpeechSource("pocketsphinx-testdata", "pocketsphinx-testdata", "BSD-2/BSD-3-clause",
                        Path.of("/usr/share/pocketsphinx/test/data"), RealSpeechSource::pocketsphinxLayout),
                new RealSpeechSource("alsa-utils", "alsa-utils", "GPL-2", Path.of("/usr/share/sounds/alsa"),
                        r -> files(r, "wav").stream()
                                .filter(f -> !f.getFileName().toString().equals("Noise.wav")) // pink noise, not speech
                                .map(f -> new SourceClip(f, "en", "alsa", f.getFileName().toString().replace(".wav", "").replace('_', ' ')))
                                .toList()));
    }

    /** Asterisk core sounds: one speaker per folder named {@code ll_CC_g_Name}. */
    private static RealSpeechSource asteriskVoice(String id, String pkg, String licence, Path root) {
        String[] parts = root.getFileName().toString().split("_");
        String language = parts[0];
        String speaker = parts[parts.length - 1].toLowerCase(Locale.ROOT);
        return new RealSpeechSource(id, pkg, licence, root,
                r -> files(r, "wav").stream().map(f -> new SourceClip(f, language, speaker, "")).toList());
    }

    /** Fish Fillets: {@code LEVEL/LANG/LEVEL-SPEAKER-LINE.ogg}; the second dash field names the character. */
    private static List<SourceClip> filletsLayout(Path root) throws IOException {
        List<SourceClip> out = new ArrayList<>();
        for (Path f : files(root, "ogg")) {
            Path lang = f.getParent();
            if (lang == null || lang.getParent() == null || lang.getParent().getParent() == null
                    || !lang.getParent().getParent().equals(root)) {
                continue; // music and effects lie elsewhere
            }
            String language = lang.getFileName().toString();
            if (language.length() != 2) {
                continue;
            }
            String[] parts = f.getFileName().toString().split("-");
            String speaker = parts.length >= 3 ? parts[1] : "-";
            out.add(new SourceClip(f, language, "fillets-" + speaker, ""));
        }
        return out;
    }

    private static final Pattern TUX_DESC = Pattern.compile("(.+)_desc(?:_([a-zA-Z@]+))?\\.ogg");

    /** Tux Paint stamps: {@code STAMP_desc[_LANG].ogg} speaks the description in {@code STAMP.txt}. */
    private static List<SourceClip> tuxpaintLayout(Path root) throws IOException {
        List<SourceClip> out = new ArrayList<>();
        Map<Path, Map<String, String>> texts = new HashMap<>();
        for (Path f : files(root, "ogg")) {
            Matcher m = TUX_DESC.matcher(f.getFileName().toString());
            if (!m.matches()) {
                continue;
            }
            String language = m.group(2) == null ? "en" : m.group(2);
            Path txt = f.resolveSibling(m.group(1) + ".txt");
            Map<String, String> t = texts.computeIfAbsent(txt, RealSpeechSource::tuxpaintTexts);
            out.add(new SourceClip(f, language, "-", t.getOrDefault(language, "")));
        }
        return out;
    }

    /** A stamp's descriptions by language: the first line is English, then {@code LANG.utf8=TEXT} lines. */
    private static Map<String, String> tuxpaintTexts(Path txt) {
        Map<String, String> out = new HashMap<>();
        if (!Files.isRegularFile(txt)) {
            return out;
        }
        try {
            List<String> lines = Files.readAllLines(txt, StandardCharsets.UTF_8);
            if (!lines.isEmpty()) {
                out.put("en", lines.get(0).strip());
            }
            for (String line : lines) {
                int eq = line.indexOf(".utf8=");
                if (eq > 0) {
                    out.putIfAbsent(line.substring(0, eq), line.substring(eq + 6).strip());
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // a malformed description file only loses the transcript
        }
        return out;
    }

    /** KDE edu data: {@code LANG/...}; language from the first folder level. */
    private static List<SourceClip> languageFolders(Path root) throws IOException {
        List<SourceClip> out = new ArrayList<>();
        for (Path f : files(root, "ogg", "wav")) {
            Path rel = root.relativize(f);
            if (rel.getNameCount() < 2) {
                continue;
            }
            out.add(new SourceClip(f, rel.getName(0).toString(), "-", ""));
        }
        return out;
    }

    private static final Pattern SPHINX_LINE = Pattern.compile("<s>(.*)</s>\\s*\\((.+)\\)");

    /** PocketSphinx test data: WAV files, transcripts in {@code *transcription} files. */
    private static List<SourceClip> pocketsphinxLayout(Path root) throws IOException {
        Map<String, String> transcripts = new HashMap<>();
        for (Path t : files(root, "transcription")) {
            for (String line : Files.readAllLines(t, StandardCharsets.UTF_8)) {
                Matcher m = SPHINX_LINE.matcher(line.strip());
                if (m.matches()) {
                    transcripts.put(m.group(2).strip(), m.group(1).strip());
                }
            }
        }
        return files(root, "wav").stream().map(f -> {
            String base = f.getFileName().toString().replaceFirst("\\.wav$", "");
            String speaker = f.getParent().getFileName().toString();
            return new SourceClip(f, "en", "sphinx-" + speaker, transcripts.getOrDefault(base, ""));
        }).toList();
    }

    /** Regular files under {@code root} whose name ends with one of the extensions (case-insensitive). */
    static List<Path> files(Path root, String... extensions) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                for (String e : extensions) {
                    if (n.endsWith("." + e) || n.endsWith(e) && e.equals("transcription")) {
                        return true;
                    }
                }
                return false;
            }).sorted().toList();
        }
    }
}
