package dev.mnv2.exec;

import java.util.Arrays;

/**
 * Batch normalisation in training mode over a batch of NHWC activations ({@code pixels} = images · H · W rows
 * of {@code channels} values), with the clamp of the activation that follows it fused in; inference folds
 * batch norm into the convolution instead ({@code Conv2d.foldBatchNorm}), so this is its only kernel. As
 * PyTorch's {@code BatchNorm2d} in training: the batch's mean and biased variance normalise,
 * {@code y = clamp(γ·(x − mean)/√(var + ε) + β, lo, hi)}, and the running variance is updated with the
 * unbiased one. Statistics and gradient sums run in double (PyTorch's CPU kernel accumulates in double too).
 *
 * <p>One instance per layer holds the current batch's per-channel state, sized once: call {@link #statistics},
 * {@link #coefficients}, then {@link #normalize} forward; {@link #parameterGradients}, then
 * {@link #inputGradient} backward (the latter needs the former's sums). The parts of one call write disjoint
 * values (channel ranges for the reductions, pixel ranges for the element-wise passes) and every value is the
 * same chain of operations for any split.
 */
final class BatchNormTraining {
    final int channels;
    /** The batch's mean and biased variance. */
    final float[] mean;
    final float[] variance;
    /** {@code 1/√(var + ε)}, and the affine map {@code y = x·scale + shift} it gives with γ and β. */
    final float[] inverseStd;
    final float[] scale;
    final float[] shift;
    /** The current batch's gradients of γ and β ({@link #parameterGradients}), to be added to the parameters'. */
    final float[] gammaGradient;
    final float[] betaGradient;
    /** Per-channel sums in double; after {@link #parameterGradients}, the means {@link #inputGradient} needs. */
    private final double[] sums;
    private final double[] products;

    BatchNormTraining(int channels) {
        this.channels = channels;
        mean = new float[channels];
        variance = new float[channels];
        inverseStd = new float[channels];
        scale = new float[channels];
        shift = new float[channels];
        gammaGradient = new float[channels];
        betaGradient = new float[channels];
        sums = new double[channels];
        products = new double[channels];
    }

    /** The batch's mean and biased variance of part {@code part} of the channels: two passes, in double. */
    void statistics(float[] x, int xOff, int pixels, int part, int parts) {
        int c0 = Plan.Step.split(channels, part, parts);
        int c1 = Plan.Step.split(channels, part + 1, parts);
        Arrays.fill(sums, c0, c1, 0);
        Arrays.fill(products, c0, c1, 0);
        for (int p = 0; p < pixels; p++) {
            int row = xOff + p * channels;
            for (int c = c0; c < c1; c++) {
                sums[c] += x[row + c];
            }
        }
        for (int c = c0; c < c1; c++) {
            sums[c] /= pixels;
        }
        for (int p = 0; p < pixels; p++) {
            int row = xOff + p * channels;
            for (int c = c0; c < c1; c++) {
                double d = x[row + c] - sums[c];
                products[c] += d * d;
            }
        }
        for (int c = c0; c < c1; c++) {
            mean[c] = (float) sums[c];
            variance[c] = (float) (products[c] / pixels);
        }
    }

    /** The normalisation's per-channel coefficients from the statistics, γ, β and ε. */
    void coefficients(float[] gamma, float[] beta, float epsilon) {
        for (int c = 0; c < channels; c++) {
            double inverse = 1 / Math.sqrt((double) variance[c] + epsilon);
            inverseStd[c] = (float) inverse;
            scale[c] = (float) (gamma[c] * inverse);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
    }

    /** {@code y = clamp(fma(x, scale, shift), lo, hi)} for part {@code part} of the pixels; {@code y} may be {@code x}. */
    void normalize(float[] x, int xOff, int pixels, float lo, float hi, float[] y, int yOff, int part, int parts) {
        int p0 = Plan.Step.split(pixels, part, parts);
        int p1 = Plan.Step.split(pixels, part + 1, parts);
        for (int p = p0; p < p1; p++) {
            int src = xOff + p * channels;
            int dst = yOff + p * channels;
            for (int c = 0; c < channels; c++) {
                y[dst + c] = Math.min(Math.max(Math.fma(x[src + c], scale[c], shift[c]), lo), hi);
            }
        }
    }

    /**
     * PyTorch's running-statistics update with this batch of {@code pixels} values per channel:
     * {@code running = (1 − momentum)·running + momentum·batch}, the variance unbiased ({@code · n/(n − 1)}).
     * TensorFlow's decay {@code d} is momentum {@code 1 − d}.
     */
    void updateRunning(float[] runningMean, float[] runningVariance, double momentum, int pixels) {
        double unbiased = pixels > 1 ? pixels / (pixels - 1.0) : 1;
        for (int c = 0; c < channels; c++) {
            runningMean[c] = (float) ((1 - momentum) * runningMean[c] + momentum * mean[c]);
            runningVariance[c] = (float) ((1 - momentum) * runningVariance[c] + momentum * variance[c] * unbiased);
        }
    }

    /**
     * This batch's {@link #gammaGradient} {@code Σ g·x̂} and {@link #betaGradient} {@code Σ g} (overwritten) for
     * part {@code part} of the channels, where {@code x̂ = (x − mean)/√(var + ε)} and {@code g} is {@code dy}
     * where {@code lo < fma(x, scale, shift) < hi} (the clamp's backward, recomputed from {@code x} exactly as
     * {@link #normalize} computed it) and 0 elsewhere.
     */
    void parameterGradients(float[] x, int xOff, float[] dy, int dyOff, int pixels, float lo, float hi,
                            int part, int parts) {
        int c0 = Plan.Step.split(channels, part, parts);
        int c1 = Plan.Step.split(channels, part + 1, parts);
        // Locals, so the compiler keeps the arrays in registers through the loop.
        double[] sums = this.sums;
        double[] products = this.products;
        float[] scale = this.scale;
        float[] shift = this.shift;
        float[] mean = this.mean;
        float[] inverseStd = this.inverseStd;
        Arrays.fill(sums, c0, c1, 0);
        Arrays.fill(products, c0, c1, 0);
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            int grad = dyOff + p * channels;
            for (int c = c0; c < c1; c++) {
                float v = x[src + c];
                float a = Math.fma(v, scale[c], shift[c]);
                double g = ScalarKernels.masked(dy[grad + c], ScalarKernels.inside(a, lo, hi));
                sums[c] += g;
                products[c] += g * ((v - (double) mean[c]) * inverseStd[c]);
            }
        }
        for (int c = c0; c < c1; c++) {
            gammaGradient[c] = (float) products[c];
            betaGradient[c] = (float) sums[c];
            sums[c] /= pixels;
            products[c] /= pixels;
        }
    }

    /**
     * {@code dx (+)= scale·(g − Σg/n − x̂·Σg·x̂/n)} for part {@code part} of the pixels ({@code n = pixels}), with
     * {@code g} and the sums of {@link #parameterGradients}, which must have run on the whole batch first.
     * {@code dx} may be {@code dy}.
     */
    void inputGradient(float[] x, int xOff, float[] dy, int dyOff, int pixels, float lo, float hi, boolean accumulate,
                       float[] dx, int dxOff, int part, int parts) {
        int p0 = Plan.Step.split(pixels, part, parts);
        int p1 = Plan.Step.split(pixels, part + 1, parts);
        double[] meanGradient = sums;
        double[] meanProduct = products;
        float[] scale = this.scale;
        float[] shift = this.shift;
        float[] mean = this.mean;
        float[] inverseStd = this.inverseStd;
        for (int p = p0; p < p1; p++) {
            int src = xOff + p * channels;
            int grad = dyOff + p * channels;
            int dst = dxOff + p * channels;
            for (int c = 0; c < channels; c++) {
                float v = x[src + c];
                float a = Math.fma(v, scale[c], shift[c]);
                double g = ScalarKernels.masked(dy[grad + c], ScalarKernels.inside(a, lo, hi));
                double normalised = (v - (double) mean[c]) * inverseStd[c];
                float d = (float) (scale[c] * (g - meanGradient[c] - normalised * meanProduct[c]));
                dx[dst + c] = accumulate ? dx[dst + c] + d : d;
            }
        }
    }
}
