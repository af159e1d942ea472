package org.sdd4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The entries of a zip archive held in a mapped segment, each as a slice of that segment.
 *
 * <p>torch.save writes an uncompressed ("stored") zip, so an entry's bytes are the tensor bytes and can be
 * used in place; that is why this parses the central directory itself instead of using java.util.zip,
 * which would copy. Compressed or encrypted entries are refused. Zip64 records are honoured.
 */
final class ZipDirectory {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_DIRECTORY = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_END_OF_DIRECTORY = 0x06064b50;
    private static final int EOCD_SIZE = 22;
    private static final int MAX_COMMENT = 0xffff;

    private final Map<String, MemorySegment> entries;

    private ZipDirectory(Map<String, MemorySegment> entries) {
        this.entries = entries;
    }

    /** Entry name to entry bytes (slices of {@code file}), in directory order. */
    Map<String, MemorySegment> entries() {
        return entries;
    }

    static ZipDirectory read(MemorySegment file, Path path) {
        long size = file.byteSize();
        long eocd = findEndOfDirectory(file, path);
        long count = u16(file, eocd + 10);
        long dirSize = u32(file, eocd + 12);
        long dirOffset = u32(file, eocd + 16);
        if (count == 0xffff || dirSize == 0xffffffffL || dirOffset == 0xffffffffL) {
            long locator = eocd - 20;
            if (locator < 0 || file.get(U32, locator) != ZIP64_LOCATOR) {
                throw new CheckpointException(path, "zip end record asks for zip64 but has no zip64 locator");
            }
            long end64 = file.get(U64, locator + 8);
            if (end64 < 0 || end64 + 56 > size || file.get(U32, end64) != ZIP64_END_OF_DIRECTORY) {
                throw new CheckpointException(path, "zip64 end record missing or out of range");
            }
            count = file.get(U64, end64 + 32);
            dirSize = file.get(U64, end64 + 40);
            dirOffset = file.get(U64, end64 + 48);
        }
        if (dirOffset < 0 || dirSize < 0 || dirOffset + dirSize > size) {
            throw new CheckpointException(path, "zip central directory [" + dirOffset + ", +" + dirSize
                    + ") lies outside the file of " + size + " bytes (truncated?)");
        }
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        long p = dirOffset;
        for (long i = 0; i < count; i++) {
            if (p + 46 > dirOffset + dirSize || file.get(U32, p) != CENTRAL_HEADER) {
                throw new CheckpointException(path, "zip central directory entry " + i + " is malformed");
            }
            int flags = u16(file, p + 8);
            int method = u16(file, p + 10);
            long compressed = u32(file, p + 20);
            long uncompressed = u32(file, p + 24);
            int nameLen = u16(file, p + 28);
            int extraLen = u16(file, p + 30);
            int commentLen = u16(file, p + 32);
            long localOffset = u32(file, p + 42);
            if (p + 46 + nameLen + extraLen + commentLen > dirOffset + dirSize) {
                throw new CheckpointException(path, "zip central directory entry " + i + " runs past the directory");
            }
            String name = new String(file.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // Zip64 extra field: the 64-bit values of exactly those fields that read 0xffffffff, in this order.
            long extra = p + 46 + nameLen;
            long extraEnd = extra + extraLen;
            while (extra + 4 <= extraEnd) {
                int id = u16(file, extra);
                int len = u16(file, extra + 2);
                if (id == 0x0001) {
                    long q = extra + 4;
                    if (uncompressed == 0xffffffffL) { uncompressed = file.get(U64, q); q += 8; }
                    if (compressed == 0xffffffffL) { compressed = file.get(U64, q); q += 8; }
                    if (localOffset == 0xffffffffL) { localOffset = file.get(U64, q); }
                }
                extra += 4 + len;
            }
            if ((flags & 1) != 0) {
                throw new CheckpointException(path, "zip entry '" + name + "' is encrypted");
            }
            if (method != 0) {
                throw new CheckpointException(path, "zip entry '" + name + "' is compressed (method " + method
                        + "); only stored entries, as torch.save writes them, can be mapped: re-save the file with torch.save");
            }
            if (compressed != uncompressed) {
                throw new CheckpointException(path, "zip entry '" + name + "' is stored but its sizes differ");
            }
            if (localOffset < 0 || localOffset + 30 > size || file.get(U32, localOffset) != LOCAL_HEADER) {
                throw new CheckpointException(path, "zip entry '" + name + "' has no local header at offset " + localOffset + " (truncated?)");
            }
            // The local header's extra field may differ from the central one (torch pads it to align data).
            long data = localOffset + 30 + u16(file, localOffset + 26) + u16(file, localOffset + 28);
            if (uncompressed < 0 || data + uncompressed > size) {
                throw new CheckpointException(path, "zip entry '" + name + "' of " + uncompressed
                        + " bytes runs past the end of the file (truncated?)");
            }
            entries.put(name, file.asSlice(data, uncompressed));
            p += 46 + nameLen + extraLen + commentLen;
        }
        return new ZipDirectory(Collections.unmodifiableMap(entries));
    }

    private static long findEndOfDirectory(MemorySegment file, Path path) {
        long size = file.byteSize();
        long stop = Math.max(0, size - EOCD_SIZE - MAX_COMMENT);
        for (long p = size - EOCD_SIZE; p >= stop; p--) {
            if (file.get(U32, p) == END_OF_DIRECTORY && p + EOCD_SIZE + u16(file, p + 20) == size) {
                return p;
            }
        }
        throw new CheckpointException(path, "zip end-of-directory record not found (truncated or not a zip file)");
    }

    private static int u16(MemorySegment s, long offset) {
        return s.get(U16, offset) & 0xffff;
    }

    private static long u32(MemorySegment s, long offset) {
        return s.get(U32, offset) & 0xffffffffL;
    }
}
