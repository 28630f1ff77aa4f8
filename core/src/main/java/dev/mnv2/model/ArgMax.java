package dev.mnv2.model;

/** Per pixel, the index of the largest channel (the first on ties), stored as a float in one channel. */
public record ArgMax(String name) implements Layer {
    @Override
    public Shape outputShape(Shape input) {
        return new Shape(input.height(), input.width(), 1);
    }
}
