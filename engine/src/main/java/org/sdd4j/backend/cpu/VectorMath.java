package org.sdd4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Vectorised element functions for the activations that dominate encoder time (GELU, SELU). */
final class VectorMath {
    private VectorMath() {
    }

    private static final float SELU_SCALE = 1.0507009873554805f;
    private static final float SELU_ALPHA = 1.6732632423543772f;

    /**
     * erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, under float32's resolution
     * near 1), which needs only one exp: the JDK has no vector erf.
     */
    static FloatVector erf(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector t = FloatVector.broadcast(x.species(), 1f).div(ax.fma(0.3275911f, 1f));
        FloatVector poly = t.fma(1.061405429f, -1.453152027f).mul(t).add(1.421413741f).mul(t).add(-0.284496736f)
                .mul(t).add(0.254829592f).mul(t);
        FloatVector e = ax.mul(ax).neg().lanewise(VectorOperators.EXP);
        FloatVector y = poly.mul(e).neg().add(1f);
        return y.blend(y.neg(), x.lt(0f));
    }

    static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul(0.70710678118654752f)).add(1f));
    }

    static FloatVector selu(FloatVector x) {
        FloatVector neg = x.min(0f).lanewise(VectorOperators.EXPM1).mul(SELU_ALPHA);
        return x.max(0f).add(neg).mul(SELU_SCALE);
    }

    /** GELU's derivative: {@code Phi(x) + x * phi(x)}. */
    static FloatVector geluDerivative(FloatVector x) {
        FloatVector cdf = erf(x.mul(0.70710678118654752f)).add(1f).mul(0.5f);
        FloatVector pdf = x.mul(x).mul(-0.5f).lanewise(VectorOperators.EXP).mul(0.3989422804014327f);
        return x.fma(pdf, cdf);
    }

    /** SELU's derivative: {@code scale} for x > 0, {@code scale * alpha * e^x} otherwise. */
    static FloatVector seluDerivative(FloatVector x) {
        FloatVector neg = x.min(0f).lanewise(VectorOperators.EXP).mul(SELU_SCALE * SELU_ALPHA);
        return neg.blend(SELU_SCALE, x.compare(VectorOperators.GT, 0f));
    }
}
