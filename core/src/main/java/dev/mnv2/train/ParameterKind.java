package dev.mnv2.train;

/**
 * What a {@link Parameter} is in the network, so that policies such as {@link WeightDecay} can pick
 * parameters by role rather than by name.
 */
public enum ParameterKind {
    /** Kernel of a regular (dense, not depthwise) convolution, 1×1 or k×k. */
    CONV_WEIGHT(true),
    /** Kernel of a depthwise convolution. */
    DEPTHWISE_WEIGHT(true),
    /** Weight matrix of a fully connected layer (the classifier). */
    DENSE_WEIGHT(true),
    /** Additive bias of a convolution or fully connected layer. */
    BIAS(true),
    /** Batch-norm scale γ. */
    NORM_WEIGHT(true),
    /** Batch-norm offset β. */
    NORM_BIAS(true),
    /**
     * Batch-norm running mean or variance: not trained by gradients (optimizers, weight decay and clipping
     * skip it), but averaged by {@link ExponentialMovingAverage} as TF-slim's model-variable average and
     * torchvision's EMA (buffers included) do.
     */
    NORM_STATISTIC(false);

    private final boolean trainable;

    ParameterKind(boolean trainable) {
        this.trainable = trainable;
    }

    /** Whether gradients update parameters of this kind. */
    public boolean trainable() {
        return trainable;
    }
}
