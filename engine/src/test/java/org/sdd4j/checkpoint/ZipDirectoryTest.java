package org.sdd4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

class ZipDirectoryTest {

    private static void putStored(ZipOutputStream out, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCrc(crc.getValue());
        out.putNextEntry(e);
        out.write(data);
        out.closeEntry();
    }

    @Test
    void readsZip64EndRecordsOfArchivesWithMoreThan65535Entries() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            putStored(out, "a/data.pkl", "\u0080\u0002}.".getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 65_536; i++) {
                putStored(out, "a/" + i, new byte[] {(byte) i});
            }
        }
        byte[] zip = bytes.toByteArray();
        // The classic end record has 0xffff entries: only the zip64 record holds the real count.
        ByteBuffer end = ByteBuffer.wrap(zip, zip.length - 22, 22).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xffff, end.getShort(zip.length - 22 + 10) & 0xffff);

        Map<String, MemorySegment> entries = ZipDirectory.read(MemorySegment.ofArray(zip), Path.of("big.zip")).entries();
        assertEquals(65_537, entries.size());
        assertEquals((byte) 0x80, entries.get("a/data.pkl").get(ValueLayout.JAVA_BYTE, 0));
        assertEquals((byte) 65_535, entries.get("a/65535").get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(1, entries.get("a/70").byteSize());
    }
}
