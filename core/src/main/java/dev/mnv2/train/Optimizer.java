package dev.mnv2.train;

import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients. An optimizer keeps per-parameter state (momentum buffers, moving
 * averages) keyed by {@link Parameter#name()}, so the same names must be passed on every step; the state can
 * be exported and imported as named float arrays for checkpoints.
 *
 * <p>Implementations: {@link Sgd} (PyTorch's {@code torch.optim.SGD}), {@link RmsProp} (TensorFlow 1's
 * {@code tf.train.RMSPropOptimizer}), {@link AdamW} (PyTorch's {@code torch.optim.AdamW}).
 */
public interface Optimizer {
    /**
     * Applies one update to every {@link Parameter#updatable() updatable} parameter, in list order, from its
     * current {@link Parameter#grad() gradient} (which is read, never changed). Frozen parameters and
     * batch-norm statistics are skipped and their state, if any, is left as it is.
     *
     * @param learningRate this step's learning rate, finite and ≥ 0 (from a {@link LearningRateSchedule})
     * @throws IllegalArgumentException if the learning rate is negative or not finite, two parameters share a
     *     name, or a parameter's size differs from the state kept under its name
     */
    void step(List<Parameter> parameters, double learningRate);

    /**
     * Copies of the state, one entry per state tensor, named {@code <parameter>.<slot>} (e.g.
     * {@code features.0.0.weight.momentum_buffer}), in the order the parameters were first updated and each
     * parameter's slots in a fixed order. Parameters not updated yet have no entries. The slot names are the
     * reference implementation's: see each optimizer.
     */
    Map<String, float[]> state();

    /**
     * Replaces the whole state with {@code state} (as {@link #state()} gives it), copying the arrays. Every
     * entry must name one of {@code parameters} and a slot of this optimizer and have the parameter's size
     * (1 for scalar slots) and finite values; a parameter has either all its slots or none (it then starts
     * afresh on its next step).
     *
     * @throws IllegalArgumentException naming the first entry that does not fit
     */
    void loadState(List<Parameter> parameters, Map<String, float[]> state);
}
