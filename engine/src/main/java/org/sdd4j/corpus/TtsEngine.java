package org.sdd4j.corpus;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioReader;

/**
 * The offline text-to-speech engines that make the spoofed class, each run as a subprocess that writes
 * a WAV file. {@link #missingReason()} names the Debian package to install when an engine is absent.
 */
public enum TtsEngine {
    /** Formant synthesis, ~130 languages, voice variants. */
    ESPEAK_NG("espeak-ng", "espeak-ng", "GPL-3+"),
    /** espeak 1.48 (the formant synthesiser espeak-ng forked from). */
    ESPEAK("espeak", "espeak", "GPL-3+"),
    /** CMU Flite: diphone (kal, kal16) and clustergen (awb, rms, slt) voices, English. */
    FLITE("flite", "flite", "BSD-like (CMU Flite licence)"),
    /** Festival with its installed festvox voices: diphone, HTS statistical parametric, cluster units. */
    FESTIVAL("festival", "festival and festvox-* voices", "BSD-like (Festival/festvox licences; voices vary)"),
    /** FreeTTS, the pure-Java port of Flite (kevin, kevin16 diphone voices). */
    FREETTS("freetts", "freetts", "BSD-like (Sun/CMU FreeTTS licence)");

    private static final long TIMEOUT_SECONDS = 60;
    /** espeak variants: different formant settings, i.e. different "speakers" of the same generator. */
    private static final List<String> ESPEAK_NG_VARIANTS = List.of("", "+m3", "+f2", "+f4", "+klatt2", "+croak");
    private static final List<String> ESPEAK_VARIANTS = List.of("", "+m2", "+f3", "+f5");
    private static final Path FESTIVAL_VOICES = Path.of("/usr/share/festival/voices");
    private static final Path FREETTS_JAR = Path.of("/usr/share/java/freetts.jar");
    /** Festival's language folders, and the text encodings their lexicons expect. */
    private static final Map<String, String> FESTIVAL_LANGUAGES = Map.of("english", "en", "us", "en", "czech", "cs",
            "italian", "it", "russian", "ru", "finnish", "fi", "catalan", "ca", "spanish", "es");
    private static final Map<String, String> FESTIVAL_CHARSETS = Map.of("cs", "ISO-8859-2", "it", "ISO-8859-1",
            "fi", "ISO-8859-1", "ca", "ISO-8859-1", "es", "ISO-8859-1", "en", "ISO-8859-1", "ru", "UTF-8");

    private final String id;
    private final String debianPackage;
    private final String licence;

    TtsEngine(String id, String debianPackage, String licence) {
        this.id = id;
        this.debianPackage = debianPackage;
        this.licence = licence;
    }

    /** The name used in the corpus ({@code source} column and generator prefix). */
    public String id() {
        return id;
    }

    /** The engine's licence. */
    public String licence() {
        return licence;
    }

    /** The engine named {@code id}. */
    public static TtsEngine byId(String id) {
        for (TtsEngine e : values()) {
            if (e.id.equals(id)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown TTS engine '" + id + "'");
    }

    /** One voice of an engine: the generator of a spoofed item is {@code engine:name}. */
    public record Voice(TtsEngine engine, String name, String language) {
        public String generator() {
            return engine.id + ":" + name;
        }
    }

    /** Why the engine cannot run here (naming the package to install), or null when it can. */
    public String missingReason() {
        boolean present = switch (this) {
            case FESTIVAL -> ExternalDecoder.onPath("text2wave").isPresent();
            case FREETTS -> Files.isRegularFile(FREETTS_JAR);
            default -> ExternalDecoder.onPath(id).isPresent();
        };
        return present ? null : id + " is not installed (on Debian/Ubuntu: apt-get install " + debianPackage + ")";
    }

    /** The voices for the given languages (all its voices' languages when {@code languages} is empty). */
    public List<Voice> voices(Set<String> languages) throws IOException {
        List<Voice> out = new ArrayList<>();
        switch (this) {
            case ESPEAK_NG, ESPEAK -> {
                Set<String> have = espeakLanguages();
                List<String> variants = this == ESPEAK_NG ? ESPEAK_NG_VARIANTS : ESPEAK_VARIANTS;
                // espeak names accents ("en-us", "fr-fr"); each accent of a wanted language is a voice of it
                for (String code : have) {
                    String lang = code.split("-")[0];
                    if (languages.isEmpty() || languages.contains(lang)) {
                        for (String v : variants) {
                            out.add(new Voice(this, code + v, lang));
                        }
                    }
                }
            }
            case FLITE -> {
                String listing = run(List.of("flite", "-lv"));
                for (String v : listing.replace("Voices available:", "").trim().split("\\s+")) {
                    // awb_time only speaks clock times
                    if (!v.isEmpty() && !v.equals("awb_time") && (languages.isEmpty() || languages.contains("en"))) {
                        out.add(new Voice(this, v, "en"));
                    }
                }
            }
            case FESTIVAL -> {
                if (Files.isDirectory(FESTIVAL_VOICES)) {
                    try (Stream<Path> dirs = Files.list(FESTIVAL_VOICES)) {
                        for (Path langDir : dirs.sorted().toList()) {
                            String lang = FESTIVAL_LANGUAGES.get(langDir.getFileName().toString());
                            if (lang == null || !(languages.isEmpty() || languages.contains(lang))) {
                                continue;
                            }
                            try (Stream<Path> voices = Files.list(langDir)) {
                                for (Path v : voices.sorted().toList()) {
                                    String name = v.getFileName().toString();
                                    if (Files.isDirectory(v) && !name.contains(".")) {
                                        out.add(new Voice(this, name, lang));
                                    }
                                }
                            }
                        }
                    }
                }
            }
            case FREETTS -> {
                if (languages.isEmpty() || languages.contains("en")) {
                    out.add(new Voice(this, "kevin16", "en"));
                    out.add(new Voice(this, "kevin", "en"));
                }
            }
        }
        return out;
    }

    /** Synthesises {@code text} with {@code voice}; {@code work} is a scratch folder. */
    public AudioClip synthesize(Voice voice, String text, Path work) throws IOException {
        Path wav = Files.createTempFile(work, id, ".wav");
        try {
            switch (this) {
                case ESPEAK_NG, ESPEAK -> run(List.of(id, "-v", voice.name(), "-w", wav.toString(), text));
                case FLITE -> run(List.of("flite", "-voice", voice.name(), "-t", text, "-o", wav.toString()));
                case FESTIVAL -> {
                    Path txt = Files.createTempFile(work, "festival", ".txt");
                    try {
                        Charset cs = Charset.forName(FESTIVAL_CHARSETS.getOrDefault(voice.language(), "UTF-8"));
                        Files.writeString(txt, text + "\n", cs);
                        run(List.of("text2wave", "-eval", "(voice_" + voice.name() + ")", txt.toString(), "-o", wav.toString()));
                    } finally {
                        Files.deleteIfExists(txt);
                    }
                }
                case FREETTS -> {
                    String java = ProcessHandle.current().info().command().orElse("java");
                    run(List.of(java, "-cp", FREETTS_JAR.toString(), "com.sun.speech.freetts.FreeTTS", "-voice", voice.name(),
                            "-dumpAudio", wav.toString(), "-text", text));
                }
            }
            if (Files.size(wav) == 0) {
                throw new IOException(voice.generator() + " wrote no audio for '" + text + "'");
            }
            return AudioReader.read(wav);
        } finally {
            Files.deleteIfExists(wav);
        }
    }

    /** The languages {@code espeak(-ng) --voices} lists (second column). */
    private Set<String> espeakLanguages() throws IOException {
        Set<String> out = new LinkedHashSet<>();
        String listing = run(List.of(id, "--voices"));
        for (String line : listing.split("\n")) {
            String[] c = line.trim().split("\\s+");
            if (c.length >= 2 && !c[0].equals("Pty")) {
                out.add(c[1]);
            }
        }
        return out;
    }

    private static String run(List<String> command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(command.get(0) + " failed (exit " + p.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + command.get(0), e);
        }
    }
}
