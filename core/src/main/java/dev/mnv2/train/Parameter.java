package dev.mnv2.train;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named array of a network's weights with its gradient. The arrays are shared, not copied: {@code value()}
 * is normally the layer's own array, so an optimizer step changes the layer in place, and the backward pass
 * writes (or accumulates into) {@code grad()}.
 *
 * <p>The name is the parameter's torchvision state-dict key (e.g. {@code features.3.conv.1.0.weight}); it
 * keys the optimizer's and the moving average's state, so names must be unique within one training run.
 * The shape describes {@code value()} in the producer's own layout and is kept for checkpoints; nothing here
 * interprets it beyond checking that it holds as many elements as the array.
 *
 * <p>A frozen parameter keeps its value: optimizers, weight decay and clipping skip it (as PyTorch skips a
 * parameter with {@code requires_grad=False}); {@link ExponentialMovingAverage} still tracks it.
 */
public final class Parameter {
    private final String name;
    private final ParameterKind kind;
    private final int[] shape;
    private final float[] value;
    private final float[] grad;
    private boolean frozen;

    /**
     * A parameter over {@code value} with its own zeroed gradient.
     *
     * @throws IllegalArgumentException if the name is blank or the shape's product is not the array's length
     */
    public Parameter(String name, ParameterKind kind, int[] shape, float[] value) {
        this(name, kind, shape, value, new float[value.length]);
    }

    /**
     * A parameter over {@code value} whose gradient lives in {@code grad} (e.g. a backward pass's buffer).
     *
     * @throws IllegalArgumentException if the name is blank, the shape's product is not the array's length or
     *     the gradient's length differs from the value's
     */
    public Parameter(String name, ParameterKind kind, int[] shape, float[] value, float[] grad) {
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.shape = Objects.requireNonNull(shape, "shape").clone();
        this.value = Objects.requireNonNull(value, "value");
        this.grad = Objects.requireNonNull(grad, "grad");
        if (name.isBlank()) {
            throw new IllegalArgumentException("parameter name must not be blank");
        }
        long elements = 1;
        for (int d : this.shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("parameter " + name + " has a non-positive dimension in "
                        + Arrays.toString(shape));
            }
            elements *= d;
        }
        if (elements != value.length) {
            throw new IllegalArgumentException("parameter " + name + " of shape " + Arrays.toString(shape)
                    + " needs " + elements + " values, got " + value.length);
        }
        if (grad.length != value.length) {
            throw new IllegalArgumentException("parameter " + name + " has " + value.length
                    + " values but a gradient of " + grad.length);
        }
    }

    public String name() {
        return name;
    }

    public ParameterKind kind() {
        return kind;
    }

    /** The dimensions (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** The values, shared with the layer: writes change the network. */
    public float[] value() {
        return value;
    }

    /** The gradient of the loss with respect to {@link #value()}, shared with whoever computes it. */
    public float[] grad() {
        return grad;
    }

    /** Number of values. */
    public int size() {
        return value.length;
    }

    public boolean frozen() {
        return frozen;
    }

    /** Freezes or unfreezes this parameter (e.g. a backbone while fine-tuning the classifier). */
    public void setFrozen(boolean frozen) {
        this.frozen = frozen;
    }

    /** Whether gradient-based updates apply: a trainable kind and not frozen. */
    public boolean updatable() {
        return kind.trainable() && !frozen;
    }

    /** Sets the gradient to zero. */
    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }

    @Override
    public String toString() {
        return name + " " + kind + " " + Arrays.toString(shape) + (frozen ? " frozen" : "");
    }

    /** Throws IllegalArgumentException naming the first name that occurs twice in {@code parameters}. */
    static void requireUniqueNames(List<Parameter> parameters) {
        Set<String> seen = new HashSet<>();
        for (Parameter p : parameters) {
            if (!seen.add(p.name())) {
                throw new IllegalArgumentException("parameter name " + p.name() + " occurs twice");
            }
        }
    }
}
