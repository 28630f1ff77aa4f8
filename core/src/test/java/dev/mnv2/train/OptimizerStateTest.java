package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Exported optimizer state is complete (a resumed run is bit-identical), stably named and checked on import. */
class OptimizerStateTest {
    private static final List<Supplier<Optimizer>> OPTIMIZERS = List.of(
            () -> Sgd.builder().momentum(0.9).nesterov(true).weightDecay(WeightDecay.allParameters(0.01)).build(),
            () -> RmsProp.builder().momentum(0.9).epsilon(1.0).centered(true).weightDecay(WeightDecay.tfSlim(0.01)).build(),
            () -> AdamW.builder().build());

    private static void run(Problem problem, Optimizer optimizer, int fromStep, int steps) {
        for (int t = fromStep; t < fromStep + steps; t++) {
            problem.computeGradients();
            optimizer.step(problem.parameters, Problem.learningRate(t, 0.05));
        }
    }

    private static List<float[]> values(Problem problem) {
        List<float[]> out = new ArrayList<>();
        problem.parameters.forEach(p -> out.add(p.value().clone()));
        return out;
    }

    private static boolean sameValues(List<float[]> a, List<float[]> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void resumingFromExportedStateIsBitIdenticalToRunningOn() {
        for (Supplier<Optimizer> factory : OPTIMIZERS) {
            Problem uninterrupted = new Problem(5);
            Optimizer first = factory.get();
            run(uninterrupted, first, 0, 4);
            Map<String, float[]> saved = first.state();
            List<float[]> savedValues = values(uninterrupted);
            run(uninterrupted, first, 4, 4);

            Problem resumed = new Problem(5);
            for (int p = 0; p < savedValues.size(); p++) {
                System.arraycopy(savedValues.get(p), 0, resumed.parameters.get(p).value(), 0, savedValues.get(p).length);
            }
            Optimizer second = factory.get();
            second.loadState(resumed.parameters, saved);
            run(resumed, second, 4, 4);
            assertTrue(sameValues(values(uninterrupted), values(resumed)), first + ": resumed run differs");

            Problem fresh = new Problem(5);
            for (int p = 0; p < savedValues.size(); p++) {
                System.arraycopy(savedValues.get(p), 0, fresh.parameters.get(p).value(), 0, savedValues.get(p).length);
            }
            run(fresh, factory.get(), 4, 4);
            assertFalse(sameValues(values(uninterrupted), values(fresh)),
                    first + ": a run without the state must differ, or this test shows nothing");
        }
    }

    @Test
    void stateIsNamedByParameterAndSlotInParameterOrder() {
        Problem problem = new Problem(3);
        Optimizer adam = AdamW.create();
        run(problem, adam, 0, 2);
        List<String> expected = new ArrayList<>();
        for (Parameter p : problem.parameters) {
            if (p.updatable()) {
                expected.add(p.name() + ".exp_avg");
                expected.add(p.name() + ".exp_avg_sq");
                expected.add(p.name() + ".step");
            }
        }
        assertEquals(expected, new ArrayList<>(adam.state().keySet()));
        assertArrayEquals(new float[] {2f}, adam.state().get("classifier.1.bias.step"));

        Optimizer rms = RmsProp.builder().build();
        run(problem, rms, 0, 1);
        assertEquals(List.of("features.0.0.weight.rms", "features.0.0.weight.momentum"),
                new ArrayList<>(rms.state().keySet()).subList(0, 2));
        Optimizer sgd = Sgd.create();
        run(problem, sgd, 0, 1);
        assertTrue(sgd.state().isEmpty(), "SGD without momentum keeps no state, as PyTorch");
    }

    @Test
    void exportIsACopyAndImportOrderDoesNotDependOnTheMapsOrder() {
        Problem problem = new Problem(3);
        Optimizer sgd = Sgd.builder().momentum(0.9).build();
        run(problem, sgd, 0, 2);
        Map<String, float[]> state = sgd.state();
        state.get("features.0.0.weight.momentum_buffer")[0] = 1234f;
        assertFalse(sgd.state().get("features.0.0.weight.momentum_buffer")[0] == 1234f);

        Map<String, float[]> shuffled = new HashMap<>(sgd.state());
        Optimizer loaded = Sgd.builder().momentum(0.9).build();
        loaded.loadState(problem.parameters, shuffled);
        assertEquals(new ArrayList<>(sgd.state().keySet()), new ArrayList<>(loaded.state().keySet()));
    }

    @Test
    void importRejectsEntriesThatDoNotFit() {
        Problem problem = new Problem(3);
        Optimizer rms = RmsProp.builder().build();
        run(problem, rms, 0, 1);
        Map<String, float[]> good = rms.state();

        assertImportFails(rms, problem, with(good, "classifier.9.weight.rms", new float[3]), "classifier.9.weight.rms");
        assertImportFails(rms, problem, with(good, "classifier.1.bias.momentum_buffer", new float[3]),
                "classifier.1.bias.momentum_buffer");
        assertImportFails(rms, problem, with(good, "classifier.1.bias.rms", new float[2]), "has 2 values, expected 3");
        assertImportFails(rms, problem, with(good, "classifier.1.bias.rms", new float[] {1, -1, 1}), "-1.0");
        assertImportFails(rms, problem, with(good, "classifier.1.bias.momentum", new float[] {0, Float.NaN, 0}), "NaN");
        Map<String, float[]> partial = new LinkedHashMap<>(good);
        partial.remove("classifier.1.bias.momentum");
        assertImportFails(rms, problem, partial, "but not classifier.1.bias.momentum");

        Map<String, float[]> before = rms.state();
        assertThrows(IllegalArgumentException.class, () -> rms.loadState(problem.parameters, partial));
        assertEquals(before.keySet(), rms.state().keySet(), "a refused import leaves the state as it was");
    }

    private static Map<String, float[]> with(Map<String, float[]> state, String key, float[] values) {
        Map<String, float[]> copy = new LinkedHashMap<>(state);
        copy.put(key, values);
        return copy;
    }

    private static void assertImportFails(Optimizer optimizer, Problem problem, Map<String, float[]> state, String needle) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> optimizer.loadState(problem.parameters, state));
        assertTrue(e.getMessage().contains(needle), e.getMessage());
    }
}
