package dev.mnv2.model;

/**
 * One layer of a network definition: architecture plus parameters, no execution state.
 * Names follow torchvision's module paths ({@code features.3}, {@code classifier.1}) so that
 * checkpoint formats can map parameters by name. Shapes and costs are those of its {@link #spec()}.
 */
public sealed interface Layer
        permits Conv2d, InvertedResidual, GlobalAveragePool, Dropout, Dense, AveragePool, Concat, ResizeBilinear,
        ArgMax {
    String name();

    /** What this layer computes, without its parameters. */
    LayerSpec spec();

    /** Output shape for one image of shape {@code input}; throws if the input does not fit. */
    default Shape outputShape(Shape input) {
        return spec().outputShape(input);
    }

    /** Learnable parameters, batch-norm gamma and beta included, running statistics excluded. */
    default long parameters() {
        return spec().parameters();
    }

    /** Parameters without any batch-norm entries (weights and biases only). */
    default long parametersWithoutBatchNorm() {
        return spec().parametersWithoutBatchNorm();
    }

    /** Multiply-accumulates for one image of shape {@code input} (0 for layers that do none). */
    default long macs(Shape input) {
        return spec().macs(input);
    }
}
