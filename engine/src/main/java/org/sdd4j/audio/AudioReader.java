package org.sdd4j.audio;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads audio files into mono {@link AudioClip}s, choosing the decoder by the file's magic bytes, not
 * its name. The built-in decoders are WAV/RF64 and FLAC; other decoders (e.g. one backed by libsndfile)
 * can be put in front of them with {@link #with(AudioDecoder)}.
 *
 * <p>The file is memory-mapped for the duration of the decode and unmapped afterwards. Formats that
 * are recognised but have no decoder here (Ogg, MP3, AIFF, ...) are reported as such, so the user
 * knows to convert the file rather than suspect it is broken.
 */
public final class AudioReader {
    private static final AudioReader BUILT_IN = new AudioReader(List.of(new WavDecoder(), new FlacDecoder()));

    private final List<AudioDecoder> decoders;

    private AudioReader(List<AudioDecoder> decoders) {
        this.decoders = List.copyOf(decoders);
    }

    /** The reader with only the pure-Java decoders (WAV, FLAC). */
    public static AudioReader builtIn() {
        return BUILT_IN;
    }

    /** A reader that tries {@code decoder} first, then this reader's decoders. */
    public AudioReader with(AudioDecoder decoder) {
        var list = new ArrayList<AudioDecoder>();
        list.add(decoder);
        list.addAll(decoders);
        return new AudioReader(list);
    }

    /** Decodes {@code file} with the built-in decoders. */
    public static AudioClip read(Path file) throws IOException {
        return BUILT_IN.decode(file);
    }

    /**
     * Decodes {@code file} to mono at its own sample rate.
     *
     * @throws AudioFormatException if the file is empty, not audio, in an unsupported format, truncated
     *                              or corrupt; the message names the file
     * @throws IOException          if the file cannot be read at all
     */
    public AudioClip decode(Path file) throws IOException {
        String source = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size == 0) {
                throw new AudioFormatException(source, "file is empty");
            }
            if (size > Integer.MAX_VALUE) {
                throw new AudioFormatException(source, "file is larger than 2 GiB; split it before scoring");
            }
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return decode(source, mapped.asByteBuffer().asReadOnlyBuffer());
        }
    }

    /**
     * Decodes an in-memory file (the bytes from the buffer's position to its limit); {@code source}
     * names it in the clip and in messages.
     */
    public AudioClip decode(String source, ByteBuffer contents) throws AudioFormatException {
        ByteBuffer whole = contents.slice();
        if (whole.limit() == 0) {
            throw new AudioFormatException(source, "file is empty");
        }
        for (AudioDecoder d : decoders) {
            if (d.recognizes(whole.duplicate())) {
                return d.decode(source, whole.duplicate());
            }
        }
        String known = knownFormat(whole);
        if (known != null) {
            throw new AudioFormatException(source, "format " + known + " needs libsndfile, which this build does not"
                    + " use; convert it to WAV or FLAC (e.g. `sox in out.wav`)");
        }
        if (whole.limit() < 4) {
            throw new AudioFormatException(source, "truncated header: only " + whole.limit() + " bytes, too short for any audio format");
        }
        throw new AudioFormatException(source, "not a recognised audio file (starts with "
                + hex(whole, 8) + "); expected WAV or FLAC");
    }

    /** Names a few common audio containers that the built-in decoders do not handle. */
    private static String knownFormat(ByteBuffer b) {
        String head4 = WavDecoder.ascii(b, 0, 4);
        int b0 = b.limit() > 0 ? b.get(0) & 0xFF : 0;
        int b1 = b.limit() > 1 ? b.get(1) & 0xFF : 0;
        return switch (head4) {
            case "OggS" -> "Ogg (Vorbis/Opus/FLAC-in-Ogg)";
            case "RIFX" -> "big-endian WAV (RIFX)";
            case "FORM" -> "AIFF";
            case ".snd" -> "Sun/NeXT AU";
            case "caff" -> "Core Audio (CAF)";
            case "wvpk" -> "WavPack";
            case "MAC " -> "Monkey's Audio";
            default -> {
                if (head4.startsWith("ID3") || (b0 == 0xFF && (b1 & 0xE0) == 0xE0 && (b1 & 0x06) != 0)) {
                    yield "MP3 (MPEG audio)";
                }
                if (head4.length() == 4 && WavDecoder.ascii(b, 4, 4).equals("ftyp")) {
                    yield "MP4/M4A";
                }
                yield null;
            }
        };
    }

    private static String hex(ByteBuffer b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.limit()); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02X", b.get(i) & 0xFF));
        }
        return sb.toString();
    }
}
