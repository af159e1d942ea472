package org.sdd4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A pickle virtual machine that builds plain Java values and never runs code.
 *
 * <p>Python's unpickler imports and calls whatever a pickle names, which makes loading an untrusted
 * checkpoint equivalent to running it. Here every GLOBAL goes through a {@link Globals} allow-list; a name
 * it does not know is refused with an exception naming the global and the file, before anything is
 * built. Opcodes that exist only to reach arbitrary objects (INST, OBJ, extension registry, out-of-band
 * buffers) are refused too.
 *
 * <p>Values: {@code None} is null, bool is {@link Boolean}, int is {@link Long} (or {@link BigInteger}
 * when it does not fit), float is {@link Double}, str is {@link String}, bytes are {@code byte[]}, list is a
 * mutable {@link List}, tuple an unmodifiable {@link List}, dict a {@link LinkedHashMap}, set a {@link Set}.
 */
public final class RestrictedUnpickler {

    /** Decides what a GLOBAL names; returns null when the name is not allowed. */
    @FunctionalInterface
    public interface Globals {
        Object resolve(String module, String name);
    }

    /** An allowed global that REDUCE or NEWOBJ may call with the given arguments. */
    @FunctionalInterface
    public interface Callable {
        Object call(List<Object> args);
    }

    /** An object that BUILD may hand its pickled state to (Python's {@code __setstate__}). */
    @FunctionalInterface
    public interface Stateful {
        void setState(Object state);
    }

    /** Turns a persistent id (BINPERSID) into the object it stands for, e.g. a tensor storage. */
    @FunctionalInterface
    public interface PersistentLoader {
        Object load(Object pid);
    }

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final MemorySegment bytes;
    private final Path source;
    private final Globals globals;
    private final PersistentLoader persistentLoader;
    private long pos;

    /**
     * @param bytes            the pickle stream (may hold several pickles back to back)
     * @param start            offset of the pickle to read first
     * @param source           the file, for error messages
     * @param globals          the allow-list
     * @param persistentLoader resolves BINPERSID ids, or null to refuse them
     */
    public RestrictedUnpickler(MemorySegment bytes, long start, Path source, Globals globals, PersistentLoader persistentLoader) {
        this.bytes = Objects.requireNonNull(bytes);
        this.pos = start;
        this.source = source;
        this.globals = Objects.requireNonNull(globals);
        this.persistentLoader = persistentLoader;
    }

    /** Offset just past the last STOP read: where a following pickle starts. */
    public long position() {
        return pos;
    }

    /** Reads one pickle up to its STOP and returns its value. */
    public Object load() {
        List<Object> stack = new ArrayList<>();
        Map<Long, Object> memo = new HashMap<>();
        while (true) {
            long at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> u8(); // PROTO: any binary protocol; unknown opcodes are refused below anyway
                case 0x95 -> i64(); // FRAME: only a read-ahead hint, the data follows inline
                case '.' -> {
                    if (stack.size() != 1) {
                        throw error(at, "STOP with " + stack.size() + " values on the stack");
                    }
                    return stack.getFirst();
                }
                case '(' -> stack.add(MARK);
                case '0' -> pop(stack, at);
                case '1' -> popMark(stack, at);
                case '2' -> stack.add(peek(stack, at));
                case 'N' -> stack.add(null);
                case 0x88 -> stack.add(Boolean.TRUE);
                case 0x89 -> stack.add(Boolean.FALSE);
                case 'J' -> stack.add((long) i32());
                case 'K' -> stack.add((long) u8());
                case 'M' -> stack.add((long) (u8() | u8() << 8));
                case 0x8a -> stack.add(longValue(u8()));
                case 0x8b -> stack.add(longValue(length(i32(), at)));
                case 'G' -> stack.add(f64be());
                case 'X' -> stack.add(string(length(i32(), at)));
                case 0x8c -> stack.add(string(u8()));
                case 0x8d -> stack.add(string(length(i64(), at)));
                // Python 2 str: torch checkpoints written by Python 2 hold ASCII names; latin-1 keeps every byte.
                case 'T' -> stack.add(new String(raw(length(i32(), at)), StandardCharsets.ISO_8859_1));
                case 'U' -> stack.add(new String(raw(u8()), StandardCharsets.ISO_8859_1));
                case 'B' -> stack.add(raw(length(i32(), at)));
                case 'C' -> stack.add(raw(u8()));
                case 0x8e, 0x96 -> stack.add(raw(length(i64(), at)));
                case '}' -> stack.add(new LinkedHashMap<>());
                case ']' -> stack.add(new ArrayList<>());
                case ')' -> stack.add(List.of());
                case 0x8f -> stack.add(new LinkedHashSet<>());
                case 0x90 -> {
                    List<Object> items = popMark(stack, at);
                    asSet(peek(stack, at), at).addAll(items);
                }
                case 0x91 -> stack.add(Collections.unmodifiableSet(new LinkedHashSet<>(popMark(stack, at))));
                case 't' -> stack.add(tuple(popMark(stack, at)));
                case 0x85 -> stack.add(tuple(popN(stack, 1, at)));
                case 0x86 -> stack.add(tuple(popN(stack, 2, at)));
                case 0x87 -> stack.add(tuple(popN(stack, 3, at)));
                case 'l' -> stack.add(new ArrayList<>(popMark(stack, at)));
                case 'd' -> {
                    List<Object> items = popMark(stack, at);
                    stack.add(dictOf(new LinkedHashMap<>(), items, at));
                }
                case 'a' -> {
                    Object item = pop(stack, at);
                    asList(peek(stack, at), at).add(item);
                }
                case 'e' -> {
                    List<Object> items = popMark(stack, at);
                    asList(peek(stack, at), at).addAll(items);
                }
                case 's' -> {
                    Object value = pop(stack, at);
                    Object key = pop(stack, at);
                    asMap(peek(stack, at), at).put(key, value);
                }
                case 'u' -> {
                    List<Object> items = popMark(stack, at);
                    dictOf(asMap(peek(stack, at), at), items, at);
                }
                case 'q' -> memo.put((long) u8(), peek(stack, at));
                case 'r' -> memo.put(i32() & 0xffffffffL, peek(stack, at));
                case 0x94 -> memo.put((long) memo.size(), peek(stack, at));
                case 'h' -> stack.add(memoGet(memo, u8(), at));
                case 'j' -> stack.add(memoGet(memo, i32() & 0xffffffffL, at));
                case 'c' -> {
                    String module = line(at);
                    String name = line(at);
                    stack.add(global(module, name));
                }
                case 0x93 -> {
                    Object name = pop(stack, at);
                    Object module = pop(stack, at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error(at, "STACK_GLOBAL needs two strings, got " + describe(module) + " and " + describe(name));
                    }
                    stack.add(global(m, n));
                }
                case 'R' -> {
                    Object args = pop(stack, at);
                    Object callable = pop(stack, at);
                    stack.add(call(callable, args, at));
                }
                case 0x81 -> {
                    Object args = pop(stack, at);
                    Object cls = pop(stack, at);
                    stack.add(call(cls, args, at));
                }
                case 'b' -> {
                    Object state = pop(stack, at);
                    Object target = peek(stack, at);
                    // torch.save stores a state dict's per-module version table as an attribute (BUILD on the
                    // OrderedDict). It carries no tensors, so attribute state on a dict is dropped.
                    if (target instanceof Stateful stateful) {
                        stateful.setState(state);
                    } else if (!(target instanceof Map)) {
                        throw error(at, "BUILD on " + describe(target) + " is not supported");
                    }
                }
                case 'Q' -> {
                    Object pid = pop(stack, at);
                    if (persistentLoader == null) {
                        throw error(at, "persistent id " + pid + " but no persistent storage");
                    }
                    stack.add(persistentLoader.load(pid));
                }
                default -> throw error(at, String.format("unsupported pickle opcode 0x%02x", op));
            }
        }
    }

    private Object global(String module, String name) {
        Object value = globals.resolve(module, name);
        if (value == null) {
            throw new CheckpointException(source, "forbidden global '" + module + "." + name + "'");
        }
        return value;
    }

    private Object call(Object callable, Object args, long at) {
        if (!(callable instanceof Callable c)) {
            throw error(at, describe(callable) + " is not callable");
        }
        if (!(args instanceof List<?> list)) {
            throw error(at, "call arguments must be a tuple, got " + describe(args));
        }
        try {
            @SuppressWarnings("unchecked")
            List<Object> objects = (List<Object>) list;
            return c.call(objects);
        } catch (IllegalArgumentException | ClassCastException | IndexOutOfBoundsException e) {
            throw error(at, e.getMessage());
        }
    }

    private CheckpointException error(long at, String problem) {
        return new CheckpointException(source, "pickle at offset " + at + ": " + problem);
    }

    private static List<Object> tuple(List<Object> items) {
        return Collections.unmodifiableList(new ArrayList<>(items));
    }

    private Map<Object, Object> dictOf(Map<Object, Object> map, List<Object> items, long at) {
        if (items.size() % 2 != 0) {
            throw error(at, "odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            map.put(items.get(i), items.get(i + 1));
        }
        return map;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> asMap(Object o, long at) {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw error(at, "SETITEM on " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private List<Object> asList(Object o, long at) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw error(at, "APPEND on " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private Set<Object> asSet(Object o, long at) {
        if (o instanceof LinkedHashSet<?> s) {
            return (Set<Object>) s;
        }
        throw error(at, "ADDITEMS on " + describe(o));
    }

    private Object memoGet(Map<Long, Object> memo, long key, long at) {
        if (!memo.containsKey(key)) {
            throw error(at, "memo key " + key + " not set");
        }
        return memo.get(key);
    }

    private Object pop(List<Object> stack, long at) {
        Object o = peek(stack, at);
        stack.removeLast();
        return o;
    }

    private Object peek(List<Object> stack, long at) {
        if (stack.isEmpty() || stack.getLast() == MARK) {
            throw error(at, "stack underflow");
        }
        return stack.getLast();
    }

    private List<Object> popN(List<Object> stack, int n, long at) {
        if (stack.size() < n) {
            throw error(at, "stack underflow");
        }
        List<Object> top = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        if (top.contains(MARK)) {
            throw error(at, "stack underflow");
        }
        stack.subList(stack.size() - n, stack.size()).clear();
        return top;
    }

    private List<Object> popMark(List<Object> stack, long at) {
        int mark = stack.lastIndexOf(MARK);
        if (mark < 0) {
            throw error(at, "no MARK on the stack");
        }
        List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
        stack.subList(mark, stack.size()).clear();
        return items;
    }

    private static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof String s) {
            return "'" + s + "'";
        }
        return o.getClass().getSimpleName();
    }

    // ---- reading the stream ----

    private void need(long n) {
        if (n < 0 || pos + n > bytes.byteSize()) {
            throw new CheckpointException(source, "pickle truncated at offset " + pos);
        }
    }

    private long length(long n, long at) {
        if (n < 0 || n > bytes.byteSize() - pos) {
            throw error(at, "length " + n + " runs past the end of the pickle");
        }
        return n;
    }

    private int u8() {
        need(1);
        return bytes.get(ValueLayout.JAVA_BYTE, pos++) & 0xff;
    }

    private int i32() {
        need(4);
        int v = bytes.get(I32, pos);
        pos += 4;
        return v;
    }

    private long i64() {
        need(8);
        long v = bytes.get(I64, pos);
        pos += 8;
        return v;
    }

    private double f64be() {
        need(8);
        double v = bytes.get(F64_BE, pos);
        pos += 8;
        return v;
    }

    private byte[] raw(long n) {
        need(n);
        byte[] b = bytes.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return b;
    }

    private String string(long n) {
        return new String(raw(n), StandardCharsets.UTF_8);
    }

    /** LONG1/LONG4: little-endian two's complement of n bytes. */
    private Object longValue(long n) {
        byte[] le = raw(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String line(long at) {
        long start = pos;
        while (true) {
            need(1);
            if (bytes.get(ValueLayout.JAVA_BYTE, pos++) == '\n') {
                break;
            }
            if (pos - start > 4096) {
                throw error(at, "GLOBAL name too long");
            }
        }
        return new String(bytes.asSlice(start, pos - 1 - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
