package org.sdd4j.checkpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sdd4j.tensor.DType;
import org.sdd4j.tensor.Tensor;

/**
 * The allow-list of pickle globals that torch.save uses for tensors and state dicts, and what each one
 * builds. Anything not listed here is refused by {@link RestrictedUnpickler}.
 */
final class TorchGlobals implements RestrictedUnpickler.Globals {

    /** A {@code torch.*Storage} class named in a persistent id: it fixes the element type of the storage. */
    record StorageType(DType dtype) {
    }

    /** The bytes of one storage; tensors are views into it. {@code bytes} is null while only scanning. */
    record Storage(DType dtype, long numel, MemorySegment bytes) {
    }

    private static final Map<String, DType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32), Map.entry("DoubleStorage", DType.F64),
            Map.entry("HalfStorage", DType.F16), Map.entry("BFloat16Storage", DType.BF16),
            Map.entry("LongStorage", DType.I64), Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16), Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8), Map.entry("BoolStorage", DType.BOOL),
            Map.entry("UntypedStorage", DType.U8));

    private static final Map<String, DType> DTYPES = Map.ofEntries(
            Map.entry("float32", DType.F32), Map.entry("float", DType.F32),
            Map.entry("float64", DType.F64), Map.entry("double", DType.F64),
            Map.entry("float16", DType.F16), Map.entry("half", DType.F16),
            Map.entry("bfloat16", DType.BF16),
            Map.entry("int64", DType.I64), Map.entry("long", DType.I64),
            Map.entry("int32", DType.I32), Map.entry("int", DType.I32),
            Map.entry("int16", DType.I16), Map.entry("short", DType.I16),
            Map.entry("int8", DType.I8), Map.entry("uint8", DType.U8), Map.entry("bool", DType.BOOL));

    private final Arena arena;
    private final boolean scanOnly;

    /**
     * @param arena    where non-contiguous tensors are copied to (contiguous ones are views)
     * @param scanOnly build no tensors (storages have no bytes yet): for a first pass over legacy files
     */
    TorchGlobals(Arena arena, boolean scanOnly) {
        this.arena = arena;
        this.scanOnly = scanOnly;
    }

    @Override
    public Object resolve(String module, String name) {
        return switch (module) {
            case "collections" -> name.equals("OrderedDict") ? (RestrictedUnpickler.Callable) TorchGlobals::orderedDict : null;
            case "torch._utils" -> switch (name) {
                case "_rebuild_tensor_v2", "_rebuild_tensor" -> (RestrictedUnpickler.Callable) this::rebuildTensor;
                // A Parameter is its tensor plus requires_grad and hooks, which inference has no use for.
                case "_rebuild_parameter", "_rebuild_parameter_with_state" -> (RestrictedUnpickler.Callable) args -> args.getFirst();
                default -> null;
            };
            case "torch" -> {
                if (STORAGE_TYPES.containsKey(name)) {
                    yield new StorageType(STORAGE_TYPES.get(name));
                }
                if (name.equals("Size")) {
                    yield (RestrictedUnpickler.Callable) args -> args.isEmpty() ? List.of() : Collections.unmodifiableList(new ArrayList<>(asList(args.getFirst())));
                }
                yield DTYPES.get(name);
            }
            case "torch.storage" -> name.equals("UntypedStorage") ? new StorageType(DType.U8) : null;
            case "builtins", "__builtin__" -> builtin(name);
            // numpy scalars (e.g. a best EER saved as numpy.float64) are plain numbers; no numpy arrays.
            case "numpy" -> name.equals("dtype") ? (RestrictedUnpickler.Callable) args -> new NumpyDType(String.valueOf(args.getFirst())) : null;
            case "numpy.core.multiarray", "numpy._core.multiarray" -> name.equals("scalar") ? (RestrictedUnpickler.Callable) TorchGlobals::numpyScalar : null;
            case "_codecs" -> name.equals("encode") ? (RestrictedUnpickler.Callable) TorchGlobals::encode : null;
            default -> null;
        };
    }

    private static RestrictedUnpickler.Callable builtin(String name) {
        return switch (name) {
            case "set" -> args -> new LinkedHashSet<>(args.isEmpty() ? List.of() : asList(args.getFirst()));
            case "frozenset" -> args -> Collections.unmodifiableSet(new LinkedHashSet<>(args.isEmpty() ? List.of() : asList(args.getFirst())));
            case "list" -> args -> new ArrayList<>(args.isEmpty() ? List.of() : asList(args.getFirst()));
            case "tuple" -> args -> Collections.unmodifiableList(new ArrayList<>(args.isEmpty() ? List.of() : asList(args.getFirst())));
            case "dict" -> TorchGlobals::orderedDict;
            default -> null;
        };
    }

    /** {@code OrderedDict()} or {@code OrderedDict([(k, v), ...])}. */
    private static Object orderedDict(List<Object> args) {
        Map<Object, Object> map = new LinkedHashMap<>();
        if (!args.isEmpty()) {
            if (args.getFirst() instanceof Map<?, ?> m) {
                map.putAll(m);
            } else {
                for (Object pair : asList(args.getFirst())) {
                    List<?> kv = asList(pair);
                    map.put(kv.get(0), kv.get(1));
                }
            }
        }
        return map;
    }

    /** A numpy dtype such as 'f8'; BUILD supplies its byte order. */
    static final class NumpyDType implements RestrictedUnpickler.Stateful {
        final String code;
        String byteOrder = "<";

        NumpyDType(String code) {
            this.code = code;
        }

        @Override
        public void setState(Object state) {
            List<?> t = asList(state);
            if (t.size() > 1 && t.get(1) instanceof String order) {
                byteOrder = order;
            }
        }
    }

    /** {@code numpy.core.multiarray.scalar(dtype, bytes)}: a numpy scalar as a Long, Double or Boolean. */
    private static Object numpyScalar(List<Object> args) {
        if (!(args.get(0) instanceof NumpyDType dtype) || !(args.get(1) instanceof byte[] raw)) {
            throw new IllegalArgumentException("numpy scalar expects (dtype, bytes), got " + args);
        }
        ByteBuffer b = ByteBuffer.wrap(raw)
                .order(dtype.byteOrder.equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        return switch (dtype.code + ":" + raw.length) {
            case "f8:8" -> b.getDouble();
            case "f4:4" -> (double) b.getFloat();
            case "f2:2" -> (double) Float.float16ToFloat(b.getShort());
            case "i8:8", "u8:8" -> b.getLong();
            case "i4:4" -> (long) b.getInt();
            case "u4:4" -> b.getInt() & 0xffffffffL;
            case "i2:2" -> (long) b.getShort();
            case "u2:2" -> (long) (b.getShort() & 0xffff);
            case "i1:1" -> (long) b.get();
            case "u1:1" -> (long) (b.get() & 0xff);
            case "b1:1" -> b.get() != 0;
            default -> throw new IllegalArgumentException("unsupported numpy scalar type '" + dtype.code + "'");
        };
    }

    /** Protocol 2 pickles bytes as {@code _codecs.encode(text, 'latin1')}. */
    private static Object encode(List<Object> args) {
        String text = (String) args.get(0);
        String encoding = args.size() > 1 ? String.valueOf(args.get(1)) : "utf-8";
        return switch (encoding.toLowerCase(Locale.ROOT).replace('-', '_')) {
            case "latin1", "latin_1", "iso_8859_1" -> text.getBytes(StandardCharsets.ISO_8859_1);
            case "utf8", "utf_8" -> text.getBytes(StandardCharsets.UTF_8);
            case "ascii" -> text.getBytes(StandardCharsets.US_ASCII);
            default -> throw new IllegalArgumentException("_codecs.encode with unsupported encoding '" + encoding + "'");
        };
    }

    /**
     * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])}:
     * a contiguous tensor is a view of its storage; a strided one is gathered into a dense copy.
     */
    private Object rebuildTensor(List<Object> args) {
        if (args.size() < 4 || !(args.get(0) instanceof Storage storage)) {
            throw new IllegalArgumentException("_rebuild_tensor expects (storage, offset, size, stride, ...), got " + args);
        }
        long offset = toLong(args.get(1));
        List<?> sizeList = asList(args.get(2));
        List<?> strideList = asList(args.get(3));
        if (sizeList.size() != strideList.size()) {
            throw new IllegalArgumentException("tensor size " + sizeList + " and stride " + strideList + " differ in rank");
        }
        int[] shape = new int[sizeList.size()];
        long[] stride = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = Math.toIntExact(toLong(sizeList.get(i)));
            stride[i] = toLong(strideList.get(i));
            if (shape[i] < 0 || stride[i] < 0) {
                throw new IllegalArgumentException("negative size or stride " + sizeList + " / " + strideList);
            }
        }
        if (scanOnly) {
            return storage;
        }
        long numel = Tensor.numel(shape);
        long last = offset;
        for (int i = 0; i < shape.length; i++) {
            last += (long) Math.max(shape[i] - 1, 0) * stride[i];
        }
        if (numel > 0 && (offset < 0 || last >= storage.numel())) {
            throw new IllegalArgumentException("tensor of shape " + sizeList + " at offset " + offset
                    + " reaches element " + last + " of a storage of " + storage.numel());
        }
        long es = storage.dtype().byteSize();
        if (isContiguous(shape, stride)) {
            return Tensor.wrap(storage.bytes().asSlice(offset * es, numel * es), storage.dtype(), shape);
        }
        Tensor dense = Tensor.zeros(arena, storage.dtype(), shape);
        long[] index = new long[shape.length];
        for (long i = 0; i < numel; i++) {
            long src = offset;
            for (int d = 0; d < shape.length; d++) {
                src += index[d] * stride[d];
            }
            MemorySegment.copy(storage.bytes(), src * es, dense.data(), i * es, es);
            for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) {
                index[d] = 0;
            }
        }
        return dense;
    }

    private static boolean isContiguous(int[] shape, long[] stride) {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** The persistent id torch.save writes for a storage: ('storage', type, key, location, numel[, view]). */
    static Pid parsePid(Object pid) {
        List<?> t = asList(pid);
        if (t.size() < 5 || !"storage".equals(t.get(0)) || !(t.get(1) instanceof StorageType type)) {
            throw new IllegalArgumentException("unknown persistent id " + pid);
        }
        return new Pid(type.dtype(), String.valueOf(t.get(2)), toLong(t.get(4)), t.size() > 5 ? t.get(5) : null);
    }

    record Pid(DType dtype, String key, long numel, Object view) {
    }

    static List<?> asList(Object o) {
        if (o instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException("expected a tuple or list, got " + (o == null ? "None" : o.getClass().getSimpleName()));
    }

    static long toLong(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        throw new IllegalArgumentException("expected an int, got " + o);
    }
}
