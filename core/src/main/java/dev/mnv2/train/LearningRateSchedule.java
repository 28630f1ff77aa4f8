package dev.mnv2.train;

import java.util.Arrays;

/**
 * The learning rate as a function of the step: {@code learningRate(n)} is the rate for the update that follows
 * {@code n} completed updates (0 for the first), as TensorFlow reads {@code global_step} and PyTorch's
 * schedulers count {@code last_epoch}. The factories take their lengths in steps; with {@code S} steps per
 * epoch (dataset size / batch), an epoch-based length is {@code epochs · S}. To step a schedule once per epoch
 * as torchvision's reference script does, define it in epochs and use {@link #heldPerEpoch(long)}.
 *
 * <p>Values are computed in double from closed forms, so they do not drift over a long run.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    /**
     * The learning rate after {@code step} completed updates.
     *
     * @throws IllegalArgumentException if {@code step} is negative or past the end of a schedule that has one
     */
    double learningRate(long step);

    /**
     * This schedule read with epochs as its steps: the rate is {@code learningRate(step / stepsPerEpoch)},
     * held for a whole epoch (torchvision calls {@code lr_scheduler.step()} once per epoch).
     */
    default LearningRateSchedule heldPerEpoch(long stepsPerEpoch) {
        if (stepsPerEpoch <= 0) {
            throw new IllegalArgumentException("steps per epoch must be > 0, got " + stepsPerEpoch);
        }
        return step -> learningRate(Checks.requireStep(step) / stepsPerEpoch);
    }

    /** The same rate at every step. */
    static LearningRateSchedule constant(double learningRate) {
        Checks.requireNonNegative("learning rate", learningRate);
        return step -> {
            Checks.requireStep(step);
            return learningRate;
        };
    }

    /**
     * TensorFlow's {@code tf.train.exponential_decay}: {@code initial · factor^(step / decaySteps)}, the
     * exponent floored when {@code staircase}. The paper's schedule (0.045, decayed by 0.98 every epoch) is
     * {@code exponentialDecay(0.045, 0.98, stepsPerEpoch, true)}; torchvision's {@code StepLR(step_size=k,
     * gamma=γ)} stepped per epoch is {@code exponentialDecay(lr, γ, k · stepsPerEpoch, true)}.
     */
    static LearningRateSchedule exponentialDecay(double initial, double factor, long decaySteps, boolean staircase) {
        Checks.requireNonNegative("initial learning rate", initial);
        Checks.requireNonNegative("decay factor", factor);
        if (decaySteps <= 0) {
            throw new IllegalArgumentException("decay steps must be > 0, got " + decaySteps);
        }
        return step -> {
            Checks.requireStep(step);
            double exponent = staircase ? (double) (step / decaySteps) : (double) step / decaySteps;
            return initial * Math.pow(factor, exponent);
        };
    }

    /**
     * PyTorch's {@code MultiStepLR}: {@code initial · gamma^k}, {@code k} the number of milestones ≤ step (the
     * classic "step" schedule, e.g. ×0.1 at epochs 30, 60 and 90).
     *
     * @param milestones steps at which the rate drops, strictly increasing and ≥ 1
     */
    static LearningRateSchedule multiStep(double initial, double gamma, long... milestones) {
        Checks.requireNonNegative("initial learning rate", initial);
        Checks.requireNonNegative("gamma", gamma);
        long[] at = milestones.clone();
        for (int i = 0; i < at.length; i++) {
            if (at[i] < 1 || (i > 0 && at[i] <= at[i - 1])) {
                throw new IllegalArgumentException("milestones must be strictly increasing and >= 1, got "
                        + Arrays.toString(milestones));
            }
        }
        return step -> {
            Checks.requireStep(step);
            int passed = 0;
            while (passed < at.length && at[passed] <= step) {
                passed++;
            }
            return initial * Math.pow(gamma, passed);
        };
    }

    /**
     * Cosine annealing after a linear warm-up, as torchvision's {@code LinearLR} then {@code CosineAnnealingLR}:
     * for {@code step < warmupSteps} the rate is {@code peak · (f + (1 − f) · step / warmupSteps)} with
     * {@code f = warmupStartFactor}; then {@code minimum + (peak − minimum) · (1 + cos(π · (step − warmupSteps)
     * / (totalSteps − warmupSteps))) / 2}, reaching {@code minimum} at {@code totalSteps} and staying there
     * (PyTorch's closed form would rise again). {@code warmupSteps = 0} is plain cosine annealing
     * ({@code cosine(0.1, 0, 1, epochs · S, 0)} is the CIFAR recipe's).
     *
     * @param warmupStartFactor the fraction of {@code peak} at step 0, in [0, 1]
     */
    static LearningRateSchedule cosine(double peak, long warmupSteps, double warmupStartFactor, long totalSteps,
            double minimum) {
        Checks.requireNonNegative("peak learning rate", peak);
        Checks.requireNonNegative("minimum learning rate", minimum);
        Checks.requireUnitInterval("warm-up start factor", warmupStartFactor);
        if (warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("need 0 <= warm-up steps < total steps, got " + warmupSteps + " and "
                    + totalSteps);
        }
        return step -> {
            Checks.requireStep(step);
            if (step < warmupSteps) {
                return peak * (warmupStartFactor + (1 - warmupStartFactor) * step / warmupSteps);
            }
            if (step >= totalSteps) {
                return minimum;
            }
            double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
            return minimum + (peak - minimum) * (1 + Math.cos(Math.PI * progress)) / 2;
        };
    }

    /** {@link #oneCycle(double, long, double, double, double, boolean)} with PyTorch's defaults (0.3, 25, 1e4, two phases). */
    static LearningRateSchedule oneCycle(double maxLearningRate, long totalSteps) {
        return oneCycle(maxLearningRate, totalSteps, 0.3, 25, 1e4, false);
    }

    /**
     * PyTorch's {@code OneCycleLR} with cosine annealing (its default {@code anneal_strategy='cos'}), learning
     * rate only (its momentum cycling is not modelled: the optimizer's momentum stays fixed). The rate starts at
     * {@code max / divFactor}, rises to {@code max} at step {@code pctStart · totalSteps − 1}, and falls to
     * {@code max / divFactor / finalDivFactor} at step {@code totalSteps − 1}; with {@code threePhase} it
     * falls back to the start at {@code 2 · pctStart · totalSteps − 2} and then to the minimum. Each phase is
     * {@code end + (start − end) / 2 · (1 + cos(π · pct))} over its own span. As in PyTorch, steps up to
     * {@code totalSteps} are accepted.
     *
     * @throws IllegalArgumentException if a phase would span no steps (too few total steps for
     *     {@code pctStart}) or an argument is out of range
     */
    static LearningRateSchedule oneCycle(double maxLearningRate, long totalSteps, double pctStart, double divFactor,
            double finalDivFactor, boolean threePhase) {
        Checks.requireNonNegative("maximum learning rate", maxLearningRate);
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("total steps must be > 0, got " + totalSteps);
        }
        Checks.requireUnitInterval("pct_start", pctStart);
        Checks.requirePositive("div factor", divFactor);
        Checks.requirePositive("final div factor", finalDivFactor);
        double initial = maxLearningRate / divFactor;
        double minimum = initial / finalDivFactor;
        double[] ends = threePhase
                ? new double[] {pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1}
                : new double[] {pctStart * totalSteps - 1, totalSteps - 1};
        double[] from = threePhase ? new double[] {initial, maxLearningRate, initial} : new double[] {initial, maxLearningRate};
        double[] to = threePhase ? new double[] {maxLearningRate, initial, minimum} : new double[] {maxLearningRate, minimum};
        double start = 0;
        for (double end : ends) {
            if (!(end > start)) {
                throw new IllegalArgumentException("one-cycle schedule of " + totalSteps + " steps with pct_start "
                        + pctStart + " has a phase ending at step " + end + ", not after " + start);
            }
            start = end;
        }
        return step -> {
            Checks.requireStep(step);
            if (step > totalSteps) {
                throw new IllegalArgumentException("step " + step + " is past the one-cycle schedule's "
                        + totalSteps + " steps");
            }
            int phase = 0;
            double phaseStart = 0;
            while (phase < ends.length - 1 && step > ends[phase]) {
                phaseStart = ends[phase];
                phase++;
            }
            double pct = (step - phaseStart) / (ends[phase] - phaseStart);
            return to[phase] + (from[phase] - to[phase]) / 2 * (Math.cos(Math.PI * pct) + 1);
        };
    }
}
