package dev.mnv2.exec;

import dev.mnv2.model.Shape;
import java.util.Objects;

/** A batch of NHWC float32 activations: {@code data[((n * H + y) * W + x) * C + c]}. */
public record Tensor(int batch, Shape shape, float[] data) {
    public Tensor {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be > 0, got " + batch);
        }
        if (data.length != batch * shape.elements()) {
            throw new IllegalArgumentException("tensor of " + batch + "x" + shape + " needs "
                    + batch * shape.elements() + " values, got " + data.length);
        }
    }

    public static Tensor zeros(int batch, Shape shape) {
        return new Tensor(batch, shape, new float[Math.toIntExact(batch * shape.elements())]);
    }

    public int imageSize() {
        return (int) shape.elements();
    }

    public float get(int n, int y, int x, int c) {
        return data[index(n, y, x, c)];
    }

    public int index(int n, int y, int x, int c) {
        return ((n * shape.height() + y) * shape.width() + x) * shape.channels() + c;
    }

    /** The values of image {@code n} (copied). */
    public float[] image(int n) {
        float[] out = new float[imageSize()];
        System.arraycopy(data, n * imageSize(), out, 0, out.length);
        return out;
    }
}
