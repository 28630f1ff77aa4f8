package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The moving average against its float64 recurrence, the warm-up decays, swapping and loading. */
class ExponentialMovingAverageTest {

    @Test
    void warmUpDecaysAreTensorFlowsMinimum() {
        Problem problem = new Problem(2);
        ExponentialMovingAverage ema = ExponentialMovingAverage.builder(problem.parameters).numUpdatesWarmUp(true).build();
        float[] expected = {0.1f, 2f / 11, 3f / 12, 4f / 13};
        for (float decay : expected) {
            assertEquals(decay, ema.nextDecay(), 0f);
            ema.update();
        }
        assertEquals(4, ema.updates());
        assertEquals(0.9999f, ExponentialMovingAverage.builder(problem.parameters).build().nextDecay(), 0f);
        ExponentialMovingAverage late = ExponentialMovingAverage.builder(problem.parameters).numUpdatesWarmUp(true).build();
        late.load(late.averages(), 1_000_000);
        assertEquals(0.9999f, late.nextDecay(), 0f, "(1 + n) / (10 + n) passes 0.9999 near n = 90,000");
    }

    @Test
    void averagesFollowTheRecurrenceFromTheInitialValues() {
        Problem problem = new Problem(8);
        Sgd sgd = Sgd.builder().momentum(0.9).build();
        ExponentialMovingAverage ema = ExponentialMovingAverage.builder(problem.parameters).decay(0.9)
                .numUpdatesWarmUp(true).build();
        List<double[]> expected = problem.initialValues();
        for (int t = 0; t < 30; t++) {
            problem.computeGradients();
            sgd.step(problem.parameters, 0.1);
            ema.update();
            double decay = Math.min(0.9, (1.0 + t) / (10.0 + t));
            for (int p = 0; p < expected.size(); p++) {
                float[] value = problem.parameters.get(p).value();
                double[] average = expected.get(p);
                for (int i = 0; i < average.length; i++) {
                    average[i] = decay * average[i] + (1 - decay) * value[i];
                }
            }
        }
        Map<String, float[]> averages = ema.averages();
        double worst = 0;
        double fromValues = 0;
        for (int p = 0; p < expected.size(); p++) {
            float[] average = averages.get(problem.parameters.get(p).name());
            float[] value = problem.parameters.get(p).value();
            for (int i = 0; i < average.length; i++) {
                worst = Math.max(worst, Math.abs(average[i] - expected.get(p)[i]));
                fromValues = Math.max(fromValues, Math.abs(average[i] - value[i]));
            }
        }
        System.out.printf("EMA vs float64 recurrence after 30 updates: max abs deviation %.2e (average vs weights %.2e)%n",
                worst, fromValues);
        assertTrue(worst <= 1e-6, "deviation " + worst);
        assertTrue(fromValues > 1e-3, "the average must lag the weights for this test to mean anything");
    }

    @Test
    void swapPutsTheAveragesInAndTheTrainedValuesBack() {
        Problem problem = new Problem(4);
        ExponentialMovingAverage ema = ExponentialMovingAverage.builder(problem.parameters).decay(0.5).build();
        for (Parameter p : problem.parameters) {
            for (int i = 0; i < p.size(); i++) {
                p.value()[i] += 1;
            }
        }
        ema.update();
        List<float[]> trained = new ArrayList<>();
        problem.parameters.forEach(p -> trained.add(p.value().clone()));
        Map<String, float[]> averages = ema.averages();
        try (ExponentialMovingAverage.Swap swap = ema.swapIn()) {
            for (Parameter p : problem.parameters) {
                assertArrayEquals(averages.get(p.name()), p.value(), p.name());
            }
            assertThrows(IllegalStateException.class, ema::update);
            assertThrows(IllegalStateException.class, ema::swapIn);
        }
        for (int p = 0; p < trained.size(); p++) {
            assertArrayEquals(trained.get(p), problem.parameters.get(p).value());
        }
        float[] first = averages.get("features.0.0.weight");
        assertEquals(trained.get(0)[0] - 0.5f, first[0], 1e-6f, "decay 0.5 moves halfway from the old value");
        ema.update();
    }

    @Test
    void loadReplacesAveragesAndChecksThem() {
        Problem problem = new Problem(4);
        ExponentialMovingAverage ema = ExponentialMovingAverage.builder(problem.parameters).build();
        Map<String, float[]> averages = ema.averages();
        averages.get("classifier.1.bias")[1] = 7f;
        ema.load(averages, 12);
        assertEquals(7f, ema.averages().get("classifier.1.bias")[1]);
        assertEquals(12, ema.updates());

        Map<String, float[]> missing = new LinkedHashMap<>(averages);
        missing.remove("classifier.1.bias");
        assertEquals("moving averages lack classifier.1.bias",
                assertThrows(IllegalArgumentException.class, () -> ema.load(missing, 0)).getMessage());
        Map<String, float[]> extra = new LinkedHashMap<>(averages);
        extra.put("classifier.2.weight", new float[1]);
        assertEquals("moving averages have classifier.2.weight, which is no parameter",
                assertThrows(IllegalArgumentException.class, () -> ema.load(extra, 0)).getMessage());
        Map<String, float[]> wrongSize = new LinkedHashMap<>(averages);
        wrongSize.put("classifier.1.bias", new float[2]);
        assertThrows(IllegalArgumentException.class, () -> ema.load(wrongSize, 0));
        assertEquals(7f, ema.averages().get("classifier.1.bias")[1], "a refused load changes nothing");
    }
}
