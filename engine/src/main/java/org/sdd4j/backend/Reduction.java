package org.sdd4j.backend;

/** The reductions over one dimension that {@link Backend#reduce} computes (numbered as kernels/layout.cu). */
public enum Reduction {
    /** The maximum; NaN-propagating, as {@link Math#max(double, double)}. */
    MAX,
    /** The maximum of absolute values. */
    MAX_ABS,
    /** The arithmetic mean. */
    MEAN
}
