package dev.mnv2.model;

import java.util.List;

/** Concatenation along channels of tensors with the same height and width, in the order the node lists them. */
public record Concat(String name) implements Layer, LayerSpec {
    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException(name + ": concatenates at least one tensor");
        }
        Shape first = inputs.get(0);
        int channels = 0;
        for (Shape s : inputs) {
            if (s.height() != first.height() || s.width() != first.width()) {
                throw new IllegalArgumentException(name + ": cannot concatenate " + first + " and " + s);
            }
            channels += s.channels();
        }
        return new Shape(first.height(), first.width(), channels);
    }

    @Override
    public Concat spec() {
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
