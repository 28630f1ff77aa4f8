package dev.mnv2.train;

import java.util.Arrays;

/**
 * Naive float64 transcriptions of the reference formulas (PyTorch's and TensorFlow's documented algorithms,
 * written the textbook way rather than in the kernels' update order) that the float32 implementations are
 * checked against.
 */
final class TrainingReference {
    private TrainingReference() {}

    /** torch.optim.SGD's documented algorithm over one flat parameter. */
    static final class Sgd {
        final double momentum;
        final double dampening;
        final boolean nesterov;
        final double weightDecay;
        double[] buffer;

        Sgd(double momentum, double dampening, boolean nesterov, double weightDecay) {
            this.momentum = momentum;
            this.dampening = dampening;
            this.nesterov = nesterov;
            this.weightDecay = weightDecay;
        }

        void step(double[] w, double[] grad, double lr) {
            double[] g = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                g[i] = grad[i] + weightDecay * w[i];
            }
            if (momentum != 0) {
                if (buffer == null) {
                    buffer = g.clone();
                } else {
                    for (int i = 0; i < w.length; i++) {
                        buffer[i] = momentum * buffer[i] + (1 - dampening) * g[i];
                    }
                }
                for (int i = 0; i < w.length; i++) {
                    g[i] = nesterov ? g[i] + momentum * buffer[i] : buffer[i];
                }
            }
            for (int i = 0; i < w.length; i++) {
                w[i] -= lr * g[i];
            }
        }
    }

    /**
     * tf.train.RMSPropOptimizer's documented update ({@link Variant#TENSORFLOW}: ms starting at one, ε inside the
     * root, the learning rate inside the momentum) or one of the ways other libraries differ from it.
     */
    static final class RmsProp {
        enum Variant { TENSORFLOW, MEAN_SQUARE_STARTS_AT_ZERO, EPSILON_OUTSIDE_ROOT, LEARNING_RATE_AFTER_MOMENTUM }

        final double rho;
        final double momentum;
        final double epsilon;
        final boolean centered;
        final double weightDecay;
        final Variant variant;
        double[] ms;
        double[] mg;
        double[] mom;

        RmsProp(double rho, double momentum, double epsilon, boolean centered, double weightDecay, Variant variant) {
            this.rho = rho;
            this.momentum = momentum;
            this.epsilon = epsilon;
            this.centered = centered;
            this.weightDecay = weightDecay;
            this.variant = variant;
        }

        void step(double[] w, double[] grad, double lr) {
            if (ms == null) {
                ms = new double[w.length];
                mg = new double[w.length];
                mom = new double[w.length];
                if (variant != Variant.MEAN_SQUARE_STARTS_AT_ZERO) {
                    Arrays.fill(ms, 1);
                }
            }
            for (int i = 0; i < w.length; i++) {
                double g = grad[i] + weightDecay * w[i];
                ms[i] = rho * ms[i] + (1 - rho) * g * g;
                mg[i] = rho * mg[i] + (1 - rho) * g;
                double variance = centered ? ms[i] - mg[i] * mg[i] : ms[i];
                double scaled = variant == Variant.EPSILON_OUTSIDE_ROOT
                        ? g / (Math.sqrt(variance) + epsilon) : g / Math.sqrt(variance + epsilon);
                if (variant == Variant.LEARNING_RATE_AFTER_MOMENTUM) {
                    mom[i] = momentum * mom[i] + scaled;
                    w[i] -= lr * mom[i];
                } else {
                    mom[i] = momentum * mom[i] + lr * scaled;
                    w[i] -= mom[i];
                }
            }
        }
    }

    /** torch.optim.AdamW's documented algorithm (amsgrad off); {@code decoupled=false} is Adam with L2. */
    static final class AdamW {
        final double beta1;
        final double beta2;
        final double epsilon;
        final double weightDecay;
        final boolean decoupled;
        double[] m;
        double[] v;
        int t;

        AdamW(double beta1, double beta2, double epsilon, double weightDecay, boolean decoupled) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.epsilon = epsilon;
            this.weightDecay = weightDecay;
            this.decoupled = decoupled;
        }

        void step(double[] w, double[] grad, double lr) {
            if (m == null) {
                m = new double[w.length];
                v = new double[w.length];
            }
            t++;
            for (int i = 0; i < w.length; i++) {
                double g = grad[i];
                if (decoupled) {
                    w[i] -= lr * weightDecay * w[i];
                } else {
                    g += weightDecay * w[i];
                }
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / (1 - Math.pow(beta1, t));
                double vHat = v[i] / (1 - Math.pow(beta2, t));
                w[i] -= lr * mHat / (Math.sqrt(vHat) + epsilon);
            }
        }
    }

    /**
     * Mean over counted rows of −Σ_k q_k·log softmax(z)_k with q the smoothed one-hot target, from explicit
     * probabilities (no log-sum-exp rearrangement); rows labelled {@code ignore} are skipped.
     */
    static double crossEntropy(double[] logits, int[] labels, int classes, double smoothing, int ignore) {
        double total = 0;
        int counted = 0;
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] == ignore) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, logits[r * classes + k]);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                sum += Math.exp(logits[r * classes + k] - max);
            }
            for (int k = 0; k < classes; k++) {
                double probability = Math.exp(logits[r * classes + k] - max) / sum;
                double target = (k == labels[r] ? 1 - smoothing : 0) + smoothing / classes;
                total -= target * Math.log(probability);
            }
            counted++;
        }
        return total / counted;
    }
}
