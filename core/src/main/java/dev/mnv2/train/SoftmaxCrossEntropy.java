package dev.mnv2.train;

import java.util.Arrays;
import java.util.Objects;

/**
 * Softmax cross-entropy over rows of logits, with label smoothing and an optional ignore label: the loss of
 * image classification (one row per image) and of segmentation (one row per pixel: NHWC logits
 * {@code [N][H][W][C]} are {@code N·H·W} rows of {@code C} values, the labels one per pixel in the same
 * order, usually with {@link #SEGMENTATION_IGNORE_LABEL} on unlabelled pixels).
 *
 * <p>With {@code K} classes, smoothing {@code ε} and label {@code y}, a row's target is
 * {@code q_k = (1 − ε)·[k = y] + ε/K} (TensorFlow's {@code softmax_cross_entropy(label_smoothing=ε)} and
 * PyTorch's {@code CrossEntropyLoss(label_smoothing=ε)} agree) and its loss
 * {@code −Σ q_k log softmax(z)_k = logsumexp(z) − (1 − ε)·z_y − (ε/K)·Σ z_k}; the result is the mean over the
 * rows whose label is not the ignore label (PyTorch's {@code reduction='mean'} with {@code ignore_index};
 * TF's default reduction gives the same mean for unit weights). Its gradient with respect to the logits is
 * {@code (softmax(z) − q) / counted} on counted rows and 0 on ignored ones. When every row is ignored the loss
 * and gradient are 0 (PyTorch returns NaN).
 *
 * <p>Numerically stable: the softmax subtracts the row's maximum, and sums run in double, so logits of any
 * finite size give a finite loss. The paper's recipe smooths by 0.1 ({@code builder().labelSmoothing(0.1)}).
 * Instances are immutable and safe to share.
 */
public final class SoftmaxCrossEntropy {
    /** The label of unlabelled pixels in PASCAL VOC style masks. */
    public static final int SEGMENTATION_IGNORE_LABEL = 255;

    private final double smoothing;
    private final boolean ignoring;
    private final int ignoreLabel;

    private SoftmaxCrossEntropy(Builder b) {
        this.smoothing = b.smoothing;
        this.ignoring = b.ignoring;
        this.ignoreLabel = b.ignoreLabel;
    }

    /** Plain cross-entropy: no smoothing, every label counts. */
    public static SoftmaxCrossEntropy create() {
        return builder().build();
    }

    /** Per-pixel cross-entropy ignoring label {@value #SEGMENTATION_IGNORE_LABEL}, no smoothing. */
    public static SoftmaxCrossEntropy segmentation() {
        return builder().ignoreLabel(SEGMENTATION_IGNORE_LABEL).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The mean loss over the counted rows.
     *
     * @param logits {@code labels.length × classes} values, row-major
     * @param labels one class index in [0, classes) per row, or the ignore label
     * @throws IllegalArgumentException if the lengths disagree or a label is out of range
     */
    public double loss(float[] logits, int[] labels, int classes) {
        return compute(logits, labels, null, 1, classes, null);
    }

    /**
     * The mean loss over the counted rows, writing its gradient with respect to each logit into
     * {@code gradient} (overwritten, not accumulated; ignored rows get zeros).
     *
     * @param gradient as long as {@code logits}; may be {@code logits} itself
     * @throws IllegalArgumentException if the lengths disagree or a label is out of range
     */
    public double lossAndGradient(float[] logits, int[] labels, int classes, float[] gradient) {
        Objects.requireNonNull(gradient, "gradient");
        return compute(logits, labels, null, 1, classes, gradient);
    }

    /**
     * The mean loss of a mixed batch (MixUp, CutMix: {@link dev.mnv2.data.BatchMixing}) and its gradient: each
     * row's target is {@code λ} of its label's and {@code 1 − λ} of its partner label's, each smoothed, which
     * is {@code λ·loss(label) + (1 − λ)·loss(partner)}. No row may carry the ignore label.
     *
     * @param partnerLabels one class index per row
     * @param lambda the share of each row's own label, in [0, 1]
     */
    public double lossAndGradient(float[] logits, int[] labels, int[] partnerLabels, float lambda, int classes,
                                  float[] gradient) {
        Objects.requireNonNull(gradient, "gradient");
        Objects.requireNonNull(partnerLabels, "partnerLabels");
        Checks.requireUnitInterval("mixing lambda", lambda);
        if (partnerLabels.length != labels.length) {
            throw new IllegalArgumentException(labels.length + " labels but " + partnerLabels.length
                    + " partner labels");
        }
        for (int r = 0; r < labels.length; r++) {
            int partner = partnerLabels[r];
            if (partner < 0 || partner >= classes || labels[r] < 0 || labels[r] >= classes) {
                throw new IllegalArgumentException("row " + r + " of a mixed batch has labels " + labels[r] + " and "
                        + partner + ", outside [0, " + classes + ")");
            }
        }
        return compute(logits, labels, partnerLabels, lambda, classes, gradient);
    }

    private double compute(float[] logits, int[] labels, int[] partners, double lambda, int classes,
                           float[] gradient) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(labels, "labels");
        if (classes <= 0) {
            throw new IllegalArgumentException("classes must be > 0, got " + classes);
        }
        if ((long) labels.length * classes != logits.length) {
            throw new IllegalArgumentException(labels.length + " labels of " + classes + " classes need "
                    + (long) labels.length * classes + " logits, got " + logits.length);
        }
        if (gradient != null && gradient.length != logits.length) {
            throw new IllegalArgumentException("gradient has " + gradient.length + " values for " + logits.length
                    + " logits");
        }
        int counted = 0;
        for (int r = 0; r < labels.length; r++) {
            int label = labels[r];
            if (ignoring && label == ignoreLabel) {
                continue;
            }
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " of row " + r + " is outside [0, " + classes
                        + ")" + (ignoring ? " and is not the ignore label " + ignoreLabel : ""));
            }
            counted++;
        }
        if (counted == 0) {
            if (gradient != null) {
                Arrays.fill(gradient, 0f);
            }
            return 0;
        }
        double offTarget = smoothing / classes;
        double own = (1 - smoothing) * lambda;
        double other = (1 - smoothing) * (1 - lambda);
        double total = 0;
        for (int r = 0; r < labels.length; r++) {
            int base = r * classes;
            int label = labels[r];
            int partner = partners == null ? label : partners[r];
            if (ignoring && label == ignoreLabel) {
                if (gradient != null) {
                    Arrays.fill(gradient, base, base + classes, 0f);
                }
                continue;
            }
            float max = logits[base];
            for (int k = 1; k < classes; k++) {
                max = Math.max(max, logits[base + k]);
            }
            double sumExp = 0;
            double sumLogits = 0;
            for (int k = 0; k < classes; k++) {
                sumExp += Math.exp((double) logits[base + k] - max);
                sumLogits += logits[base + k];
            }
            double logSumExp = max + Math.log(sumExp);
            total += logSumExp - own * logits[base + label] - other * logits[base + partner] - offTarget * sumLogits;
            if (gradient != null) {
                for (int k = 0; k < classes; k++) {
                    double probability = Math.exp((double) logits[base + k] - logSumExp);
                    double target = offTarget + (k == label ? own : 0) + (k == partner ? other : 0);
                    gradient[base + k] = (float) ((probability - target) / counted);
                }
            }
        }
        return total / counted;
    }

    @Override
    public String toString() {
        return "SoftmaxCrossEntropy(labelSmoothing=" + smoothing + (ignoring ? ", ignoreLabel=" + ignoreLabel : "")
                + ")";
    }

    /** Options of {@link SoftmaxCrossEntropy}: no smoothing and no ignore label unless set. */
    public static final class Builder {
        private double smoothing;
        private boolean ignoring;
        private int ignoreLabel;

        private Builder() {}

        /** Label smoothing ε in [0, 1]: the share of each target spread evenly over all classes. */
        public Builder labelSmoothing(double smoothing) {
            this.smoothing = Checks.requireUnitInterval("label smoothing", smoothing);
            return this;
        }

        /** Rows with this label add nothing to the loss or the mean's count and get a zero gradient. */
        public Builder ignoreLabel(int label) {
            this.ignoring = true;
            this.ignoreLabel = label;
            return this;
        }

        public SoftmaxCrossEntropy build() {
            return new SoftmaxCrossEntropy(this);
        }
    }
}
