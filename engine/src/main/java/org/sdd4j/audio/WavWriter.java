package org.sdd4j.audio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes mono 16-bit PCM WAV files: the corpus builder's output format, and test audio. */
public final class WavWriter {
    private WavWriter() {
    }

    /** Writes {@code samples} (clipped to [-1, 1]) at {@code sampleRate}, creating the parent folder if needed. */
    public static void writePcm16(Path file, float[] samples, int sampleRate) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        int dataBytes = samples.length * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(sampleRate).putInt(sampleRate * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        for (float v : samples) {
            double c = Math.max(-1, Math.min(1, v));
            b.putShort((short) Math.round(c * 32767));
        }
        Files.write(file, b.array());
    }
}
