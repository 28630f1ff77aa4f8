package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecipeTest {
    @Test
    void thePaperRecipeIsTfSlimsFlags() {
        Recipe paper = Recipe.paper();
        assertTrue(paper.newOptimizer() instanceof RmsProp);
        LearningRateSchedule lr = paper.schedule(100, 10);
        assertEquals(0.045, lr.learningRate(0), 1e-12);
        assertEquals(0.045, lr.learningRate(99), 1e-12, "held for the epoch");
        assertEquals(0.045 * 0.98, lr.learningRate(100), 1e-12);
        assertEquals(0.1, paper.labelSmoothing());
        assertEquals(0.9999, paper.ema());
        assertEquals(96, paper.batch());
        assertEquals(WeightDecay.tfSlim(4e-5), paper.weightDecayPolicy());
    }

    @Test
    void theCifarRecipeIsNesterovSgdWithCosine() {
        Recipe cifar = Recipe.cifar();
        assertTrue(cifar.newOptimizer() instanceof Sgd);
        LearningRateSchedule lr = cifar.schedule(10, 10);
        assertEquals(0.1, lr.learningRate(0), 1e-12);
        assertEquals(0.05, lr.learningRate(50), 1e-12);
        assertEquals(0, lr.learningRate(100), 1e-12);
        assertEquals(128, cifar.batch());
        assertEquals(WeightDecay.allParameters(5e-4), cifar.weightDecayPolicy());
    }

    @Test
    void overridesAndTheMapRoundTrip() {
        Recipe r = Recipe.named("cifar").withLearningRate(0.05).withBatch(64).withSchedule("onecycle").withEma(0.99);
        assertEquals(r, Recipe.fromMap(r.toMap()));
        assertThrows(IllegalArgumentException.class, () -> Recipe.named("imagenet"));
        assertThrows(IllegalArgumentException.class, () -> r.withSchedule("linear"));
        assertThrows(IllegalArgumentException.class, () -> r.withLearningRate(-1));
    }
}
