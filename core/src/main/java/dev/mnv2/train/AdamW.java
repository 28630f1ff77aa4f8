package dev.mnv2.train;

import java.util.List;
import java.util.Objects;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter), as PyTorch's {@code torch.optim.AdamW} computes it
 * (without AMSGrad), in the same order and in float32. For each updatable parameter {@code w} with gradient
 * {@code g}, decay rate {@code λ} (from the {@link WeightDecay} policy), betas {@code β1, β2}, epsilon
 * {@code ε}, learning rate {@code lr} and {@code t} the parameter's update count including this one:
 * <pre>
 *   w  = w·(1 − lr·λ)                                  (only when λ ≠ 0)
 *   m += (g − m)·(1 − β1)
 *   v  = β2·v + (1 − β2)·g²
 *   w += −(lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
 * </pre>
 * The bias corrections are computed in double, as PyTorch computes them in Python. The slots are PyTorch's:
 * {@code <parameter>.exp_avg}, {@code <parameter>.exp_avg_sq} and {@code <parameter>.step} (one value, the
 * update count as a float, exact up to 2^24 updates).
 *
 * <p>The defaults are PyTorch's: betas (0.9, 0.999), ε 1e-8, decay 0.01 on every trained parameter
 * ({@link WeightDecay#allParameters(double)}).
 */
public final class AdamW extends SlotOptimizer {
    private final double beta1;
    private final double beta2;
    private final float epsilon;
    private final WeightDecay weightDecay;
    private final String description;

    private AdamW(Builder b) {
        super(List.of(new Slot("exp_avg", false, false), new Slot("exp_avg_sq", false, true),
                new Slot("step", true, true)));
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.epsilon = (float) b.epsilon;
        this.weightDecay = b.weightDecay;
        this.description = "AdamW(betas=(" + b.beta1 + ", " + b.beta2 + "), epsilon=" + b.epsilon + ", "
                + b.weightDecay + ")";
    }

    /** AdamW with PyTorch's defaults. */
    public static AdamW create() {
        return builder().build();
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
        }
        float[] m = slots[0];
        float[] v = slots[1];
        float t = slots[2][0] + 1;
        slots[2][0] = t;
        double decay = weightDecay.rateFor(p);
        if (decay != 0) {
            float shrink = (float) (1 - learningRate * decay);
            for (int i = 0; i < w.length; i++) {
                w[i] *= shrink;
            }
        }
        float stepSize = (float) -(learningRate / (1 - Math.pow(beta1, t)));
        float correction2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, t));
        float oneMinusBeta1 = (float) (1 - beta1);
        float beta2f = (float) beta2;
        float oneMinusBeta2 = (float) (1 - beta2);
        for (int i = 0; i < w.length; i++) {
            m[i] = m[i] + oneMinusBeta1 * (g[i] - m[i]);
            v[i] = v[i] * beta2f + oneMinusBeta2 * g[i] * g[i];
            float denominator = (float) Math.sqrt(v[i]) / correction2Sqrt + epsilon;
            w[i] = w[i] + stepSize * (m[i] / denominator);
        }
    }

    @Override
    public String toString() {
        return description;
    }

    /** Options of {@link AdamW}; the defaults are PyTorch's. */
    public static final class Builder {
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private WeightDecay weightDecay = WeightDecay.allParameters(0.01);

        private Builder() {}

        /** β1 and β2, each in [0, 1). */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = Checks.requireFraction("AdamW beta1", beta1);
            this.beta2 = Checks.requireFraction("AdamW beta2", beta2);
            return this;
        }

        /** ε > 0, added to the bias-corrected root mean square. */
        public Builder epsilon(double epsilon) {
            this.epsilon = Checks.requirePositive("AdamW epsilon", epsilon);
            return this;
        }

        public Builder weightDecay(WeightDecay weightDecay) {
            this.weightDecay = Objects.requireNonNull(weightDecay, "weightDecay");
            return this;
        }

        public AdamW build() {
            return new AdamW(this);
        }
    }
}
