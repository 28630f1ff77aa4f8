package dev.mnv2.model;

/**
 * What a layer computes, without its parameters: enough for shapes, parameter counts and multiply-accumulates,
 * so that the cost of any configuration is known without allocating its weights. {@link Layer#spec()} gives a
 * layer's; {@link NetworkSpec} holds a whole network's.
 */
public sealed interface LayerSpec permits ConvSpec, BlockSpec, DenseSpec, GlobalAveragePool, Dropout {
    String name();

    /** Output shape for one image of shape {@code input}; throws if the input does not fit. */
    Shape outputShape(Shape input);

    /** Learnable parameters, batch-norm gamma and beta included, running statistics excluded. */
    long parameters();

    /** Parameters without any batch-norm entries (weights and biases only). */
    long parametersWithoutBatchNorm();

    /** Multiply-accumulates for one image of shape {@code input} (0 for layers that do none). */
    long macs(Shape input);
}
