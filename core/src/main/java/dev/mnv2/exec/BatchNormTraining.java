package dev.mnv2.exec;

import java.util.Arrays;

/**
 * Batch normalisation in training mode over a batch of NHWC activations ({@code pixels} = images · H · W rows
 * of {@code channels} values), with the clamp of the activation that follows it fused in; inference folds
 * batch norm into the convolution instead ({@code Conv2d.foldBatchNorm}), so this is its only kernel. As
 * PyTorch's {@code BatchNorm2d} in training: the batch's mean and biased variance normalise,
 * {@code y = clamp(γ·(x − mean)/√(var + ε) + β, lo, hi)}, and the running variance is updated with the
 * unbiased one. Statistics run in double (PyTorch's CPU kernel accumulates in double too), gradient sums in
 * double over float chunk sums.
 *
 * <p>One instance per layer holds the current batch's per-channel state, sized once: call {@link #statistics},
 * {@link #coefficients}, then {@link #normalize} forward; {@link #parameterGradients}, then
 * {@link #inputGradient} backward (the latter needs the former's sums). The parts of one call write disjoint
 * values (channel ranges for the reductions, pixel ranges for the element-wise passes) and every value is the
 * same chain of operations for any split. The backward's kernels are vectorised, and the scalar ones give the
 * same bits.
 */
final class BatchNormTraining {
    /** Pixels whose float sums {@link #parameterGradients} adds into its double totals at once. */
    static final int CHUNK = 16;

    final int channels;
    /** The batch's mean and biased variance. */
    final float[] mean;
    final float[] variance;
    /**
     * {@code 1/√(var + ε)}, and the affine map {@code y = (x − mean)·scale + shift} it gives with γ and β
     * ({@code shift} is β): centring first keeps float precision where a channel's mean is large against its
     * deviation, which the folded {@code x·scale + (β − mean·scale)} would lose.
     */
    final float[] inverseStd;
    final float[] scale;
    final float[] shift;
    /** The current batch's gradients of γ and β ({@link #parameterGradients}), to be added to the parameters'. */
    final float[] gammaGradient;
    final float[] betaGradient;
    private final double[] sums;
    private final double[] products;
    private final float[] chunkSum;
    private final float[] chunkProduct;
    /** The input gradient's per-channel coefficients, from {@link #parameterGradients}. */
    private final float[] slope;
    private final float[] offset;
    /** Whether the current statistics are the running ones ({@link #useRunning}): an eval-mode (frozen) norm. */
    private boolean running;

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
        chunkSum = new float[channels];
        chunkProduct = new float[channels];
        slope = new float[channels];
        offset = new float[channels];
    }

    /**
     * The batch's mean and biased variance of part {@code part} of the channels: two passes (the variance about
     * the mean, not E[x²] − mean²), each summing chunks of {@link #CHUNK} pixels in float, vectorised over
     * channels, and the chunks' sums in double.
     */
    void statistics(Kernels k, float[] x, int xOff, int pixels, int part, int parts) {
        running = false;
        int c0 = Plan.Step.split(channels, part, parts);
        int c1 = Plan.Step.split(channels, part + 1, parts);
        chunkedSums(k, x, xOff, pixels, null, sums, c0, c1);
        for (int c = c0; c < c1; c++) {
            mean[c] = (float) (sums[c] / pixels);
        }
        chunkedSums(k, x, xOff, pixels, mean, products, c0, c1);
        for (int c = c0; c < c1; c++) {
            variance[c] = (float) (products[c] / pixels);
        }
    }

    private void chunkedSums(Kernels k, float[] x, int xOff, int pixels, float[] center, double[] totals, int c0,
                             int c1) {
        Arrays.fill(totals, c0, c1, 0);
        for (int p0 = 0; p0 < pixels; p0 += CHUNK) {
            Arrays.fill(chunkSum, c0, c1, 0f);
            k.batchNormSums(x, xOff + p0 * channels, Math.min(CHUNK, pixels - p0), channels, center, chunkSum, c0, c1);
            for (int c = c0; c < c1; c++) {
                totals[c] += chunkSum[c];
            }
        }
    }

    /**
     * Takes the running statistics instead of the batch's (a frozen, eval-mode norm as fine-tuning uses): the
     * normalisation is then affine in {@code x}, and {@link #inputGradient} is {@code scale·g} alone.
     */
    void useRunning(float[] runningMean, float[] runningVariance) {
        running = true;
        System.arraycopy(runningMean, 0, mean, 0, channels);
        System.arraycopy(runningVariance, 0, variance, 0, channels);
    }

    /** The normalisation's per-channel coefficients from the statistics, γ, β and ε. */
    void coefficients(float[] gamma, float[] beta, float epsilon) {
        for (int c = 0; c < channels; c++) {
            double inverse = 1 / Math.sqrt((double) variance[c] + epsilon);
            inverseStd[c] = (float) inverse;
            scale[c] = (float) (gamma[c] * inverse);
            shift[c] = beta[c];
        }
    }

    /** {@code y = clamp(fma(x − mean, scale, shift), lo, hi)} for part {@code part} of the pixels; {@code y} may be {@code x}. */
    void normalize(Kernels k, float[] x, int xOff, int pixels, float lo, float hi, float[] y, int yOff, int part,
                   int parts) {
        int p0 = Plan.Step.split(pixels, part, parts);
        int p1 = Plan.Step.split(pixels, part + 1, parts);
        k.batchNormNormalize(x, xOff + p0 * channels, p1 - p0, channels, mean, scale, shift, lo, hi, y,
                yOff + p0 * channels);
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
     * where {@code lo < fma(x − mean, scale, shift) < hi} (the clamp's backward, recomputed from {@code x} exactly as
     * {@link #normalize} computed it) and 0 elsewhere; also the coefficients {@link #inputGradient} needs. The
     * kernel sums chunks of {@link #CHUNK} pixels in float, vectorised over channels; the chunks' sums are
     * added in double.
     */
    void parameterGradients(Kernels k, float[] x, int xOff, float[] dy, int dyOff, int pixels, float lo, float hi,
                            int part, int parts) {
        int c0 = Plan.Step.split(channels, part, parts);
        int c1 = Plan.Step.split(channels, part + 1, parts);
        Arrays.fill(sums, c0, c1, 0);
        Arrays.fill(products, c0, c1, 0);
        for (int p0 = 0; p0 < pixels; p0 += CHUNK) {
            Arrays.fill(chunkSum, c0, c1, 0f);
            Arrays.fill(chunkProduct, c0, c1, 0f);
            k.batchNormGradientSums(x, xOff + p0 * channels, dy, dyOff + p0 * channels, Math.min(CHUNK, pixels - p0),
                    channels, scale, shift, mean, inverseStd, lo, hi, chunkSum, chunkProduct, c0, c1);
            for (int c = c0; c < c1; c++) {
                sums[c] += chunkSum[c];
                products[c] += chunkProduct[c];
            }
        }
        for (int c = c0; c < c1; c++) {
            gammaGradient[c] = (float) products[c];
            betaGradient[c] = (float) sums[c];
            // dx = scale·(g − Σg/n − x̂·Σg·x̂/n) = scale·g + (x − mean)·slope + offset
            // With running statistics the mean and variance do not depend on x: no terms through them.
            slope[c] = running ? 0f : (float) (-scale[c] * (double) inverseStd[c] * products[c] / pixels);
            offset[c] = running ? 0f : (float) (-scale[c] * sums[c] / pixels);
        }
    }

    /**
     * {@code dx (+)= scale·(g − Σg/n − x̂·Σg·x̂/n)} for part {@code part} of the pixels ({@code n = pixels}), with
     * {@code g} as in {@link #parameterGradients}, which must have run on the whole batch first. {@code dx} may
     * be {@code dy}.
     */
    void inputGradient(Kernels k, float[] x, int xOff, float[] dy, int dyOff, int pixels, float lo, float hi,
                       boolean accumulate, float[] dx, int dxOff, int part, int parts) {
        int p0 = Plan.Step.split(pixels, part, parts);
        int p1 = Plan.Step.split(pixels, part + 1, parts);
        k.batchNormInputGradient(x, xOff + p0 * channels, dy, dyOff + p0 * channels, p1 - p0, channels, scale, shift,
                mean, slope, offset, lo, hi, accumulate, dx, dxOff + p0 * channels);
    }
}
