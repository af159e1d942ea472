package org.sdd4j.train;

/** A learning rate as a function of the optimiser step (0-based, before the step is taken). */
@FunctionalInterface
public interface LrSchedule {
    double lr(long step);

    static LrSchedule constant(double lr) {
        return step -> lr;
    }

    /**
     * AASIST's schedule: {@code LambdaLR} with {@code cosine_annealing(step, total, 1, lrMin / base)}, i.e.
     * {@code base * (m + (1 - m) * (1 + cos(pi * step / total)) / 2)} with {@code m = lrMin / base}.
     */
    static LrSchedule cosine(double base, double lrMin, long totalSteps) {
        double m = lrMin / base;
        return step -> base * (m + (1 - m) * 0.5 * (1 + Math.cos((double) step / totalSteps * Math.PI)));
    }

    /** Linear warm-up to {@code base} over {@code warmup} steps, then {@code base * gamma^(step - warmup)}. */
    static LrSchedule warmupExponential(double base, long warmup, double gamma) {
        return step -> step < warmup ? base * step / warmup : base * Math.pow(gamma, step - warmup);
    }
}
