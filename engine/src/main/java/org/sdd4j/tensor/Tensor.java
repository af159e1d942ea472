package org.sdd4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A dense, row-major, little-endian tensor: a shape, a dtype, a device and a memory segment.
 *
 * <p>A tensor never owns its memory: the {@link Arena} that allocated (or mapped) the segment does,
 * and closing that arena ends the tensor's life. Views ({@link #reshape}, {@link #slice0}) share the
 * segment. Element access goes through unaligned layouts because checkpoint tensors are mapped
 * straight from files whose offsets need not be aligned.
 */
public final class Tensor {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final int[] shape;
    private final DType dtype;
    private final Device device;
    private final MemorySegment data;

    private Tensor(MemorySegment data, DType dtype, Device device, int[] shape) {
        long need = numel(shape) * dtype.byteSize();
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for "
                    + dtype + Arrays.toString(shape) + " (" + need + " bytes)");
        }
        this.shape = shape.clone();
        this.dtype = dtype;
        this.device = device;
        this.data = data.byteSize() == need ? data : data.asSlice(0, need);
    }

    /** A zero-filled tensor allocated in {@code arena} (64-byte aligned for vector loads). */
    public static Tensor zeros(Arena arena, DType dtype, int... shape) {
        long bytes = numel(shape) * dtype.byteSize();
        return new Tensor(arena.allocate(Math.max(bytes, 1), 64), dtype, Device.CPU, shape);
    }

    /** A float32 tensor of zeros. */
    public static Tensor zeros(Arena arena, int... shape) {
        return zeros(arena, DType.F32, shape);
    }

    /** Wraps an existing CPU segment without copying. */
    public static Tensor wrap(MemorySegment data, DType dtype, int... shape) {
        return new Tensor(data, dtype, Device.CPU, shape);
    }

    /**
     * A tensor in GPU memory: {@code deviceMemory} is a segment whose address is a CUDA device pointer and
     * whose size is the block's. Such a segment is not host-dereferenceable, so every element accessor of a
     * device tensor throws instead of reading it; the CUDA backend copies to and from host tensors explicitly.
     */
    public static Tensor onDevice(MemorySegment deviceMemory, DType dtype, int... shape) {
        return new Tensor(deviceMemory, dtype, Device.CUDA, shape);
    }

    /** Copies a Java array into a new float32 tensor (for tests and small constants). */
    public static Tensor of(Arena arena, float[] values, int... shape) {
        if (numel(shape) != values.length) {
            throw new IllegalArgumentException(values.length + " values do not fill shape " + Arrays.toString(shape));
        }
        Tensor t = zeros(arena, DType.F32, shape);
        MemorySegment.copy(values, 0, t.data, F32, 0, values.length);
        return t;
    }

    public static long numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public long numel() {
        return numel(shape);
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    public MemorySegment data() {
        return data;
    }

    public float getFloat(long index) {
        requireHost();
        return data.getAtIndex(F32, index);
    }

    public void setFloat(long index, float value) {
        requireHost();
        data.setAtIndex(F32, index, value);
    }

    /**
     * Element {@code index} of a float32 or float64 tensor as a double: the accessor of code that runs in
     * either precision (the reference backend, so gradient checks can run in float64).
     */
    public double getDouble(long index) {
        requireHost();
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, index);
            case F64 -> data.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, index);
            default -> throw new UnsupportedOperationException("getDouble on a " + dtype + " tensor; need F32 or F64");
        };
    }

    /** Stores {@code value} at {@code index} of a float32 (rounded) or float64 tensor. */
    public void setDouble(long index, double value) {
        requireHost();
        switch (dtype) {
            case F32 -> data.setAtIndex(F32, index, (float) value);
            case F64 -> data.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, index, value);
            default -> throw new UnsupportedOperationException("setDouble on a " + dtype + " tensor; need F32 or F64");
        }
    }

    /** A view with a new shape and the same elements; one dimension may be -1. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one -1 allowed in " + Arrays.toString(newShape));
                }
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            s[infer] = (int) (numel() / Math.max(known, 1));
        }
        if (numel(s) != numel()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(data, dtype, device, s);
    }

    /** A view of {@code numel(shape)} elements starting at element {@code offset}, on this tensor's device. */
    public Tensor view(long offset, int... shape) {
        long bytes = numel(shape) * dtype.byteSize();
        return new Tensor(data.asSlice(offset * dtype.byteSize(), bytes), dtype, device, shape);
    }

    /** The same memory read as {@code type}, which must have this tensor's element size (float32 bits as int32). */
    public Tensor as(DType type) {
        if (type.byteSize() != dtype.byteSize()) {
            throw new IllegalArgumentException("cannot view " + this + " as " + type);
        }
        return new Tensor(data, type, device, shape);
    }

    /** A view of entries [from, to) along the first dimension. */
    public Tensor slice0(int from, int to) {
        if (from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of dimension " + shape[0]);
        }
        long row = numel() / Math.max(shape[0], 1) * dtype.byteSize();
        int[] s = shape.clone();
        s[0] = to - from;
        return new Tensor(data.asSlice(from * row, (to - from) * row), dtype, device, s);
    }

    /** Copies the elements into a new float32 tensor, converting from any floating or integer dtype. */
    public Tensor toF32(Arena arena) {
        Tensor out = zeros(arena, DType.F32, shape);
        long n = numel();
        for (long i = 0; i < n; i++) {
            out.setFloat(i, (float) getAsDouble(i));
        }
        return out;
    }

    /** Element {@code i} as a double, whatever the dtype (reads only; not for hot loops). */
    public double getAsDouble(long i) {
        requireHost();
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case F64 -> data.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case F16 -> Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xffff) << 16);
            case I64 -> data.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
            case I32 -> data.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            case I16 -> data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
        };
    }

    /** The float32 elements as a Java array: for tests and small outputs, never the hot path. */
    public float[] toFloatArray() {
        requireHost();
        if (dtype != DType.F32) {
            float[] out = new float[Math.toIntExact(numel())];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) getAsDouble(i);
            }
            return out;
        }
        return data.toArray(F32);
    }

    /** Copies {@code src} (same dtype and element count) into this tensor. */
    public void copyFrom(Tensor src) {
        requireHost();
        if (src.dtype != dtype || src.numel() != numel()) {
            throw new IllegalArgumentException("copy " + src + " into " + this);
        }
        src.requireHost();
        MemorySegment.copy(src.data, 0, data, 0, numel() * dtype.byteSize());
    }

    /**
     * Throws unless the elements are in host memory: reading a device pointer as a host address would
     * crash the JVM, so device tensors fail here with a message instead.
     */
    private void requireHost() {
        if (device != Device.CPU) {
            throw new IllegalStateException(this + " is in GPU memory; copy it to the host first"
                    + " (CudaBackend.toHost)");
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + Arrays.toString(shape) + ", " + device + ")";
    }
}
