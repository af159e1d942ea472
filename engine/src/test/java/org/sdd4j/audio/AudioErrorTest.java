package org.sdd4j.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gives an {@link AudioFormatException} whose message names the file and the problem. */
class AudioErrorTest {
    @TempDir
    Path dir;

    private AudioFormatException fails(String name, byte[] contents, String problem) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, contents);
        AudioFormatException e = assertThrows(AudioFormatException.class, () -> AudioReader.read(file));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), "expected '" + problem + "' in: " + e.getMessage());
        return e;
    }

    private static byte[] fixture(String name) throws Exception {
        return Files.readAllBytes(AudioDecodingTest.resourceDir().resolve(name));
    }

    /** A canonical 44-byte-header PCM WAV; dataSize is written as given, then {@code payload} bytes. */
    static byte[] wav(int tag, int channels, int bits, long dataSize, int payload) {
        ByteBuffer b = ByteBuffer.allocate(44 + payload).order(ByteOrder.LITTLE_ENDIAN);
        int block = channels * bits / 8;
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + payload).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) tag).putShort((short) channels)
                .putInt(16000).putInt(16000 * block).putShort((short) block).putShort((short) bits);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) dataSize);
        for (int i = 0; i < payload; i++) {
            b.put((byte) (i * 7));
        }
        return b.array();
    }

    @Test
    void emptyFile() throws Exception {
        fails("empty.wav", new byte[0], "file is empty");
    }

    @Test
    void tooShortForAnyHeader() throws Exception {
        fails("tiny.bin", new byte[] {1, 2}, "truncated header");
        fails("riff.wav", "RIFF\0\0".getBytes(StandardCharsets.US_ASCII), "truncated WAV header");
    }

    @Test
    void wavHeaderCutInsideFmtChunk() throws Exception {
        fails("cut.wav", Arrays.copyOf(wav(1, 1, 16, 100, 100), 30), "truncated: the 'fmt' chunk");
        fails("cut2.wav", Arrays.copyOf(wav(1, 1, 16, 100, 100), 40), "truncated: the file ends inside the chunk header");
    }

    @Test
    void notAudio() throws Exception {
        fails("notes.wav", "hello, this is a text file\n".getBytes(StandardCharsets.US_ASCII), "not a recognised audio file");
        byte[] riffAvi = wav(1, 1, 16, 0, 0);
        System.arraycopy("AVI ".getBytes(StandardCharsets.US_ASCII), 0, riffAvi, 8, 4);
        fails("movie.avi", riffAvi, "is not WAVE audio");
    }

    @Test
    void formatsThatNeedLibsndfile() throws Exception {
        fails("a.ogg", "OggS\0\2\0\0\0\0\0\0\0\0".getBytes(StandardCharsets.US_ASCII), "format Ogg");
        fails("a.mp3", "ID3\4\0\0\0\0\0\0rest".getBytes(StandardCharsets.US_ASCII), "format MP3");
        fails("b.mp3", new byte[] {(byte) 0xFF, (byte) 0xFB, (byte) 0x90, 0x64, 0, 0, 0, 0}, "needs libsndfile");
        fails("mulaw.wav", wav(7, 1, 8, 10, 10), "mu-law) is not supported; it needs libsndfile");
    }

    @Test
    void zeroLengthAudio() throws Exception {
        fails("silent.wav", wav(1, 1, 16, 0, 0), "contains no audio samples");
        fails("half-frame.wav", wav(1, 2, 16, 3, 3), "contains no audio samples");
    }

    @Test
    void wavDataChunkLongerThanFile() throws Exception {
        fails("short.wav", wav(1, 1, 16, 1000, 100), "truncated: the data chunk declares 1000 bytes but only 100");
    }

    @Test
    void wavUnknownDataSizeReadsToEndOfFile() throws Exception {
        Path file = dir.resolve("stream.wav");
        Files.write(file, wav(1, 1, 16, 0xFFFFFFFFL, 101));
        assertEquals(50, AudioReader.read(file).length()); // 101 bytes: 50 whole 16-bit samples
    }

    @Test
    void truncatedFlac() throws Exception {
        byte[] whole = fixture("flac16_stereo_44k_l8.flac");
        fails("cut.flac", Arrays.copyOf(whole, whole.length * 2 / 3), "truncated");
        fails("cut-meta.flac", Arrays.copyOf(whole, 20), "truncated FLAC header");
        fails("marker.flac", Arrays.copyOf(whole, 4), "truncated FLAC header");
    }

    @Test
    void flacCutAtAFrameBoundaryIsReportedAgainstStreamInfo() throws Exception {
        byte[] whole = fixture("flac16_stereo_44k_l8.flac");
        int second = secondFrameOffset(whole);
        fails("one-frame.flac", Arrays.copyOf(whole, second), "truncated: the FLAC stream ends after 4096 of");
    }

    @Test
    void corruptFlacIsReportedWithFrameOffset() throws Exception {
        byte[] whole = fixture("flac24_stereo_48k_l5.flac");
        int firstFrame = metadataEnd(whole);
        // Flip one bit at several places inside the audio frames: each must be caught, never decoded silently.
        for (int k = 1; k <= 9; k++) {
            int at = firstFrame + (whole.length - firstFrame) * k / 10;
            byte[] bad = whole.clone();
            bad[at] ^= 0x10;
            fails("corrupt" + k + ".flac", bad, "corrupt FLAC frame at byte offset ");
        }
    }

    @Test
    void corruptFrameHeaderFailsItsCrc8() throws Exception {
        byte[] whole = fixture("flac16_stereo_44k_l8.flac");
        int second = secondFrameOffset(whole);
        byte[] bad = whole.clone();
        bad[second + 4] ^= 0x01; // the coded frame number
        AudioFormatException e = fails("header.flac", bad, "corrupt FLAC frame at byte offset " + second);
        assertTrue(e.getMessage().contains("CRC-8"), e.getMessage());
    }

    @Test
    void flacWithoutFrames() throws Exception {
        byte[] whole = fixture("flac16_mono_16k_l5.flac");
        byte[] headerOnly = Arrays.copyOf(whole, metadataEnd(whole));
        // total samples (36 bits ending STREAMINFO byte 17 + 4 + 4 = byte 25 of the file) set to 0: "unknown"
        headerOnly[4 + 4 + 13] &= (byte) 0xF0;
        for (int i = 4 + 4 + 14; i < 4 + 4 + 18; i++) {
            headerOnly[i] = 0;
        }
        fails("no-frames.flac", headerOnly, "contains no audio samples");
    }

    @Test
    void flacWithoutStreamInfo() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("fLaC".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {(byte) 0x81, 0, 0, 4, 0, 0, 0, 0}); // a last PADDING block only
        fails("nostreaminfo.flac", out.toByteArray(), "does not start with a STREAMINFO block");
    }

    @Test
    void pluggedInDecoderIsTriedFirst() throws Exception {
        AudioDecoder ogg = new AudioDecoder() {
            @Override
            public String formatName() {
                return "Ogg";
            }

            @Override
            public boolean recognizes(ByteBuffer contents) {
                return contents.limit() >= 4 && contents.get(0) == 'O' && contents.get(1) == 'g';
            }

            @Override
            public AudioClip decode(String source, ByteBuffer contents) {
                return new AudioClip(new float[] {contents.limit()}, 48000, source);
            }
        };
        Path file = dir.resolve("x.ogg");
        Files.write(file, "OggS and then some".getBytes(StandardCharsets.US_ASCII));
        AudioClip clip = AudioReader.builtIn().with(ogg).decode(file);
        assertEquals(18f, clip.samples()[0]);
        assertEquals(file.toString(), clip.source());
        assertThrows(AudioFormatException.class, () -> AudioReader.read(file)); // the built-in reader is unchanged
    }

    /** Offset of the first audio frame: after "fLaC" and all metadata blocks. */
    static int metadataEnd(byte[] f) {
        int at = 4;
        boolean last = false;
        while (!last) {
            last = (f[at] & 0x80) != 0;
            int len = (f[at + 1] & 0xFF) << 16 | (f[at + 2] & 0xFF) << 8 | (f[at + 3] & 0xFF);
            at += 4 + len;
        }
        return at;
    }

    /** The second frame of a fixed-block-size stream: the next sync code whose frame number byte is 1. */
    private static int secondFrameOffset(byte[] f) {
        for (int i = metadataEnd(f) + 2; i + 4 < f.length; i++) {
            if ((f[i] & 0xFF) == 0xFF && (f[i + 1] & 0xFF) == 0xF8 && f[i + 4] == 1) {
                return i;
            }
        }
        throw new AssertionError("no second frame found");
    }
}
