package dev.mnv2.model;

/** Shape of one image's activation in NHWC order, batch dimension excluded. */
public record Shape(int height, int width, int channels) {
    public Shape {
        if (height <= 0 || width <= 0 || channels <= 0) {
            throw new IllegalArgumentException("shape must be positive: " + height + "x" + width + "x" + channels);
        }
    }

    public long elements() {
        return (long) height * width * channels;
    }

    @Override
    public String toString() {
        return height + "x" + width + "x" + channels;
    }
}
