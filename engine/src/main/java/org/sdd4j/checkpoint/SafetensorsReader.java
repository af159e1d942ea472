package org.sdd4j.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * Reads safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the tensor bytes. The file is mapped and every tensor is a view.
 *
 * <p>The header is untrusted: its size is capped and every range is checked against the file and against
 * the other ranges before any tensor is made.
 */
public final class SafetensorsReader {
    /** The same cap as the reference implementation: a larger header is a malformed or hostile file. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsReader() {
    }

    /** Maps and parses {@code path}; the returned state dict owns the mapping and must be closed. */
    public static StateDict read(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            return parse(path, Checkpoints.map(path, arena), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
    }

    private static StateDict parse(Path path, MemorySegment file, Arena arena) throws IOException {
        if (file.byteSize() < 8) {
            throw new CheckpointException(path, "safetensors file of " + file.byteSize() + " bytes has no header");
        }
        long headerSize = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerSize < 2 || headerSize > MAX_HEADER_BYTES) {
            throw new CheckpointException(path, "safetensors header size " + Long.toUnsignedString(headerSize)
                    + " is outside [2, " + MAX_HEADER_BYTES + "]");
        }
        if (headerSize > file.byteSize() - 8) {
            throw new CheckpointException(path, "safetensors header of " + headerSize + " bytes is longer than the file (truncated?)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(file.asSlice(8, headerSize).toArray(ValueLayout.JAVA_BYTE));
        } catch (JacksonException e) {
            throw new CheckpointException(path, "safetensors header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw new CheckpointException(path, "safetensors header is not a JSON object");
        }
        MemorySegment data = file.asSlice(8 + headerSize);
        List<Entry> entries = new ArrayList<>();
        Map<String, Object> extras = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(METADATA_KEY)) {
                extras.put(METADATA_KEY, metadata(path, field.getValue()));
            } else {
                entries.add(entry(path, field.getKey(), field.getValue(), data.byteSize()));
            }
        }
        // Ranges must not overlap: a tensor aliasing another's bytes is a malformed (or hostile) file.
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry previous = null;
        for (Entry e : entries) {
            if (e.begin() == e.end()) {
                continue;
            }
            if (previous != null && e.begin() < previous.end()) {
                throw new CheckpointException(path, "safetensors tensors '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + ") and '" + e.name() + "' [" + e.begin() + ", " + e.end() + ") overlap");
            }
            previous = e;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name(), Tensor.wrap(data.asSlice(e.begin(), e.end() - e.begin()), e.dtype(), e.shape()));
        }
        return StateDict.owning(path, arena, tensors, extras);
    }

    private static Map<String, String> metadata(Path path, JsonNode node) {
        if (!node.isObject()) {
            throw new CheckpointException(path, "safetensors __metadata__ is not a JSON object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw new CheckpointException(path, "safetensors __metadata__ value of '" + f.getKey() + "' is not a string");
            }
            out.put(f.getKey(), f.getValue().textValue());
        }
        return Map.copyOf(out);
    }

    private static Entry entry(Path path, String name, JsonNode node, long dataSize) {
        String where = "safetensors tensor '" + name + "'";
        if (!node.isObject() || !node.path("dtype").isTextual() || !node.path("shape").isArray()
                || !node.path("data_offsets").isArray() || node.path("data_offsets").size() != 2) {
            throw new CheckpointException(path, where + " needs dtype, shape and two data_offsets, got " + node);
        }
        DType dtype = dtype(path, where, node.get("dtype").textValue());
        JsonNode shapeNode = node.get("shape");
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToInt() || d.intValue() < 0) {
                throw new CheckpointException(path, where + " has a bad dimension " + d);
            }
            shape[i] = d.intValue();
        }
        JsonNode begin = node.get("data_offsets").get(0);
        JsonNode end = node.get("data_offsets").get(1);
        if (!begin.canConvertToLong() || !end.canConvertToLong()) {
            throw new CheckpointException(path, where + " has non-integer data_offsets");
        }
        long b = begin.longValue();
        long e = end.longValue();
        if (b < 0 || e < b || e > dataSize) {
            throw new CheckpointException(path, where + " has data_offsets [" + b + ", " + e + ") outside the "
                    + dataSize + " data bytes (truncated?)");
        }
        long need;
        try {
            need = Math.multiplyExact(Tensor.numel(shape), (long) dtype.byteSize());
        } catch (ArithmeticException ex) {
            throw new CheckpointException(path, where + " has an impossibly large shape");
        }
        if (e - b != need) {
            throw new CheckpointException(path, where + " spans " + (e - b) + " bytes but " + dtype + Arrays.toString(shape)
                    + " needs " + need);
        }
        return new Entry(name, dtype, shape, b, e);
    }

    private static DType dtype(Path path, String where, String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "F64" -> DType.F64;
            case "I64" -> DType.I64;
            case "I32" -> DType.I32;
            case "I16" -> DType.I16;
            case "I8" -> DType.I8;
            case "U8" -> DType.U8;
            case "BOOL" -> DType.BOOL;
            default -> throw new CheckpointException(path, where + " has unsupported dtype " + name);
        };
    }

    /** The safetensors name of a dtype: sdd4j's DType names were chosen to be the same. */
    static String name(DType dtype) {
        return dtype.name();
    }
}
