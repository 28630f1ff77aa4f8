package dev.mnv2.data;

import java.util.SplittableRandom;

/**
 * MixUp (Zhang et al., 2018) and CutMix (Yun et al., 2019) of a training batch, as torchvision's reference
 * scripts apply them ({@code --mixup-alpha}, {@code --cutmix-alpha}): each image is mixed with its neighbour in
 * the batch rolled by one, with a ratio λ drawn from Beta(α, α); when both are on, each batch takes one of them
 * with even odds. MixUp blends whole images, {@code λ·x + (1 − λ)·x'}; CutMix pastes a box of the neighbour
 * covering about {@code 1 − λ} of the image, and λ becomes the share of pixels left, the box clipped at the
 * border. The targets mix the same way: {@link Mix#lambda()} of each image's label and the rest of its
 * {@link Mix#partnerLabels()}, which the loss takes ({@code SoftmaxCrossEntropy.lossAndGradient} with a mix).
 *
 * <p>What a batch gets is a function of the seed and the step only, so a resumed run mixes as an uninterrupted
 * one. Immutable and safe to share.
 *
 * @param mixupAlpha Beta's α for MixUp; 0 for none
 * @param cutmixAlpha Beta's α for CutMix; 0 for none
 */
public record BatchMixing(double mixupAlpha, double cutmixAlpha) {
    /** No mixing. */
    public static final BatchMixing NONE = new BatchMixing(0, 0);

    public BatchMixing {
        if (!(mixupAlpha >= 0) || !(cutmixAlpha >= 0) || Double.isInfinite(mixupAlpha)
                || Double.isInfinite(cutmixAlpha)) {
            throw new IllegalArgumentException("mixup and cutmix alphas must be finite and >= 0, got " + mixupAlpha
                    + " and " + cutmixAlpha);
        }
    }

    public boolean enabled() {
        return mixupAlpha > 0 || cutmixAlpha > 0;
    }

    /**
     * How a batch was mixed: image {@code i} is {@code lambda} of its own and {@code 1 − lambda} of image
     * {@code i − 1} (the last one for the first), whose label is {@code partnerLabels[i]}.
     */
    public record Mix(float lambda, int[] partnerLabels) {}

    /**
     * Mixes the first {@code count} images of {@code images} (NHWC, {@code height × width × channels} each) in
     * place and returns the targets' mix.
     *
     * @param labels one label per image
     * @param seed the run's seed
     * @param step the training step, so that every step draws its own λ and box
     * @throws IllegalStateException if no mixing is enabled
     */
    public Mix apply(float[] images, int[] labels, int count, int height, int width, int channels, long seed,
                     long step) {
        if (!enabled()) {
            throw new IllegalStateException("no mixing is enabled");
        }
        int size = height * width * channels;
        if ((long) count * size > images.length || count > labels.length || count < 1) {
            throw new IllegalArgumentException(count + " images of " + size + " values with " + labels.length
                    + " labels do not fit a batch of " + images.length + " values");
        }
        SplittableRandom random = new SplittableRandom(Seeds.mix(seed, 0x6D6978L, step));
        boolean cutmix = mixupAlpha == 0 || (cutmixAlpha > 0 && random.nextBoolean());
        float lambda = (float) beta(cutmix ? cutmixAlpha : mixupAlpha, random);
        int[] partners = new int[count];
        float[] last = new float[size];
        System.arraycopy(images, (count - 1) * size, last, 0, size);
        if (cutmix) {
            // Box side ratio √(1 − λ) around a uniform centre, clipped; λ is then the share it leaves.
            double ratio = Math.sqrt(1 - lambda);
            int boxH = (int) (height * ratio);
            int boxW = (int) (width * ratio);
            int cy = random.nextInt(height);
            int cx = random.nextInt(width);
            int y0 = Math.max(cy - boxH / 2, 0);
            int y1 = Math.min(cy + boxH / 2, height);
            int x0 = Math.max(cx - boxW / 2, 0);
            int x1 = Math.min(cx + boxW / 2, width);
            lambda = 1f - (float) ((y1 - y0) * (x1 - x0)) / (height * width);
            // From the last image down, so that each image's neighbour is still unmixed when it is read.
            for (int i = count - 1; i >= 0; i--) {
                int source = i == 0 ? -1 : (i - 1) * size;
                for (int y = y0; y < y1; y++) {
                    int row = (y * width + x0) * channels;
                    int n = (x1 - x0) * channels;
                    if (source < 0) {
                        System.arraycopy(last, row, images, i * size + row, n);
                    } else {
                        System.arraycopy(images, source + row, images, i * size + row, n);
                    }
                }
            }
        } else {
            float keep = lambda;
            float take = 1 - lambda;
            for (int i = count - 1; i >= 0; i--) {
                int target = i * size;
                int source = (i - 1) * size;
                for (int v = 0; v < size; v++) {
                    float other = i == 0 ? last[v] : images[source + v];
                    images[target + v] = keep * images[target + v] + take * other;
                }
            }
        }
        for (int i = 0; i < count; i++) {
            partners[i] = labels[i == 0 ? count - 1 : i - 1];
        }
        return new Mix(lambda, partners);
    }

    /** A Beta(α, α) draw as X / (X + Y) of two Gamma(α) draws. */
    static double beta(double alpha, SplittableRandom random) {
        double x = gamma(alpha, random);
        double y = gamma(alpha, random);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    /**
     * A Gamma(α, 1) draw by Marsaglia and Tsang's method (2000); for α below 1 it draws Gamma(α + 1) and scales
     * by U^(1/α).
     */
    static double gamma(double alpha, SplittableRandom random) {
        if (alpha < 1) {
            return gamma(alpha + 1, random) * Math.pow(random.nextDouble(), 1 / alpha);
        }
        double d = alpha - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = normal(random);
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = random.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }

    private static double normal(SplittableRandom random) {
        // Box–Muller; 1 − U keeps the logarithm's argument in (0, 1].
        double u = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
