package org.sdd4j.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.sdd4j.checkpoint.TorchGlobals.Pid;
import org.sdd4j.checkpoint.TorchGlobals.Storage;

/**
 * Reads checkpoints written by {@code torch.save}: the zip format of torch >= 1.6 ({@code <prefix>/data.pkl}
 * plus one stored entry per storage under {@code <prefix>/data/}) and the older "legacy" stream format
 * (pickles followed by raw storages).
 *
 * <p>The file is mapped, and every contiguous tensor is a view of the mapping: nothing is copied to the
 * Java heap. The pickle goes through {@link RestrictedUnpickler}, so a checkpoint can name only the
 * globals torch uses for tensors and dicts; anything else is refused and nothing is run.
 */
public final class PthReader {
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PthReader() {
    }

    /** Maps and parses {@code path}; the returned state dict owns the mapping and must be closed. */
    public static StateDict read(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file = Checkpoints.map(path, arena);
            if (file.byteSize() == 0) {
                throw new CheckpointException(path, "empty file");
            }
            Object root = file.get(ValueLayout.JAVA_BYTE, 0) == (byte) 0x80
                    ? readLegacy(path, file, arena)
                    : readZip(path, file, arena);
            return StateDict.fromPickled(path, arena, root);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Object readZip(Path path, MemorySegment file, Arena arena) {
        Map<String, MemorySegment> entries = ZipDirectory.read(file, path).entries();
        String prefix = null;
        for (String name : entries.keySet()) {
            int slash = name.indexOf('/');
            if (name.endsWith("/data.pkl") && slash == name.length() - "/data.pkl".length()) {
                prefix = name.substring(0, slash + 1);
                break;
            }
        }
        if (prefix == null) {
            throw new CheckpointException(path, "zip archive has no '<name>/data.pkl' entry, so it was not written by torch.save");
        }
        if (entries.containsKey(prefix + "constants.pkl")) {
            throw new CheckpointException(path, "this is a TorchScript archive (torch.jit.save), not a torch.save state dict; "
                    + "save model.state_dict() with torch.save instead");
        }
        MemorySegment byteOrder = entries.get(prefix + "byteorder");
        if (byteOrder != null) {
            String order = new String(byteOrder.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw new CheckpointException(path, "storages are stored " + order + "-endian; only little-endian files are supported");
            }
        }
        String dataPrefix = prefix + "data/";
        RestrictedUnpickler.PersistentLoader loader = pidObject -> {
            Pid pid = pid(path, pidObject);
            MemorySegment bytes = entries.get(dataPrefix + pid.key());
            if (bytes == null) {
                throw new CheckpointException(path, "storage '" + pid.key() + "' named by data.pkl has no entry " + dataPrefix + pid.key());
            }
            long need = pid.numel() * pid.dtype().byteSize();
            if (bytes.byteSize() < need) {
                throw new CheckpointException(path, "storage '" + pid.key() + "' holds " + bytes.byteSize()
                        + " bytes but " + pid.numel() + " x " + pid.dtype() + " need " + need);
            }
            return new Storage(pid.dtype(), pid.numel(), bytes.asSlice(0, need));
        };
        return new RestrictedUnpickler(entries.get(prefix + "data.pkl"), 0, path, new TorchGlobals(arena, false), loader).load();
    }

    /**
     * The pre-1.6 format: pickles of the magic number, the protocol version and system info, then the object
     * pickle, then a pickle of the sorted storage keys, then each storage as an int64 element count and its
     * bytes. Storage element types are only known from the object pickle, so it is read twice: once to learn
     * them (and where it ends), once to build the tensors.
     */
    private static Object readLegacy(Path path, MemorySegment file, Arena arena) {
        TorchGlobals scan = new TorchGlobals(arena, true);
        RestrictedUnpickler header = new RestrictedUnpickler(file, 0, path, scan, null);
        // A hostile plain pickle fails here already, on its first global, with that global's name.
        Object magic = header.load();
        if (!LEGACY_MAGIC.equals(magic instanceof Long l ? BigInteger.valueOf(l) : magic)) {
            throw new CheckpointException(path, "a plain pickle, not a torch.save checkpoint");
        }
        RestrictedUnpickler protocolReader = new RestrictedUnpickler(file, header.position(), path, scan, null);
        Object protocol = protocolReader.load();
        RestrictedUnpickler sys = new RestrictedUnpickler(file, protocolReader.position(), path, scan, null);
        Object sysInfo = sys.load();
        if (!Long.valueOf(1001).equals(protocol)) {
            throw new CheckpointException(path, "legacy torch.save protocol " + protocol + " is not supported; re-save it with a current torch");
        }
        if (sysInfo instanceof Map<?, ?> info && Boolean.FALSE.equals(info.get("little_endian"))) {
            throw new CheckpointException(path, "big-endian legacy checkpoint; re-save it on a little-endian machine");
        }
        long objectStart = sys.position();
        Map<String, Pid> pids = new HashMap<>();
        RestrictedUnpickler first = new RestrictedUnpickler(file, objectStart, path, scan, pidObject -> {
            Pid pid = pid(path, pidObject);
            if (pid.view() != null) {
                throw new CheckpointException(path, "legacy storage views are not supported; re-save the file with a current torch");
            }
            pids.put(pid.key(), pid);
            return new Storage(pid.dtype(), pid.numel(), null);
        });
        first.load();
        RestrictedUnpickler keysReader = new RestrictedUnpickler(file, first.position(), path, scan, null);
        Object keys = keysReader.load();
        Map<String, Storage> storages = new HashMap<>();
        long pos = keysReader.position();
        for (Object k : TorchGlobals.asList(keys)) {
            Pid pid = pids.get(String.valueOf(k));
            if (pid == null) {
                throw new CheckpointException(path, "legacy storage key '" + k + "' is not used by any tensor");
            }
            if (pos + 8 > file.byteSize()) {
                throw new CheckpointException(path, "legacy storage '" + k + "' starts past the end of the file (truncated?)");
            }
            long count = file.get(I64, pos);
            long bytes = count * pid.dtype().byteSize();
            if (count != pid.numel() || pos + 8 + bytes > file.byteSize()) {
                throw new CheckpointException(path, "legacy storage '" + k + "' has " + count + " elements where "
                        + pid.numel() + " were expected, or runs past the end of the file (truncated?)");
            }
            storages.put(pid.key(), new Storage(pid.dtype(), count, file.asSlice(pos + 8, bytes)));
            pos += 8 + bytes;
        }
        return new RestrictedUnpickler(file, objectStart, path, new TorchGlobals(arena, false),
                pidObject -> storages.get(pid(path, pidObject).key())).load();
    }

    private static Pid pid(Path path, Object pidObject) {
        try {
            return TorchGlobals.parsePid(pidObject);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(path, e.getMessage());
        }
    }

}
