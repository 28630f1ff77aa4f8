package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Global-norm clipping as clip_grad_norm_: one norm over all trainable gradients, scaled by max/(norm + 1e-6). */
class GradientClippingTest {
    private static Parameter parameter(String name, ParameterKind kind, float... grad) {
        return new Parameter(name, kind, new int[] {grad.length}, new float[grad.length], grad.clone());
    }

    @Test
    void normSpansAllTrainableParametersAndClipsThemTogether() {
        Parameter a = parameter("a", ParameterKind.CONV_WEIGHT, 3f, 0f);
        Parameter b = parameter("b", ParameterKind.NORM_WEIGHT, 0f, 4f);
        Parameter frozen = parameter("c", ParameterKind.CONV_WEIGHT, 100f);
        frozen.setFrozen(true);
        Parameter statistic = parameter("d", ParameterKind.NORM_STATISTIC, 100f);
        List<Parameter> all = List.of(a, b, frozen, statistic);
        assertEquals(5.0, GradientClipping.globalNorm(all), 0);
        assertEquals(5.0, GradientClipping.clipByGlobalNorm(all, 1.0), 0);
        float scale = (float) (1.0 / (5.0 + 1e-6));
        assertArrayEquals(new float[] {3f * scale, 0f}, a.grad());
        assertArrayEquals(new float[] {0f, 4f * scale}, b.grad());
        assertArrayEquals(new float[] {100f}, frozen.grad());
        assertArrayEquals(new float[] {100f}, statistic.grad());
        assertEquals(1.0, GradientClipping.globalNorm(all), 1e-6);
    }

    @Test
    void gradientsBelowTheLimitAreLeftExactlyAsTheyAre() {
        Parameter a = parameter("a", ParameterKind.CONV_WEIGHT, 0.3f, -0.4f, 0.1f);
        assertEquals(Math.sqrt(0.26), GradientClipping.clipByGlobalNorm(List.of(a), 10.0), 1e-7);
        assertArrayEquals(new float[] {0.3f, -0.4f, 0.1f}, a.grad(), 0f);
    }

    @Test
    void nonFiniteNormIsReportedAsPyTorchDoes() {
        Parameter a = parameter("a", ParameterKind.CONV_WEIGHT, Float.NaN, 1f);
        assertTrue(Double.isNaN(GradientClipping.clipByGlobalNorm(List.of(a), 1.0)));
        assertTrue(Float.isNaN(a.grad()[1]), "a NaN norm makes every gradient NaN, as clip_grad_norm_ does");
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(List.of(a), 0));
    }
}
