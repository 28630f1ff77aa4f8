package dev.mnv2.reference;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Shape;

/** A batch of NHWC float64 activations, for the float64 references of the backward passes. */
public record DoubleTensor(int batch, Shape shape, double[] data) {
    public DoubleTensor {
        if (data.length != batch * shape.elements()) {
            throw new IllegalArgumentException(batch + "x" + shape + " needs " + batch * shape.elements() + " values");
        }
    }

    public static DoubleTensor zeros(int batch, Shape shape) {
        return new DoubleTensor(batch, shape, new double[Math.toIntExact(batch * shape.elements())]);
    }

    public static DoubleTensor of(Tensor t) {
        return new DoubleTensor(t.batch(), t.shape(), widen(t.data()));
    }

    public static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    public int index(int n, int y, int x, int c) {
        return ((n * shape.height() + y) * shape.width() + x) * shape.channels() + c;
    }

    public double get(int n, int y, int x, int c) {
        return data[index(n, y, x, c)];
    }

    public void add(int n, int y, int x, int c, double value) {
        data[index(n, y, x, c)] += value;
    }

    public int height() {
        return shape.height();
    }

    public int width() {
        return shape.width();
    }

    public int channels() {
        return shape.channels();
    }
}
