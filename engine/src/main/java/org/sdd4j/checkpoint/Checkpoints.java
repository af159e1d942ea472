package org.sdd4j.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens a checkpoint file of any supported format, chosen by its first bytes rather than its name. */
public final class Checkpoints {
    private Checkpoints() {
    }

    /**
     * Opens {@code path} as a torch.save file (zip, or legacy pickle stream) or a safetensors file.
     * The result maps the file and must be closed.
     *
     * @throws CheckpointException for empty, truncated, unknown or malformed files, naming the file
     */
    public static StateDict open(Path path) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        long size;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            size = ch.size();
            while (head.hasRemaining() && ch.read(head) >= 0) {
                // fill the head, or stop at the end of a short file
            }
        }
        if (size == 0) {
            throw new CheckpointException(path, "empty file");
        }
        head.flip();
        if (head.remaining() >= 2 && head.get(0) == 'P' && head.get(1) == 'K') {
            return PthReader.read(path);
        }
        // Safetensors before pickles: a 128..255-byte safetensors header also starts with 0x80.
        boolean jsonAt8 = head.remaining() >= 9 && head.get(8) == '{';
        long headerSize = head.remaining() >= 8 ? head.getLong(0) : -1;
        if (jsonAt8 && headerSize >= 0 && headerSize <= size - 8) {
            return SafetensorsReader.read(path);
        }
        if ((head.get(0) & 0xff) == 0x80 && head.remaining() >= 2 && head.get(1) >= 2 && head.get(1) <= 5) {
            return PthReader.read(path);
        }
        if (jsonAt8) {
            throw new CheckpointException(path, "safetensors header of " + Long.toUnsignedString(headerSize)
                    + " bytes is longer than the file (truncated?)");
        }
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(head.remaining(), 8); i++) {
            hex.append(String.format("%02x ", head.get(i)));
        }
        throw new CheckpointException(path, "not a checkpoint: first bytes " + hex.toString().trim()
                + " are neither a torch.save zip ('PK'), a legacy torch.save pickle (0x80) nor a safetensors header");
    }

    /** Maps the whole file read-only into {@code arena}. */
    static MemorySegment map(Path path, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }
}
