package org.sdd4j.tensor;

/** Element types a tensor can hold. Compute is float32; the others appear in checkpoints. */
public enum DType {
    F32(4), F64(8), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return this == F32 || this == F64 || this == F16 || this == BF16;
    }
}
