package dev.mnv2.model;

import java.util.List;

/**
 * What a layer computes, without its parameters: enough for shapes, parameter counts and multiply-accumulates,
 * so that the cost of any configuration is known without allocating its weights. {@link Layer#spec()} gives a
 * layer's; {@link NetworkSpec} holds a whole network's.
 */
public sealed interface LayerSpec
        permits ConvSpec, BlockSpec, DenseSpec, GlobalAveragePool, Dropout, AveragePool, Concat, ResizeBilinear, ArgMax {
    String name();

    /** Output shape for one image of shape {@code input}; throws if the input does not fit. */
    Shape outputShape(Shape input);

    /** Output shape for the shapes of the tensors the layer reads; only {@link Concat} reads several. */
    default Shape outputShape(List<Shape> inputs) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(name() + ": reads one tensor, got " + inputs.size());
        }
        return outputShape(inputs.get(0));
    }

    /** Learnable parameters, batch-norm gamma and beta included, running statistics excluded. */
    long parameters();

    /** Parameters without any batch-norm entries (weights and biases only). */
    long parametersWithoutBatchNorm();

    /** Multiply-accumulates for one image of shape {@code input} (0 for layers that do none). */
    long macs(Shape input);
}
