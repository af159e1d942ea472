package org.sdd4j.corpus;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioFormatException;
import org.sdd4j.audio.AudioReader;

/**
 * Decodes the source packages' audio: WAV and FLAC with sdd4j's own reader, everything else (Ogg
 * Vorbis, MP3, GSM) through ffmpeg or sox as a subprocess writing WAV to a pipe, since sdd4j has no
 * decoders for those formats.
 */
public final class ExternalDecoder {
    private static final long TIMEOUT_SECONDS = 60;
    private final Path ffmpeg;
    private final Path sox;

    private ExternalDecoder(Path ffmpeg, Path sox) {
        this.ffmpeg = ffmpeg;
        this.sox = sox;
    }

    /** Finds ffmpeg and sox on {@code PATH}. */
    public static ExternalDecoder detect() {
        return new ExternalDecoder(onPath("ffmpeg").orElse(null), onPath("sox").orElse(null));
    }

    /** Whether files that need a subprocess can be decoded. */
    public boolean canDecodeCompressed() {
        return ffmpeg != null || sox != null;
    }

    /** Decodes {@code file} to mono at its own rate. */
    public AudioClip decode(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".wav") || name.endsWith(".flac")) {
            return AudioReader.read(file);
        }
        List<String> command;
        if (ffmpeg != null) {
            command = List.of(ffmpeg.toString(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", file.toString(),
                    "-ac", "1", "-c:a", "pcm_f32le", "-f", "wav", "-");
        } else if (sox != null) {
            command = List.of(sox.toString(), "-V1", file.toString(), "-c", "1", "-e", "floating-point", "-b", "32", "-t", "wav", "-");
        } else {
            throw new AudioFormatException(file.toString(), "decoding this format needs ffmpeg or sox"
                    + " (on Debian/Ubuntu: apt-get install ffmpeg)");
        }
        Path errors = Files.createTempFile("sdd4j-decode-", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            byte[] wav = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AudioFormatException(file.toString(), command.get(0) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0 || wav.length == 0) {
                String log = Files.readString(errors).strip();
                throw new AudioFormatException(file.toString(), command.get(0) + " could not decode it (exit " + p.exitValue()
                        + (log.isEmpty() ? ")" : "): " + log.lines().findFirst().orElse("")));
            }
            AudioClip clip = AudioReader.builtIn().decode(file.toString(), ByteBuffer.wrap(wav));
            return clip;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while decoding " + file, e);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
