package dev.mnv2.train;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * RMSProp as TensorFlow 1 defines it ({@code tf.compat.v1.train.RMSPropOptimizer}, whose dense update is the
 * {@code ApplyRMSProp} / {@code ApplyCenteredRMSProp} kernel), the optimizer of the MobileNetV2 paper and of
 * TF-slim's recipe. For each updatable parameter {@code w} with gradient {@code g}, decay rate {@code λ}
 * (from the {@link WeightDecay} policy, added to the gradient as TF-slim's L2 regulariser adds it to the
 * loss), decay {@code ρ}, momentum {@code μ}, epsilon {@code ε} and learning rate {@code lr}, in float32:
 * <pre>
 *   d    = g + λ·w
 *   ms  += (d² − ms)·(1 − ρ)
 *   mg  += (d − mg)·(1 − ρ)                          (centered only)
 *   mom  = μ·mom + lr·d / sqrt(ms + ε)                (centered: sqrt(ms − mg² + ε))
 *   w   −= mom
 * </pre>
 * Three points differ from PyTorch's {@code RMSprop} and Keras' and matter with the paper's ε = 1:
 * {@code ms} starts at <b>one</b>, not zero (TF's {@code ones_initializer} for the "rms" slot); ε is added
 * <b>inside</b> the square root; the learning rate is applied <b>before</b> the momentum accumulates, so a
 * learning-rate change reaches the update gradually. The slots are TF's: {@code <parameter>.rms},
 * {@code <parameter>.momentum} and, when centered, {@code <parameter>.mg}; all are created on a parameter's
 * first update (TF creates the momentum slot even when μ = 0; with μ = 0 it holds the last step).
 *
 * <p>The paper / TF-slim recipe: {@code RmsProp.builder().decay(0.9).momentum(0.9).epsilon(1.0)
 * .weightDecay(WeightDecay.tfSlim(4e-5))} with lr 0.045 × 0.98 per epoch. The builder's defaults are TF's
 * ({@code decay 0.9, momentum 0, epsilon 1e-10, centered false}).
 */
public final class RmsProp extends SlotOptimizer {
    private final float oneMinusDecay;
    private final float momentum;
    private final float epsilon;
    private final boolean centered;
    private final WeightDecay weightDecay;
    private final String description;

    private RmsProp(Builder b) {
        super(b.centered
                ? List.of(new Slot("rms", false, true), new Slot("momentum", false, false), new Slot("mg", false, false))
                : List.of(new Slot("rms", false, true), new Slot("momentum", false, false)));
        this.oneMinusDecay = 1f - (float) b.decay;
        this.momentum = (float) b.momentum;
        this.epsilon = (float) b.epsilon;
        this.centered = b.centered;
        this.weightDecay = b.weightDecay;
        this.description = "RMSProp(decay=" + b.decay + ", momentum=" + b.momentum + ", epsilon=" + b.epsilon
                + ", centered=" + b.centered + ", " + b.weightDecay + ")";
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    void update(Parameter p, double learningRate) {
        float[] w = p.value();
        float[] g = p.grad();
        float[][] slots = slotsOf(p);
        if (slots == null) {
            slots = createSlots(p);
            Arrays.fill(slots[0], 1f);
        }
        float[] ms = slots[0];
        float[] mom = slots[1];
        float[] mg = centered ? slots[2] : null;
        float decay = (float) weightDecay.rateFor(p);
        float lr = (float) learningRate;
        for (int i = 0; i < w.length; i++) {
            float d = decay != 0 ? g[i] + decay * w[i] : g[i];
            ms[i] += (d * d - ms[i]) * oneMinusDecay;
            float denominator;
            if (centered) {
                mg[i] += (d - mg[i]) * oneMinusDecay;
                denominator = (ms[i] - mg[i] * mg[i]) + epsilon;
            } else {
                denominator = ms[i] + epsilon;
            }
            mom[i] = mom[i] * momentum + (d * lr) / (float) Math.sqrt(denominator);
            w[i] -= mom[i];
        }
    }

    @Override
    public String toString() {
        return description;
    }

    /** Options of {@link RmsProp}; the defaults are TensorFlow 1's. */
    public static final class Builder {
        private double decay = 0.9;
        private double momentum;
        private double epsilon = 1e-10;
        private boolean centered;
        private WeightDecay weightDecay = WeightDecay.none();

        private Builder() {}

        /** Decay ρ of the mean square, in [0, 1) (TF's {@code decay}, Keras' {@code rho}); default 0.9. */
        public Builder decay(double decay) {
            this.decay = Checks.requireFraction("RMSProp decay", decay);
            return this;
        }

        /** Momentum μ in [0, 1); default 0. */
        public Builder momentum(double momentum) {
            this.momentum = Checks.requireFraction("RMSProp momentum", momentum);
            return this;
        }

        /** ε > 0, added to the mean square inside the square root; default 1e-10. */
        public Builder epsilon(double epsilon) {
            this.epsilon = Checks.requirePositive("RMSProp epsilon", epsilon);
            return this;
        }

        /** Divide by the estimated variance (ms − mg²) instead of the mean square; default false. */
        public Builder centered(boolean centered) {
            this.centered = centered;
            return this;
        }

        public Builder weightDecay(WeightDecay weightDecay) {
            this.weightDecay = Objects.requireNonNull(weightDecay, "weightDecay");
            return this;
        }

        public RmsProp build() {
            return new RmsProp(this);
        }
    }
}
