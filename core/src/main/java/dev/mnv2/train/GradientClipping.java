package dev.mnv2.train;

import java.util.List;

/**
 * Gradient-norm clipping over all parameters together, as PyTorch's {@code torch.nn.utils.clip_grad_norm_}
 * (L2 norm, {@code error_if_nonfinite=False}): the global norm is {@code ‖g‖ = sqrt(Σ over parameters Σ g²)}
 * and every gradient is multiplied by {@code min(1, maxNorm / (‖g‖ + 1e-6))}. Only {@link
 * Parameter#updatable() updatable} parameters count and are scaled (PyTorch sees only parameters that have a
 * gradient). The sum runs in double in list order, so the norm is the same on every run; it can differ from
 * PyTorch's float32 per-parameter norms in the last bits.
 *
 * <p>As in PyTorch, a non-finite norm is not an error: a NaN norm makes every gradient NaN and an infinite one
 * scales them by 0. The caller sees the norm returned and can skip the step.
 */
public final class GradientClipping {
    /** PyTorch's guard against dividing by a zero norm. */
    private static final double NORM_EPSILON = 1e-6;

    private GradientClipping() {}

    /** The L2 norm of all updatable parameters' gradients taken together. */
    public static double globalNorm(List<Parameter> parameters) {
        double sumOfSquares = 0;
        for (Parameter p : parameters) {
            if (p.updatable()) {
                for (float g : p.grad()) {
                    sumOfSquares += (double) g * g;
                }
            }
        }
        return Math.sqrt(sumOfSquares);
    }

    /**
     * Scales the gradients down so that their global norm is at most about {@code maxNorm}.
     *
     * @param maxNorm finite and > 0
     * @return the global norm before clipping
     */
    public static double clipByGlobalNorm(List<Parameter> parameters, double maxNorm) {
        Checks.requirePositive("maximum gradient norm", maxNorm);
        double norm = globalNorm(parameters);
        double coefficient = Math.min(maxNorm / (norm + NORM_EPSILON), 1.0);
        if (coefficient != 1.0) {
            float scale = (float) coefficient;
            for (Parameter p : parameters) {
                if (p.updatable()) {
                    float[] g = p.grad();
                    for (int i = 0; i < g.length; i++) {
                        g[i] *= scale;
                    }
                }
            }
        }
        return norm;
    }
}
