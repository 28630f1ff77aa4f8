package dev.mnv2.model;

import java.util.Objects;

/**
 * Average over k×k windows, as TensorFlow's AVERAGE_POOL_2D: a window's mean counts only the taps inside
 * the input, never the padding.
 */
public record AveragePool(String name, int kernelHeight, int kernelWidth, int stride, Padding padding)
        implements Layer, LayerSpec {
    public AveragePool {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(padding, "padding");
        if (kernelHeight <= 0 || kernelWidth <= 0 || stride <= 0) {
            throw new IllegalArgumentException(name + ": kernel and stride must be > 0");
        }
    }

    public Padding.Axis rows(int inputHeight) {
        return padding.resolve(inputHeight, kernelHeight, stride, 1);
    }

    public Padding.Axis columns(int inputWidth) {
        return padding.resolve(inputWidth, kernelWidth, stride, 1);
    }

    @Override
    public Shape outputShape(Shape input) {
        return new Shape(rows(input.height()).output(), columns(input.width()).output(), input.channels());
    }

    @Override
    public AveragePool spec() {
        return this;
    }

    @Override
    public long parameters() {
        return 0;
    }

    @Override
    public long parametersWithoutBatchNorm() {
        return 0;
    }

    @Override
    public long macs(Shape input) {
        return 0;
    }
}
