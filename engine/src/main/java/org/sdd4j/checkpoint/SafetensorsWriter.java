package org.sdd4j.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.sdd4j.tensor.Device;
import org.sdd4j.tensor.Tensor;

/**
 * Writes safetensors files atomically: the bytes go to a temporary file in the target's directory, which
 * is synced and then renamed over the target, so a crash leaves either the old file or the new one, never
 * a torn one (a training run saving checkpoints can be killed at any moment).
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {
    }

    /** Writes {@code tensors} in map order, with no metadata. */
    public static void write(Path path, Map<String, Tensor> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /** Writes {@code tensors} in map order and {@code metadata} as the {@code __metadata__} string map. */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject(SafetensorsReader.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (e.getKey().equals(SafetensorsReader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor may not be called " + SafetensorsReader.METADATA_KEY);
            }
            if (t.device() != Device.CPU) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' is on " + t.device() + "; copy it to the CPU first");
            }
            long bytes = t.numel() * t.dtype().byteSize();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", SafetensorsReader.name(t.dtype()));
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();

        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, head);
                for (Tensor t : tensors.values()) {
                    writeFully(ch, t.data().asSlice(0, t.numel() * t.dtype().byteSize()).asByteBuffer());
                }
                ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    /** Makes the rename itself durable; some file systems cannot open directories, which is harmless. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the data itself is already synced
        }
    }
}
