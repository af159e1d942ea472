package org.sdd4j.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Decodes RIFF/WAVE and RF64/BW64 files: integer PCM of 8 (unsigned), 16, 24 and 32 bits, IEEE float
 * of 32 and 64 bits, plain or as {@code WAVE_FORMAT_EXTENSIBLE}, any channel count.
 *
 * <p>Scaling follows libsndfile (and therefore Python's soundfile): an integer sample is divided by
 * the full scale of its container, {@code 2^(8*bytes-1)}, and 8-bit samples are {@code (u - 128) / 128};
 * float samples are passed through unchanged. Channels are averaged in double precision and rounded to
 * float once, so mono files decode bit-exactly to soundfile's float32 output.
 *
 * <p>Unknown chunks are skipped (with RIFF's pad byte after odd-sized chunks). A data size of
 * {@code 0xFFFFFFFF} (streaming writers, or RF64 without the size in {@code ds64}) means "to the end of
 * the file"; any other data size that runs past the end of the file is reported as truncation. A
 * trailing partial sample frame is ignored, as libsndfile does.
 */
public final class WavDecoder implements AudioDecoder {
    private static final int PCM = 0x0001;
    private static final int IEEE_FLOAT = 0x0003;
    private static final int EXTENSIBLE = 0xFFFE;
    private static final long UNKNOWN_SIZE = 0xFFFFFFFFL;
    /** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID in WAVE_FORMAT_EXTENSIBLE. */
    private static final byte[] SUBTYPE_GUID_TAIL = {
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71};

    @Override
    public String formatName() {
        return "WAV";
    }

    @Override
    public boolean recognizes(ByteBuffer contents) {
        String id = ascii(contents, 0, 4);
        return id.equals("RIFF") || id.equals("RF64") || id.equals("BW64");
    }

    /** The parts of the {@code fmt } chunk that decoding needs. */
    private record Format(int tag, int channels, int sampleRate, int blockAlign, int bitsPerSample) {
        int bytesPerSample() {
            return blockAlign / channels;
        }
    }

    @Override
    public AudioClip decode(String source, ByteBuffer contents) throws AudioFormatException {
        ByteBuffer b = contents.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long size = b.limit();
        if (size == 0) {
            throw new AudioFormatException(source, "file is empty");
        }
        if (size < 12) {
            throw new AudioFormatException(source, "truncated WAV header (" + size + " bytes, need at least 12)");
        }
        String riff = ascii(b, 0, 4);
        boolean rf64 = riff.equals("RF64") || riff.equals("BW64");
        if (!rf64 && !riff.equals("RIFF")) {
            throw new AudioFormatException(source, "not a WAV file (no RIFF/RF64 header)");
        }
        if (!ascii(b, 8, 4).equals("WAVE")) {
            throw new AudioFormatException(source, "RIFF file of type '" + ascii(b, 8, 4) + "' is not WAVE audio");
        }

        Format format = null;
        long rf64DataSize = -1;
        long dataStart = -1;
        long dataSize = -1;
        long pos = 12;
        while (pos + 8 <= size && (format == null || dataStart < 0)) {
            String id = ascii(b, (int) pos, 4);
            long chunkSize = Integer.toUnsignedLong(b.getInt((int) pos + 4));
            long body = pos + 8;
            switch (id) {
                case "ds64" -> {
                    requireInFile(source, id, body, 24, size);
                    rf64DataSize = b.getLong((int) body + 8);
                }
                case "fmt " -> {
                    requireInFile(source, id, body, chunkSize, size);
                    format = parseFormat(source, b, (int) body, chunkSize);
                }
                case "data" -> {
                    if (chunkSize == UNKNOWN_SIZE) {
                        chunkSize = rf64 && rf64DataSize >= 0 ? rf64DataSize : size - body;
                    }
                    if (body + chunkSize > size) {
                        throw new AudioFormatException(source, "truncated: the data chunk declares " + chunkSize
                                + " bytes but only " + (size - body) + " follow it");
                    }
                    dataStart = body;
                    dataSize = chunkSize;
                }
                default -> requireInFile(source, id, body, chunkSize, size);
            }
            pos = body + chunkSize + (chunkSize & 1);
        }
        if ((format == null || dataStart < 0) && pos < size) {
            throw new AudioFormatException(source, "truncated: the file ends inside the chunk header at byte " + pos);
        }
        if (format == null) {
            throw new AudioFormatException(source, "WAV file has no fmt chunk");
        }
        if (dataStart < 0) {
            throw new AudioFormatException(source, "WAV file has no data chunk");
        }
        long frames = dataSize / format.blockAlign();
        if (frames == 0) {
            throw new AudioFormatException(source, "contains no audio samples (empty data chunk)");
        }
        if (frames > Integer.MAX_VALUE - 8) {
            throw new AudioFormatException(source, "too long to decode into one clip (" + frames + " frames)");
        }
        return new AudioClip(toMono(b, (int) dataStart, (int) frames, format), format.sampleRate(), source);
    }

    private static void requireInFile(String source, String id, long body, long chunkSize, long size)
            throws AudioFormatException {
        if (body + chunkSize > size) {
            throw new AudioFormatException(source, "truncated: the '" + id.strip() + "' chunk at byte " + (body - 8)
                    + " declares " + chunkSize + " bytes but only " + (size - body) + " follow it");
        }
    }

    private static Format parseFormat(String source, ByteBuffer b, int at, long chunkSize)
            throws AudioFormatException {
        if (chunkSize < 16) {
            throw new AudioFormatException(source, "fmt chunk is too short (" + chunkSize + " bytes)");
        }
        int tag = Short.toUnsignedInt(b.getShort(at));
        int channels = Short.toUnsignedInt(b.getShort(at + 2));
        long sampleRate = Integer.toUnsignedLong(b.getInt(at + 4));
        int blockAlign = Short.toUnsignedInt(b.getShort(at + 12));
        int bits = Short.toUnsignedInt(b.getShort(at + 14));
        if (tag == EXTENSIBLE) {
            if (chunkSize < 40) {
                throw new AudioFormatException(source, "WAVE_FORMAT_EXTENSIBLE fmt chunk is too short (" + chunkSize + " bytes)");
            }
            tag = Short.toUnsignedInt(b.getShort(at + 24));
            for (int i = 0; i < SUBTYPE_GUID_TAIL.length; i++) {
                if (b.get(at + 26 + i) != SUBTYPE_GUID_TAIL[i]) {
                    throw new AudioFormatException(source, "WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID");
                }
            }
        }
        if (channels == 0) {
            throw new AudioFormatException(source, "fmt chunk declares 0 channels");
        }
        if (sampleRate == 0 || sampleRate > Integer.MAX_VALUE) {
            throw new AudioFormatException(source, "fmt chunk declares an invalid sample rate " + sampleRate);
        }
        if (blockAlign == 0 || blockAlign % channels != 0) {
            throw new AudioFormatException(source, "fmt chunk block align " + blockAlign + " does not fit "
                    + channels + " channels");
        }
        Format f = new Format(tag, channels, (int) sampleRate, blockAlign, bits);
        int width = f.bytesPerSample();
        boolean supported = switch (tag) {
            case PCM -> width >= 1 && width <= 4;
            case IEEE_FLOAT -> width == 4 || width == 8;
            default -> false;
        };
        if (!supported) {
            String what = tag == PCM ? "integer PCM in " + width + "-byte samples"
                    : tag == IEEE_FLOAT ? "float in " + width + "-byte samples"
                    : String.format("format tag 0x%04X (%s)", tag, tagName(tag));
            throw new AudioFormatException(source, "WAV " + what + " is not supported; it needs libsndfile");
        }
        return f;
    }

    private static String tagName(int tag) {
        return switch (tag) {
            case 0x0002 -> "MS ADPCM";
            case 0x0006 -> "A-law";
            case 0x0007 -> "mu-law";
            case 0x0011 -> "IMA ADPCM";
            case 0x0031 -> "GSM 6.10";
            case 0x0055 -> "MPEG layer 3";
            default -> "unknown";
        };
    }

    /** Averages the channels of each frame in double and rounds once to float (see class comment). */
    private static float[] toMono(ByteBuffer b, int start, int frames, Format f) {
        int channels = f.channels();
        int width = f.bytesPerSample();
        float[] out = new float[frames];
        int at = start;
        if (f.tag() == IEEE_FLOAT) {
            for (int i = 0; i < frames; i++) {
                double sum = 0;
                for (int c = 0; c < channels; c++, at += width) {
                    sum += width == 4 ? b.getFloat(at) : b.getDouble(at);
                }
                out[i] = (float) (sum / channels);
            }
            return out;
        }
        double scale = 1.0 / (1L << (8 * width - 1));
        for (int i = 0; i < frames; i++) {
            long sum = 0;
            for (int c = 0; c < channels; c++, at += width) {
                sum += switch (width) {
                    case 1 -> (b.get(at) & 0xFF) - 128;
                    case 2 -> b.getShort(at);
                    case 3 -> ((b.get(at) & 0xFF) | (b.get(at + 1) & 0xFF) << 8 | b.get(at + 2) << 16);
                    default -> b.getInt(at);
                };
            }
            // sum * scale is exact (power of two), so this is one rounding of the true channel mean.
            out[i] = (float) (sum * scale / channels);
        }
        return out;
    }

    static String ascii(ByteBuffer b, int at, int n) {
        if (at + n > b.limit()) {
            return "";
        }
        byte[] id = new byte[n];
        b.get(at, id);
        return new String(id, StandardCharsets.ISO_8859_1);
    }
}
