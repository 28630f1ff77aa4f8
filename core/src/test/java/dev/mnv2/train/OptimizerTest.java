package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;

/** Each optimizer against a float64 transcription of its reference formula over several steps. */
class OptimizerTest {
    private static final int STEPS = 12;
    /** float32 against float64 over {@value #STEPS} steps; the measured deviation is printed by each test. */
    private static final double TOLERANCE = 2e-6;

    interface ReferenceStep {
        void step(double[] w, double[] g, double lr);
    }

    /**
     * Runs the optimizer and one reference per parameter (built for that parameter's decay rate) and returns
     * the largest deviation relative to max(1, |w|). Frozen parameters and statistics must not move at all.
     */
    private static double deviation(Optimizer optimizer, WeightDecay decay, DoubleFunction<ReferenceStep> reference,
            double baseRate) {
        Problem problem = new Problem(42);
        List<double[]> expected = problem.initialValues();
        List<float[]> before = new ArrayList<>();
        problem.parameters.forEach(p -> before.add(p.value().clone()));
        List<ReferenceStep> references = new ArrayList<>();
        problem.parameters.forEach(p -> references.add(reference.apply(decay.rateFor(p))));
        for (int t = 0; t < STEPS; t++) {
            double lr = Problem.learningRate(t, baseRate);
            problem.computeGradients();
            optimizer.step(problem.parameters, lr);
            for (int p = 0; p < expected.size(); p++) {
                if (!problem.parameters.get(p).updatable()) {
                    continue;
                }
                double[] w = expected.get(p);
                double[] g = new double[w.length];
                for (int i = 0; i < w.length; i++) {
                    g[i] = problem.gradient(p, i, w[i]);
                }
                references.get(p).step(w, g, lr);
            }
        }
        double worst = 0;
        for (int p = 0; p < expected.size(); p++) {
            Parameter parameter = problem.parameters.get(p);
            if (!parameter.updatable()) {
                assertArrayEquals(before.get(p), parameter.value(), parameter.name() + " must not move");
                continue;
            }
            for (int i = 0; i < parameter.size(); i++) {
                double want = expected.get(p)[i];
                worst = Math.max(worst, Math.abs(parameter.value()[i] - want) / Math.max(1, Math.abs(want)));
            }
        }
        return worst;
    }

    private static void assertAgrees(String what, double deviation, double wrongVariantDeviation) {
        System.out.printf("%s: max relative deviation from float64 reference %.2e (wrong variant: %.2e)%n", what,
                deviation, wrongVariantDeviation);
        assertTrue(deviation <= TOLERANCE, what + " deviates by " + deviation);
        assertTrue(wrongVariantDeviation > 100 * TOLERANCE,
                what + ": the check cannot tell the wrong variant apart (" + wrongVariantDeviation + ")");
    }

    @Test
    void sgdWithMomentumMatchesPyTorchsAlgorithm() {
        WeightDecay decay = WeightDecay.allParameters(0.05);
        double ok = deviation(Sgd.builder().momentum(0.9).weightDecay(decay).build(), decay,
                rate -> new TrainingReference.Sgd(0.9, 0, false, rate)::step, 0.1);
        double nesterov = deviation(Sgd.builder().momentum(0.9).weightDecay(decay).build(), decay,
                rate -> new TrainingReference.Sgd(0.9, 0, true, rate)::step, 0.1);
        assertAgrees("SGD momentum 0.9", ok, nesterov);
    }

    @Test
    void sgdNesterovMatchesPyTorchsAlgorithm() {
        WeightDecay decay = WeightDecay.tfSlim(0.05);
        double ok = deviation(Sgd.builder().momentum(0.9).nesterov(true).weightDecay(decay).build(), decay,
                rate -> new TrainingReference.Sgd(0.9, 0, true, rate)::step, 0.1);
        double everywhere = deviation(Sgd.builder().momentum(0.9).nesterov(true).weightDecay(decay).build(),
                WeightDecay.allParameters(0.05), rate -> new TrainingReference.Sgd(0.9, 0, true, rate)::step, 0.1);
        assertAgrees("SGD Nesterov 0.9, TF-slim decay", ok, everywhere);
    }

    @Test
    void sgdWithDampeningAndPlainSgdMatchTheAlgorithm() {
        WeightDecay decay = WeightDecay.excludingNormsAndBiases(0.05);
        double dampened = deviation(Sgd.builder().momentum(0.5).dampening(0.3).weightDecay(decay).build(), decay,
                rate -> new TrainingReference.Sgd(0.5, 0.3, false, rate)::step, 0.2);
        double undampened = deviation(Sgd.builder().momentum(0.5).weightDecay(decay).build(), decay,
                rate -> new TrainingReference.Sgd(0.5, 0.3, false, rate)::step, 0.2);
        assertAgrees("SGD momentum 0.5 dampening 0.3", dampened, undampened);
        double plain = deviation(Sgd.create(), WeightDecay.none(),
                rate -> new TrainingReference.Sgd(0, 0, false, rate)::step, 0.2);
        double decayed = deviation(Sgd.create(), WeightDecay.allParameters(0.5),
                rate -> new TrainingReference.Sgd(0, 0, false, rate)::step, 0.2);
        assertAgrees("plain SGD", plain, decayed);
    }

    private static double rmsPropDeviation(double momentum, double epsilon, boolean centered, WeightDecay decay,
            TrainingReference.RmsProp.Variant variant, boolean referenceCentered, double baseRate) {
        RmsProp optimizer = RmsProp.builder().decay(0.9).momentum(momentum).epsilon(epsilon).centered(centered)
                .weightDecay(decay).build();
        return deviation(optimizer, decay, rate -> new TrainingReference.RmsProp(0.9, momentum, epsilon,
                referenceCentered, rate, variant)::step, baseRate);
    }

    @Test
    void rmsPropMatchesTensorFlowWithThePapersSettings() {
        WeightDecay decay = WeightDecay.tfSlim(0.05);
        double ok = rmsPropDeviation(0.9, 1.0, false, decay, TrainingReference.RmsProp.Variant.TENSORFLOW, false, 0.045);
        for (TrainingReference.RmsProp.Variant other : TrainingReference.RmsProp.Variant.values()) {
            if (other != TrainingReference.RmsProp.Variant.TENSORFLOW) {
                assertAgrees("RMSProp paper (0.9, 0.9, eps 1) vs " + other, ok,
                        rmsPropDeviation(0.9, 1.0, false, decay, other, false, 0.045));
            }
        }
    }

    @Test
    void rmsPropMatchesTensorFlowWithSmallEpsilonAndCentered() {
        WeightDecay none = WeightDecay.none();
        TrainingReference.RmsProp.Variant tf = TrainingReference.RmsProp.Variant.TENSORFLOW;
        double centeredAsPlain = rmsPropDeviation(0.5, 1e-10, true, none, tf, false, 0.01);
        assertAgrees("RMSProp TF defaults, momentum 0.5", rmsPropDeviation(0.5, 1e-10, false, none, tf, false, 0.01),
                centeredAsPlain);
        assertAgrees("RMSProp centered", rmsPropDeviation(0.5, 1e-10, true, none, tf, true, 0.01), centeredAsPlain);
    }

    @Test
    void adamWMatchesPyTorchsAlgorithm() {
        WeightDecay decay = WeightDecay.allParameters(0.5);
        double ok = deviation(AdamW.builder().weightDecay(decay).build(), decay,
                rate -> new TrainingReference.AdamW(0.9, 0.999, 1e-8, rate, true)::step, 0.05);
        double coupled = deviation(AdamW.builder().weightDecay(decay).build(), decay,
                rate -> new TrainingReference.AdamW(0.9, 0.999, 1e-8, rate, false)::step, 0.05);
        assertAgrees("AdamW defaults, decay 0.5", ok, coupled);
        WeightDecay some = WeightDecay.excludingNormsAndBiases(0.1);
        double custom = deviation(AdamW.builder().betas(0.8, 0.99).epsilon(1e-3).weightDecay(some).build(), some,
                rate -> new TrainingReference.AdamW(0.8, 0.99, 1e-3, rate, true)::step, 0.05);
        double defaults = deviation(AdamW.builder().betas(0.8, 0.99).epsilon(1e-3).weightDecay(some).build(), some,
                rate -> new TrainingReference.AdamW(0.9, 0.999, 1e-8, rate, true)::step, 0.05);
        assertAgrees("AdamW betas (0.8, 0.99), eps 1e-3", custom, defaults);
    }

    @Test
    void firstSgdMomentumStepIsPlainSgdAsInPyTorch() {
        Parameter p = new Parameter("w", ParameterKind.CONV_WEIGHT, new int[] {2}, new float[] {1f, -2f});
        p.grad()[0] = 0.5f;
        p.grad()[1] = -1f;
        Sgd sgd = Sgd.builder().momentum(0.9).dampening(0.5).build();
        sgd.step(List.of(p), 0.1);
        assertArrayEquals(new float[] {1f - 0.1f * 0.5f, -2f + 0.1f}, p.value(), 0f);
        assertArrayEquals(new float[] {0.5f, -1f}, sgd.state().get("w.momentum_buffer"), 0f,
                "the first buffer is the gradient itself, not dampened");
    }

    @Test
    void rejectsBadSettingsAndArguments() {
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().nesterov(true).build());
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().momentum(0.9).dampening(0.1).nesterov(true).build());
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().momentum(1.0));
        assertThrows(IllegalArgumentException.class, () -> RmsProp.builder().epsilon(0));
        assertThrows(IllegalArgumentException.class, () -> AdamW.builder().betas(0.9, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new WeightDecay(-1, WeightDecay.tfSlim(1).kinds()));
        assertThrows(IllegalArgumentException.class,
                () -> new WeightDecay(0.1, EnumSet.of(ParameterKind.NORM_STATISTIC)));
        Problem problem = new Problem(1);
        Sgd sgd = Sgd.create();
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> sgd.step(problem.parameters, -0.1));
        assertTrue(negative.getMessage().contains("learning rate"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sgd.step(problem.parameters, Double.NaN));
        List<Parameter> twice = new ArrayList<>(problem.parameters);
        twice.add(problem.parameters.get(0));
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class, () -> sgd.step(twice, 0.1));
        assertTrue(duplicate.getMessage().contains("features.0.0.weight"), duplicate.getMessage());
    }

    @Test
    void aParameterWhoseSizeChangedUnderItsNameIsRefused() {
        Sgd sgd = Sgd.builder().momentum(0.9).build();
        sgd.step(List.of(new Parameter("w", ParameterKind.CONV_WEIGHT, new int[] {3}, new float[3])), 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sgd.step(List.of(new Parameter("w", ParameterKind.CONV_WEIGHT, new int[] {4}, new float[4])), 0.1));
        assertEquals("parameter w has 4 values but the optimizer's state under that name has 3", e.getMessage());
    }
}
