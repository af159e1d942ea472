package org.sdd4j.augment;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import org.sdd4j.audio.AudioClip;
import org.sdd4j.audio.AudioReader;

/**
 * Codec augmentation: a round trip of the waveform through a lossy codec (float samples -> WAV temp
 * file -> encode -> decode -> float samples at the input's rate) by running ffmpeg or sox as a
 * subprocess. Nothing is installed or bundled: the tools are found on {@code PATH}, ffmpeg preferred,
 * sox where ffmpeg lacks the encoder.
 *
 * <p>When neither tool can encode a codec, {@link #apply} throws {@link CodecUnavailableException}
 * with a message naming the codec and what to install; {@link #unavailableReason} gives the same
 * message up front so a trainer can drop the codec from its list and report it once. Availability is
 * checked by a real round trip of a short clip on first use and cached.
 *
 * <p>The output always has the input's length: codec padding at the end is cut and a short decode is
 * zero-padded. ffmpeg removes the encoder delay of MP3 (LAME header), Vorbis and Opus; sox's MP3
 * path does not, so through sox the MP3 output lags by the decoder delay (about 0.07 s). Calls are
 * thread-safe (each uses its own temporary folder). Both tools run reproducibly (sox with
 * {@code -D -R}: no dither, fixed random numbers), so a seed fixes the output.
 */
public final class CodecAugment {
    private static final long TIMEOUT_SECONDS = 60;
    private static final int PROBE_RATE = 16_000;

    private final Path ffmpeg;
    private final Path sox;
    private final String ffmpegEncoders;
    private final String soxFormats;
    private final Map<Codec, Route> routes = new ConcurrentHashMap<>();

    /** How a codec is applied here: by ffmpeg, by sox, or not at all (with the reason). */
    private record Route(boolean viaFfmpeg, String unavailableReason) {
    }

    private CodecAugment(Path ffmpeg, Path sox) {
        this.ffmpeg = ffmpeg;
        this.sox = sox;
        this.ffmpegEncoders = ffmpeg == null ? "" : listing(ffmpeg, "-hide_banner", "-encoders");
        this.soxFormats = sox == null ? "" : soxFormatList(listing(sox, "-h"));
    }

    /** Finds ffmpeg and sox on {@code PATH}; either or both may be missing. */
    public static CodecAugment detect() {
        return new CodecAugment(onPath("ffmpeg"), onPath("sox"));
    }

    /** Uses the given executables; pass null for a tool that should not be used. */
    public static CodecAugment withTools(Path ffmpeg, Path sox) {
        return new CodecAugment(ffmpeg, sox);
    }

    /** The ffmpeg in use, if any. */
    public Optional<Path> ffmpeg() {
        return Optional.ofNullable(ffmpeg);
    }

    /** The sox in use, if any. */
    public Optional<Path> sox() {
        return Optional.ofNullable(sox);
    }

    /** Whether {@code codec} can be applied here (runs the availability probe on first call). */
    public boolean isAvailable(Codec codec) {
        return unavailableReason(codec).isEmpty();
    }

    /** Why {@code codec} cannot be applied here, or empty when it can. */
    public Optional<String> unavailableReason(Codec codec) {
        Objects.requireNonNull(codec, "codec");
        return Optional.ofNullable(routes.computeIfAbsent(codec, this::probe).unavailableReason());
    }

    /** The codecs that can be applied here. */
    public List<Codec> availableCodecs() {
        return Stream.of(Codec.values()).filter(this::isAvailable).toList();
    }

    /**
     * Round-trips {@code samples} (mono, {@code sampleRate} Hz) through {@code codec} at a quality
     * drawn from {@code rng}; returns a new array of the same length.
     *
     * @throws CodecUnavailableException if no installed tool encodes {@code codec}
     * @throws IOException               if the tool fails on this input (its output is in the message)
     */
    public float[] apply(float[] samples, int sampleRate, Codec codec, RandomGenerator rng)
            throws CodecUnavailableException, IOException {
        Objects.requireNonNull(samples, "samples");
        Objects.requireNonNull(rng, "rng");
        Optional<String> reason = unavailableReason(codec);
        if (reason.isPresent()) {
            throw new CodecUnavailableException(codec, reason.get());
        }
        if (samples.length == 0) {
            return new float[0];
        }
        boolean viaFfmpeg = routes.get(codec).viaFfmpeg();
        List<String> qualities = viaFfmpeg ? codec.ffmpeg.qualities() : codec.sox.qualities();
        String quality = qualities.isEmpty() ? null : qualities.get(rng.nextInt(qualities.size()));
        return roundTrip(samples, sampleRate, codec, viaFfmpeg, quality);
    }

    private Route probe(Codec codec) {
        boolean byFfmpeg = ffmpegEncodes(codec);
        boolean bySox = soxEncodes(codec);
        if (!byFfmpeg && !bySox) {
            return new Route(false, missingMessage(codec));
        }
        float[] tone = new float[PROBE_RATE / 10];
        for (int i = 0; i < tone.length; i++) {
            tone[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / PROBE_RATE));
        }
        List<String> failures = new ArrayList<>();
        for (boolean viaFfmpeg : new boolean[] {true, false}) {
            if (viaFfmpeg ? !byFfmpeg : !bySox) {
                continue;
            }
            List<String> q = viaFfmpeg ? codec.ffmpeg.qualities() : codec.sox.qualities();
            try {
                roundTrip(tone, PROBE_RATE, codec, viaFfmpeg, q.isEmpty() ? null : q.get(0));
                return new Route(viaFfmpeg, null);
            } catch (IOException e) {
                failures.add(e.getMessage());
            }
        }
        return new Route(false, "codec augmentation " + codec + " skipped: the installed tools list it but a test"
                + " round trip failed: " + String.join("; ", failures));
    }

    private boolean ffmpegEncodes(Codec codec) {
        return codec.ffmpeg != null && ffmpegEncoders.contains(" " + codec.ffmpeg.encoder() + " ");
    }

    private boolean soxEncodes(Codec codec) {
        return codec.sox != null && soxFormats.contains(" " + codec.sox.type() + " ");
    }

    private String missingMessage(Codec codec) {
        StringBuilder sb = new StringBuilder("codec augmentation " + codec + " skipped: ");
        if (ffmpeg == null && sox == null) {
            sb.append("neither ffmpeg nor sox is on PATH");
        } else {
            if (codec.ffmpeg != null) {
                sb.append(ffmpeg == null ? "ffmpeg is not on PATH" : "ffmpeg has no '" + codec.ffmpeg.encoder() + "' encoder");
            } else {
                sb.append("ffmpeg has no plan for it");
            }
            sb.append(", ");
            if (codec.sox != null) {
                sb.append(sox == null ? "sox is not on PATH" : "sox lacks the '" + codec.sox.type() + "' format");
            } else {
                sb.append("sox cannot encode it");
            }
        }
        sb.append(" (on Debian/Ubuntu: apt-get install ffmpeg sox libsox-fmt-all)");
        return sb.toString();
    }

    private float[] roundTrip(float[] samples, int sampleRate, Codec codec, boolean viaFfmpeg, String quality)
            throws IOException {
        Path dir = Files.createTempDirectory("sdd4j-codec-");
        try {
            Path in = dir.resolve("in.wav");
            Path encoded = dir.resolve("encoded." + codec.extension);
            Path back = dir.resolve("back.wav");
            writeFloatWav(in, samples, sampleRate);
            if (viaFfmpeg) {
                var plan = codec.ffmpeg;
                List<String> enc = new ArrayList<>(List.of(ffmpeg.toString(), "-hide_banner", "-nostdin", "-loglevel", "error",
                        "-y", "-i", in.toString(), "-ac", "1", "-ar", Integer.toString(codec.codecRate), "-c:a", plan.encoder()));
                if (quality != null) {
                    enc.addAll(List.of(plan.qualityOption(), quality));
                }
                enc.addAll(List.of("-f", plan.format(), encoded.toString()));
                run(enc, dir, codec, "encoding");
                List<String> dec = new ArrayList<>(List.of(ffmpeg.toString(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"));
                if (plan.format().equals("gsm") || plan.format().equals("g722")) {
                    dec.addAll(List.of("-f", plan.format())); // raw streams: name the demuxer
                }
                dec.addAll(List.of("-i", encoded.toString(), "-ac", "1", "-ar", Integer.toString(sampleRate),
                        "-c:a", "pcm_f32le", "-f", "wav", back.toString()));
                run(dec, dir, codec, "decoding");
            } else {
                var plan = codec.sox;
                List<String> enc = new ArrayList<>(List.of(sox.toString(), "-V1", "-D", "-R", in.toString(), "-t", plan.type(),
                        "-r", Integer.toString(codec.codecRate), "-c", "1"));
                enc.addAll(List.of(plan.extra()));
                if (quality != null) {
                    enc.addAll(List.of(plan.qualityOption(), quality));
                }
                enc.add(encoded.toString());
                run(enc, dir, codec, "encoding");
                run(List.of(sox.toString(), "-V1", "-D", "-R", "-t", plan.type(), encoded.toString(), "-r", Integer.toString(sampleRate),
                        "-c", "1", "-e", "floating-point", "-b", "32", back.toString()), dir, codec, "decoding");
            }
            AudioClip clip = AudioReader.read(back);
            float[] out = new float[samples.length];
            System.arraycopy(clip.samples(), 0, out, 0, Math.min(out.length, clip.length()));
            return out;
        } finally {
            deleteTree(dir);
        }
    }

    private static void run(List<String> command, Path dir, Codec codec, String step) throws IOException {
        Path log = dir.resolve("tool.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(codec + " " + step + ": " + command.get(0) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(codec + " " + step + " interrupted", e);
        }
        if (p.exitValue() != 0) {
            String output = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).strip() : "";
            if (output.length() > 600) {
                output = "..." + output.substring(output.length() - 600);
            }
            throw new IOException(codec + " " + step + " failed (exit " + p.exitValue() + "): " + String.join(" ", command)
                    + (output.isEmpty() ? "" : "\n" + output));
        }
    }

    /** Mono IEEE-float WAV, the lossless hand-over format both tools read. */
    static void writeFloatWav(Path file, float[] samples, int sampleRate) throws IOException {
        int dataBytes = samples.length * 4;
        ByteBuffer b = ByteBuffer.allocate(58 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(50 + dataBytes).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(18).putShort((short) 3).putShort((short) 1)
                .putInt(sampleRate).putInt(sampleRate * 4).putShort((short) 4).putShort((short) 32).putShort((short) 0);
        b.put("fact".getBytes(StandardCharsets.US_ASCII)).putInt(4).putInt(samples.length);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        for (float v : samples) {
            b.putFloat(v);
        }
        Files.write(file, b.array());
    }

    private static String listing(Path tool, String... args) {
        List<String> command = new ArrayList<>();
        command.add(tool.toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new String(out, StandardCharsets.UTF_8).replace('\n', ' ').replace('\t', ' ') + " ";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The "AUDIO FILE FORMATS:" line of {@code sox -h}, space-delimited at both ends. */
    private static String soxFormatList(String help) {
        int at = help.indexOf("AUDIO FILE FORMATS:");
        if (at < 0) {
            return "";
        }
        int end = help.indexOf("PLAYLIST FORMATS:", at);
        return " " + help.substring(at + "AUDIO FILE FORMATS:".length(), end < 0 ? help.length() : end) + " ";
    }

    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless; the augmented audio is already returned
        }
    }
}
