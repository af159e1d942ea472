package org.sdd4j.metrics;

import java.util.Arrays;

/** numpy's {@code argsort(kind='mergesort')}: a stable ascending order, equal values in input order. */
final class StableSort {
    private StableSort() {
    }

    static int[] order(double[] values) {
        Integer[] boxed = new Integer[values.length];
        for (int i = 0; i < boxed.length; i++) {
            boxed[i] = i;
        }
        // Plain < and > rather than Double.compare: numpy treats -0.0 and 0.0 as equal.
        Arrays.sort(boxed, (a, b) -> values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0);
        int[] order = new int[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = boxed[i];
        }
        return order;
    }
}
