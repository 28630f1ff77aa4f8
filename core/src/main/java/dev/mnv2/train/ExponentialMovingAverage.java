package dev.mnv2.train;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An exponential moving average of parameter values, as TensorFlow's {@code tf.train.ExponentialMovingAverage}
 * (without zero-debiasing) keeps it: each average starts as a copy of the parameter's value when the average
 * is built (TF initialises the shadow variable from the variable), and every {@link #update()} does
 * <pre>
 *   average −= (average − value) · (1 − d)
 * </pre>
 * in float32, with {@code d} the decay, or, with the {@code num_updates} warm-up, {@code d = min(decay,
 * (1 + n) / (10 + n))} where {@code n} is the number of updates before this one (TF passes
 * {@code global_step}; TF-slim's {@code train_image_classifier} does, with {@code --moving_average_decay
 * 0.9999}). The warm-up makes the average follow the weights closely early in training, when a 0.9999 decay
 * would keep it near the initial values for tens of thousands of steps.
 *
 * <p>Every parameter given is averaged, frozen ones and batch-norm statistics included (TF-slim averages all
 * model variables, moving means and variances among them). {@link #swapIn()} puts the averages into the
 * parameters for evaluation and puts the trained values back when closed:
 * <pre>{@code
 * ExponentialMovingAverage ema = ExponentialMovingAverage.builder(parameters).numUpdatesWarmUp(true).build();
 * ... after each optimizer step: ema.update();
 * try (ExponentialMovingAverage.Swap swap = ema.swapIn()) {
 *     evaluate(network);
 * }
 * }</pre>
 */
public final class ExponentialMovingAverage {
    /** TF-slim's {@code --moving_average_decay} in the MobileNet recipes. */
    public static final double TF_SLIM_DECAY = 0.9999;

    private final List<Parameter> parameters;
    private final float[][] averages;
    private final float decay;
    private final boolean warmUp;
    private long updates;
    private Swap swapped;

    private ExponentialMovingAverage(Builder b) {
        this.parameters = b.parameters;
        this.decay = (float) b.decay;
        this.warmUp = b.warmUp;
        this.averages = new float[parameters.size()][];
        for (int i = 0; i < averages.length; i++) {
            averages[i] = parameters.get(i).value().clone();
        }
    }

    /** An average of {@code parameters}, starting from their current values. */
    public static Builder builder(List<Parameter> parameters) {
        return new Builder(parameters);
    }

    /** Moves every average towards its parameter's current value. */
    public void update() {
        requireNotSwapped("update");
        float keep = nextDecay();
        float move = 1f - keep;
        for (int p = 0; p < averages.length; p++) {
            float[] average = averages[p];
            float[] value = parameters.get(p).value();
            for (int i = 0; i < average.length; i++) {
                average[i] -= (average[i] - value[i]) * move;
            }
        }
        updates++;
    }

    /** The decay the next {@link #update()} uses (float32, as TF computes it). */
    public float nextDecay() {
        if (!warmUp) {
            return decay;
        }
        float n = updates;
        return Math.min(decay, (1f + n) / (10f + n));
    }

    /** Number of updates so far. */
    public long updates() {
        return updates;
    }

    /**
     * Copies of the averages keyed by parameter name, in the parameters' order: the same keys as the
     * parameters themselves, so the averaged weights can be saved as a model.
     */
    public Map<String, float[]> averages() {
        requireNotSwapped("read the averages");
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int p = 0; p < averages.length; p++) {
            out.put(parameters.get(p).name(), averages[p].clone());
        }
        return out;
    }

    /**
     * Replaces the averages and the update count (from a checkpoint). {@code averages} must have exactly one
     * entry per parameter, of its size, with finite values.
     *
     * @throws IllegalArgumentException naming the first entry that is missing, extra, of the wrong size or
     *     not finite
     */
    public void load(Map<String, float[]> averages, long updates) {
        requireNotSwapped("load averages");
        Objects.requireNonNull(averages, "averages");
        if (updates < 0) {
            throw new IllegalArgumentException("update count must be >= 0, got " + updates);
        }
        float[][] loaded = new float[this.averages.length][];
        for (int p = 0; p < loaded.length; p++) {
            Parameter parameter = parameters.get(p);
            float[] values = averages.get(parameter.name());
            if (values == null) {
                throw new IllegalArgumentException("moving averages lack " + parameter.name());
            }
            if (values.length != parameter.size()) {
                throw new IllegalArgumentException("moving average of " + parameter.name() + " has " + values.length
                        + " values, expected " + parameter.size());
            }
            for (float v : values) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("moving average of " + parameter.name() + " holds " + v);
                }
            }
            loaded[p] = values.clone();
        }
        if (averages.size() != loaded.length) {
            Set<String> names = new HashSet<>();
            parameters.forEach(q -> names.add(q.name()));
            for (String name : averages.keySet()) {
                if (!names.contains(name)) {
                    throw new IllegalArgumentException("moving averages have " + name + ", which is no parameter");
                }
            }
        }
        System.arraycopy(loaded, 0, this.averages, 0, loaded.length);
        this.updates = updates;
    }

    /**
     * Copies the averages into the parameters' values until the returned swap is closed, which copies the
     * trained values back. Updates are refused while swapped.
     *
     * @throws IllegalStateException if the averages are already swapped in
     */
    public Swap swapIn() {
        requireNotSwapped("swap in");
        swapped = new Swap();
        return swapped;
    }

    private void requireNotSwapped(String action) {
        if (swapped != null) {
            throw new IllegalStateException("cannot " + action + " while the averages are swapped in; close the swap first");
        }
    }

    /** The averages in place of the trained values; {@link #close()} restores the trained values. */
    public final class Swap implements AutoCloseable {
        private final float[][] trained = new float[averages.length][];

        private Swap() {
            for (int p = 0; p < averages.length; p++) {
                float[] value = parameters.get(p).value();
                trained[p] = value.clone();
                System.arraycopy(averages[p], 0, value, 0, value.length);
            }
        }

        /** Puts the trained values back; a second call does nothing. */
        @Override
        public void close() {
            if (swapped != this) {
                return;
            }
            for (int p = 0; p < trained.length; p++) {
                float[] value = parameters.get(p).value();
                System.arraycopy(trained[p], 0, value, 0, value.length);
            }
            swapped = null;
        }
    }

    /** Options of {@link ExponentialMovingAverage}: decay 0.9999 ({@link #TF_SLIM_DECAY}), no warm-up, unless set. */
    public static final class Builder {
        private final List<Parameter> parameters;
        private double decay = TF_SLIM_DECAY;
        private boolean warmUp;

        private Builder(List<Parameter> parameters) {
            this.parameters = List.copyOf(Objects.requireNonNull(parameters, "parameters"));
            Parameter.requireUniqueNames(this.parameters);
        }

        /** The decay, in [0, 1). */
        public Builder decay(double decay) {
            this.decay = Checks.requireFraction("moving-average decay", decay);
            return this;
        }

        /** TF's {@code num_updates} warm-up: decay {@code min(decay, (1 + n) / (10 + n))}. */
        public Builder numUpdatesWarmUp(boolean warmUp) {
            this.warmUp = warmUp;
            return this;
        }

        public ExponentialMovingAverage build() {
            return new ExponentialMovingAverage(this);
        }
    }
}
