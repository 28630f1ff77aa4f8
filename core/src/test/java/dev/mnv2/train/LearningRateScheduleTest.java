package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Schedules at points whose values follow from the formulas by hand. */
class LearningRateScheduleTest {
    private static final double EXACT = 1e-15;

    @Test
    void constantIsConstant() {
        LearningRateSchedule s = LearningRateSchedule.constant(0.01);
        assertEquals(0.01, s.learningRate(0));
        assertEquals(0.01, s.learningRate(1_000_000));
    }

    @Test
    void papersExponentialDecayDropsByTwoPercentAtEachEpochBoundary() {
        int stepsPerEpoch = 13_346; // ImageNet's 1,281,167 images in batches of 96
        LearningRateSchedule s = LearningRateSchedule.exponentialDecay(0.045, 0.98, stepsPerEpoch, true);
        assertEquals(0.045, s.learningRate(0), EXACT);
        assertEquals(0.045, s.learningRate(stepsPerEpoch - 1), EXACT);
        assertEquals(0.045 * 0.98, s.learningRate(stepsPerEpoch), EXACT);
        assertEquals(0.045 * 0.98 * 0.98 * 0.98, s.learningRate(3L * stepsPerEpoch + 17), EXACT);
        LearningRateSchedule smooth = LearningRateSchedule.exponentialDecay(0.045, 0.98, stepsPerEpoch, false);
        assertEquals(0.045 * Math.sqrt(0.98), smooth.learningRate(stepsPerEpoch / 2), EXACT);
    }

    @Test
    void multiStepDropsAtEachMilestone() {
        LearningRateSchedule s = LearningRateSchedule.multiStep(0.1, 0.1, 30, 60, 90);
        assertEquals(0.1, s.learningRate(29), EXACT);
        assertEquals(0.01, s.learningRate(30), EXACT);
        assertEquals(0.001, s.learningRate(89), EXACT);
        assertEquals(0.1 * 0.1 * 0.1 * 0.1, s.learningRate(500), EXACT);
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.multiStep(0.1, 0.1, 30, 30));
    }

    @Test
    void cosineWithWarmUpRisesLinearlyThenFollowsHalfACosine() {
        LearningRateSchedule s = LearningRateSchedule.cosine(0.4, 100, 0.01, 1100, 0.0);
        assertEquals(0.4 * 0.01, s.learningRate(0), EXACT);
        assertEquals(0.4 * (0.01 + 0.99 * 0.5), s.learningRate(50), EXACT);
        assertEquals(0.4, s.learningRate(100), EXACT);
        assertEquals(0.4 * (1 + Math.cos(Math.PI / 4)) / 2, s.learningRate(350), EXACT);
        assertEquals(0.2, s.learningRate(600), EXACT);
        assertEquals(0.0, s.learningRate(1100), EXACT);
        assertEquals(0.0, s.learningRate(5000), EXACT);
        LearningRateSchedule cifar = LearningRateSchedule.cosine(0.1, 0, 1, 200, 0.001);
        assertEquals(0.1, cifar.learningRate(0), EXACT);
        assertEquals(0.001 + 0.099 * 0.5, cifar.learningRate(100), EXACT);
    }

    @Test
    void oneCycleFollowsPyTorchsPhases() {
        // total 100, pct_start 0.3: up from 0.4/25 over steps 0..29, down to 0.4/25/1e4 over 29..99
        LearningRateSchedule s = LearningRateSchedule.oneCycle(0.4, 100);
        assertEquals(0.016, s.learningRate(0), EXACT);
        assertEquals(0.4, s.learningRate(29), EXACT);
        assertEquals(0.4 + (0.016 - 0.4) / 2 * (Math.cos(Math.PI * 14 / 29) + 1), s.learningRate(14), EXACT);
        assertEquals((0.4 + 1.6e-6) / 2, s.learningRate(64), EXACT);
        assertEquals(1.6e-6, s.learningRate(99), 1e-18);
        s.learningRate(100);
        assertThrows(IllegalArgumentException.class, () -> s.learningRate(101));
    }

    @Test
    void threePhaseOneCycleReturnsToTheStartBeforeAnnealing() {
        // ends at 29, 58, 99
        LearningRateSchedule s = LearningRateSchedule.oneCycle(1.0, 100, 0.3, 10, 100, true);
        assertEquals(0.1, s.learningRate(0), EXACT);
        assertEquals(1.0, s.learningRate(29), EXACT);
        assertEquals(0.1 + 0.9 / 2 * (Math.cos(Math.PI * 14 / 29) + 1), s.learningRate(43), EXACT);
        assertEquals(0.1, s.learningRate(58), EXACT);
        assertEquals(0.001, s.learningRate(99), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.oneCycle(1.0, 2, 0.3, 25, 1e4, false));
    }

    @Test
    void heldPerEpochReadsTheScheduleInEpochs() {
        LearningRateSchedule perEpoch = LearningRateSchedule.cosine(0.5, 5, 0.01, 300, 0).heldPerEpoch(1000);
        assertEquals(0.5 * 0.01, perEpoch.learningRate(999), EXACT);
        assertEquals(0.5 * (0.01 + 0.99 / 5), perEpoch.learningRate(1000), EXACT);
        assertEquals(0.5, perEpoch.learningRate(5000), EXACT);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(-1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(0.1).learningRate(-1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.exponentialDecay(0.1, 0.9, 0, true));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0.1, 10, 0.1, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0.1, 1, 1.5, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(0.1).heldPerEpoch(0));
    }
}
