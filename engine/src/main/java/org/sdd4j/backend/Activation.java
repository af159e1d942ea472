package org.sdd4j.backend;

/** Element-wise nonlinearities used by the model families. */
public enum Activation {
    /** Exact GELU: x * Phi(x) with the erf form, as torch's default. */
    GELU,
    /** SELU with the constants of Klambauer et al. (torch.nn.SELU). */
    SELU,
    SIGMOID,
    TANH,
    ABS,
    RELU;

    static final double SELU_SCALE = 1.0507009873554804934193349852946;
    static final double SELU_ALPHA = 1.6732632423543772848170429916717;

    /** The plain definition, in double: the reference every fast implementation is tested against. */
    public double apply(double x) {
        return switch (this) {
            case GELU -> 0.5 * x * (1.0 + Erf.erf(x / Math.sqrt(2.0)));
            case SELU -> SELU_SCALE * (x > 0 ? x : SELU_ALPHA * StrictMath.expm1(x));
            case SIGMOID -> 1.0 / (1.0 + StrictMath.exp(-x));
            case TANH -> StrictMath.tanh(x);
            case ABS -> Math.abs(x);
            case RELU -> Math.max(x, 0.0);
        };
    }

    /** The derivative f'(x), in double: the reference for every backward implementation. */
    public double derivative(double x) {
        return switch (this) {
            case GELU -> 0.5 * (1.0 + Erf.erf(x / Math.sqrt(2.0))) + x * StrictMath.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            case SELU -> SELU_SCALE * (x > 0 ? 1.0 : SELU_ALPHA * StrictMath.exp(x));
            case SIGMOID -> {
                double s = 1.0 / (1.0 + StrictMath.exp(-x));
                yield s * (1 - s);
            }
            case TANH -> {
                double t = StrictMath.tanh(x);
                yield 1 - t * t;
            }
            case ABS -> Math.signum(x);
            case RELU -> x > 0 ? 1.0 : 0.0;
        };
    }
}
