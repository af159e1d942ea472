package org.sdd4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Vectorised element functions for the activations that dominate encoder time (GELU, SELU). */
final class VectorMath {
    private VectorMath() {
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);

    /**
     * The lanes' sum, in lane order and in double. The Vector API's {@code reduceLanes(ADD)} may associate in
     * any order, and does so differently in compiled and interpreted code, so results would depend on JIT timing.
     */
    static double sum(FloatVector v) {
        float[] lanes = v.toArray();
        double s = 0;
        for (float x : lanes) {
            s += x;
        }
        return s;
    }

    /** {@link #sum(FloatVector)} of the lanes set in {@code m}. */
    static double sum(FloatVector v, jdk.incubator.vector.VectorMask<Float> m) {
        float[] lanes = v.toArray();
        double s = 0;
        for (int i = 0; i < lanes.length; i++) {
            if (m.laneIsSet(i)) {
                s += lanes[i];
            }
        }
        return s;
    }

    /**
     * exp by range reduction ({@code x = n ln2 + r}, |r| <= ln2/2), a degree-7 Taylor polynomial and an
     * exponent-bit scale, within 2 ulp. Written with plain arithmetic and FMA on purpose: the Vector API's
     * EXP is an intrinsic in compiled code and a scalar loop in the interpreter, whose last bits differ, which
     * made results depend on when the JIT compiled a loop (training runs were not repeatable).
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-87.33f).min(88.72f);
        // Round x log2e to the nearest integer with the 1.5 * 2^23 trick: the integer lands in the low
        // mantissa bits, where the scale 2^n is then read off without a float-to-int conversion.
        FloatVector t = xc.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.mul(-LN2_HI).add(xc);
        r = n.mul(-LN2_LO).add(r);
        FloatVector p = r.fma(1f / 5040, 1f / 720).fma(r, FloatVector.broadcast(x.species(), 1f / 120))
                .fma(r, FloatVector.broadcast(x.species(), 1f / 24)).fma(r, FloatVector.broadcast(x.species(), 1f / 6))
                .fma(r, FloatVector.broadcast(x.species(), 0.5f)).fma(r, FloatVector.broadcast(x.species(), 1f))
                .fma(r, FloatVector.broadcast(x.species(), 1f));
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        // Inputs are clamped to [-87.33, 88.72]: every caller passes x <= 0 (softmax after subtracting the max,
        // exp(-x^2), SELU's negative side), where exp(-87.33) ~ 1e-38 stands in for underflow to zero.
        return p.mul(bits.reinterpretAsFloats());
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
        FloatVector e = exp(ax.mul(ax).neg());
        FloatVector y = poly.mul(e).neg().add(1f);
        return y.blend(y.neg(), x.lt(0f));
    }

    static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul(0.70710678118654752f)).add(1f));
    }

    static FloatVector selu(FloatVector x) {
        FloatVector neg = exp(x.min(0f)).sub(1f).mul(SELU_ALPHA);
        return x.max(0f).add(neg).mul(SELU_SCALE);
    }

    /** GELU's derivative: {@code Phi(x) + x * phi(x)}. */
    static FloatVector geluDerivative(FloatVector x) {
        FloatVector cdf = erf(x.mul(0.70710678118654752f)).add(1f).mul(0.5f);
        FloatVector pdf = exp(x.mul(x).mul(-0.5f)).mul(0.3989422804014327f);
        return x.fma(pdf, cdf);
    }

    /** SELU's derivative: {@code scale} for x > 0, {@code scale * alpha * e^x} otherwise. */
    static FloatVector seluDerivative(FloatVector x) {
        FloatVector neg = exp(x.min(0f)).mul(SELU_SCALE * SELU_ALPHA);
        return neg.blend(SELU_SCALE, x.compare(VectorOperators.GT, 0f));
    }
}
