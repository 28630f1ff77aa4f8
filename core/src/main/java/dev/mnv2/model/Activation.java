package dev.mnv2.model;

/** Element-wise non-linearity fused after a convolution or dense layer. */
public enum Activation {
    /** No non-linearity: the paper's linear bottleneck. */
    IDENTITY,
    RELU,
    /** min(max(x, 0), 6), robust under low-precision arithmetic (paper §3). */
    RELU6;

    /** Lower clamp bound of this activation. */
    public float min() {
        return this == IDENTITY ? Float.NEGATIVE_INFINITY : 0f;
    }

    /** Upper clamp bound of this activation. */
    public float max() {
        return this == RELU6 ? 6f : Float.POSITIVE_INFINITY;
    }
}
