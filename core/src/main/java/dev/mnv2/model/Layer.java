package dev.mnv2.model;

import java.util.List;

/**
 * One layer of a network definition: architecture plus parameters, no execution state.
 * Names follow torchvision's module paths ({@code features.3}, {@code classifier.1}) so that
 * checkpoint formats can map parameters by name.
 */
public sealed interface Layer
        permits Conv2d, InvertedResidual, GlobalAveragePool, Dropout, Dense, AveragePool, Concat, ResizeBilinear,
        ArgMax {
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
    default long parameters() {
        return 0;
    }

    /** Parameters without any batch-norm entries (weights and biases only). */
    default long parametersWithoutBatchNorm() {
        return 0;
    }

    /** Multiply-accumulates for one image of shape {@code input} (0 for layers that do none). */
    default long macs(Shape input) {
        return 0;
    }
}
