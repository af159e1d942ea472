package org.sdd4j.backend.cpu.dnnl;

/**
 * The shape of a float32 batched matmul {@code C[b] = A[b] x op(B[b]) + bias}, all dense row-major:
 * A is batch x M x K, C batch x M x N, bias N (one row broadcast over every output row). B is
 * batch x K x N, or batch x N x K when {@code transposeB} (a PyTorch Linear weight, out x in); with
 * {@code sharedB} B has no batch dimension and every batch uses the same B (a layer's weights).
 */
public record MatmulShape(int batch, int m, int k, int n, boolean transposeB, boolean sharedB, boolean bias) {
    public MatmulShape {
        if (batch < 1 || m < 1 || k < 1 || n < 1) {
            throw new IllegalArgumentException("matmul dimensions must be >= 1, got batch " + batch + ", M " + m
                    + ", K " + k + ", N " + n);
        }
    }

    long aFloats() {
        return (long) batch * m * k;
    }

    long bFloats() {
        return (sharedB ? 1L : batch) * k * n;
    }

    long cFloats() {
        return (long) batch * m * n;
    }
}
