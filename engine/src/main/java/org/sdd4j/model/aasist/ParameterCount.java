package org.sdd4j.model.aasist;

import org.sdd4j.checkpoint.StateDict;

/** Counts parameters as torch does: every tensor except BatchNorm's running statistics and counters. */
public final class ParameterCount {
    private ParameterCount() {
    }

    public static long of(StateDict sd) {
        long n = 0;
        for (var e : sd.tensors().entrySet()) {
            String k = e.getKey();
            if (!k.endsWith(".running_mean") && !k.endsWith(".running_var") && !k.endsWith(".num_batches_tracked")) {
                n += e.getValue().numel();
            }
        }
        return n;
    }
}
