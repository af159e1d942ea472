package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that are not usable checkpoints must fail with a message naming the file and the problem. */
class BadInputTest {
    @TempDir
    Path dir;

    private CheckpointException refused(Path file, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(file).close());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        return e;
    }

    /** A zip like torch.save's, with the given entries stored (or deflated). */
    static byte[] zip(boolean deflate, Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(e.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                out.putNextEntry(entry);
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void emptyFile() throws IOException {
        refused(write("empty.pth", new byte[0]), "empty file");
    }

    @Test
    void unknownFormat() throws IOException {
        refused(write("notes.pth", "hello, this is text\n".getBytes(StandardCharsets.US_ASCII)), "not a checkpoint", "68 65 6c 6c");
    }

    @Test
    void truncatedZip() throws IOException {
        byte[] whole = Files.readAllBytes(Shared.fixture("nested.pth", dir));
        refused(write("cut.pth", Arrays.copyOf(whole, whole.length / 2)), "truncated");
        // Cut inside the central directory: the end record is there but entries are not.
        byte[] tail = Arrays.copyOf(whole, whole.length - 30);
        refused(write("cut2.pth", tail), "truncated");
    }

    @Test
    void zipWithoutDataPkl() throws IOException {
        refused(write("other.zip", zip(false, Map.of("readme.txt", "hi".getBytes(StandardCharsets.US_ASCII)))), "data.pkl");
    }

    @Test
    void compressedEntry() throws IOException {
        byte[] pkl = "\u0080\u0002}.".getBytes(StandardCharsets.ISO_8859_1);
        refused(write("deflated.pth", zip(true, Map.of("archive/data.pkl", pkl))), "compressed", "archive/data.pkl");
    }

    @Test
    void forbiddenGlobalRunsNothing() throws IOException {
        Path marker = dir.resolve("pwned");
        String command = "touch " + marker;
        // {'x': os.system(command)} as pickle protocol 2, in a torch.save-shaped zip.
        byte[] cmd = command.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes("\u0080\u0002}X\u0001\u0000\u0000\u0000xcos\nsystem\nX".getBytes(StandardCharsets.ISO_8859_1));
        p.writeBytes(new byte[] {(byte) cmd.length, 0, 0, 0});
        p.writeBytes(cmd);
        p.writeBytes("\u0085Rs.".getBytes(StandardCharsets.ISO_8859_1));
        byte[] pickle = p.toByteArray();

        refused(write("evil.pth", zip(false, Map.of("archive/data.pkl", pickle, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII)))),
                "forbidden global 'os.system'");
        // The same pickle as a bare file (what torch.load would also unpickle).
        refused(write("evil.pkl", pickle), "forbidden global 'os.system'");
        // posix.system via STACK_GLOBAL.
        refused(write("evil2.pth", zip(false, Map.of("a/data.pkl",
                "\u0080\u0004\u008c\u0005posix\u008c\u0006system\u0093\u008c\u0004true\u0085R.".getBytes(StandardCharsets.ISO_8859_1)))),
                "forbidden global 'posix.system'");
        assertFalse(Files.exists(marker), "the pickle's command ran");
    }

    @Test
    void storageMissingFromArchive() throws IOException {
        // A tensor whose storage entry 'archive/data/0' is absent.
        byte[] pickle = ("\u0080\u0002ctorch._utils\n_rebuild_tensor_v2\n((X\u0007\u0000\u0000\u0000storagectorch\nFloatStorage\n"
                + "X\u0001\u0000\u0000\u00000X\u0003\u0000\u0000\u0000cpuK\u0002tQK\u0000K\u0002\u0085K\u0001\u0085\u0089)tR.")
                .getBytes(StandardCharsets.ISO_8859_1);
        refused(write("nostorage.pth", zip(false, Map.of("archive/data.pkl", pickle))), "archive/data/0");
    }

    @Test
    void safetensorsHeaderLongerThanFile() throws IOException {
        byte[] bytes = new byte[16];
        bytes[0] = 100; // 100-byte header, file has 8
        bytes[8] = '{';
        refused(write("short.safetensors", bytes), "truncated");
    }
}
