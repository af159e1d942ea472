package org.sdd4j.backend;

import org.sdd4j.tensor.Tensor;

/**
 * How SSL-AASIST's attentive pooling ({@link Backend#attentivePool}) walks {@code [B, C, F, T]} along {@code dim}
 * 3 (time) or 2 (frequency): {@code planes = B * C} planes of {@code planeSize = F * T} values, each pooled into
 * {@code other} outputs of {@code len} values {@code step} apart, consecutive outputs {@code otherStep} apart.
 * One definition for the host loops and the GPU launches.
 */
public record PoolingAxis(long planes, int len, int other, long step, long otherStep, long planeSize) {

    public static PoolingAxis of(Tensor x, int dim) {
        int f = x.dim(2), t = x.dim(3);
        return dim == 3 ? new PoolingAxis((long) x.dim(0) * x.dim(1), t, f, 1, t, (long) f * t)
                : new PoolingAxis((long) x.dim(0) * x.dim(1), f, t, t, 1, (long) f * t);
    }

    /** How many windows are pooled: one output each, {@code [planes, other]} in row-major order. */
    public long windows() {
        return planes * other;
    }

    /** Where window {@code j}'s first value sits; its others follow {@link #step} apart. */
    public long start(long j) {
        return j / other * planeSize + j % other * otherStep;
    }
}
