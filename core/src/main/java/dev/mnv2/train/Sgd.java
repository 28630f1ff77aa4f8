package dev.mnv2.train;

import java.util.List;
import java.util.Objects;

/**
 * Stochastic gradient descent with optional momentum, as PyTorch's {@code torch.optim.SGD} computes it, in the
 * same order and in float32. For each updatable parameter {@code w} with gradient {@code g}, decay rate
 * {@code λ} (from the {@link WeightDecay} policy), momentum {@code μ}, dampening {@code τ} and learning rate
 * {@code lr}:
 * <pre>
 *   d = g + λ·w                      (only when λ ≠ 0)
 *   b = d                            on the parameter's first update, else  b = μ·b + (1 − τ)·d
 *   d = d + μ·b  (Nesterov)   or   d = b                                    (only when μ ≠ 0)
 *   w = w − lr·d
 * </pre>
 * This is PyTorch's form (the learning rate multiplies the whole buffer), not Sutskever's ({@code b = μ·b +
 * lr·g}); the two differ once the learning rate changes. The buffer is the state slot
 * {@code <parameter>.momentum_buffer}, PyTorch's own name, and exists only with momentum.
 *
 * <p>Recipes: torchvision's MobileNetV2 {@code Sgd.builder().momentum(0.9).weightDecay(WeightDecay.allParameters(4e-5))}
 * with lr 0.045 × 0.98 per epoch; the CIFAR one {@code momentum(0.9).nesterov(true)} with
 * {@code WeightDecay.allParameters(5e-4)} and a cosine schedule from 0.1.
 */
public final class Sgd extends SlotOptimizer {
    private final float momentum;
    private final float oneMinusDampening;
    private final boolean nesterov;
    private final WeightDecay weightDecay;
    private final String description;

    private Sgd(Builder b) {
        super(List.of(new Slot("momentum_buffer", false, false)));
        this.momentum = (float) b.momentum;
        this.oneMinusDampening = (float) (1 - b.dampening);
        this.nesterov = b.nesterov;
        this.weightDecay = b.weightDecay;
        this.description = "SGD(momentum=" + b.momentum + ", dampening=" + b.dampening + ", nesterov=" + b.nesterov
                + ", " + b.weightDecay + ")";
    }

    /** Plain SGD: no momentum, no decay. */
    public static Sgd create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    void update(Parameter p, double learningRate) {
        float[] w = p.value();
        float[] g = p.grad();
        float decay = (float) weightDecay.rateFor(p);
        float step = (float) -learningRate;
        if (momentum == 0) {
            for (int i = 0; i < w.length; i++) {
                float d = decay != 0 ? g[i] + decay * w[i] : g[i];
                w[i] = w[i] + step * d;
            }
            return;
        }
        float[][] slots = slotsOf(p);
        boolean first = slots == null;
        float[] buffer = first ? createSlots(p)[0] : slots[0];
        for (int i = 0; i < w.length; i++) {
            float d = decay != 0 ? g[i] + decay * w[i] : g[i];
            float b = first ? d : buffer[i] * momentum + oneMinusDampening * d;
            buffer[i] = b;
            float u = nesterov ? d + momentum * b : b;
            w[i] = w[i] + step * u;
        }
    }

    @Override
    public String toString() {
        return description;
    }

    /** Options of {@link Sgd}; the defaults are PyTorch's (no momentum, dampening 0, no Nesterov, no decay). */
    public static final class Builder {
        private double momentum;
        private double dampening;
        private boolean nesterov;
        private WeightDecay weightDecay = WeightDecay.none();

        private Builder() {}

        /** Momentum factor μ in [0, 1). */
        public Builder momentum(double momentum) {
            this.momentum = Checks.requireFraction("SGD momentum", momentum);
            return this;
        }

        /** Dampening τ in [0, 1]: the buffer adds (1 − τ)·d. */
        public Builder dampening(double dampening) {
            this.dampening = Checks.requireUnitInterval("SGD dampening", dampening);
            return this;
        }

        /** Nesterov momentum (needs momentum > 0 and dampening 0, as PyTorch requires). */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        public Builder weightDecay(WeightDecay weightDecay) {
            this.weightDecay = Objects.requireNonNull(weightDecay, "weightDecay");
            return this;
        }

        /** @throws IllegalArgumentException if Nesterov is asked without momentum or with dampening */
        public Sgd build() {
            if (nesterov && (momentum == 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and dampening 0, got momentum "
                        + momentum + " and dampening " + dampening);
            }
            return new Sgd(this);
        }
    }
}
