package dev.mnv2.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which kinds each recipe decays. */
class WeightDecayTest {
    private static Map<ParameterKind, Double> rates(WeightDecay decay) {
        Map<ParameterKind, Double> out = new EnumMap<>(ParameterKind.class);
        for (ParameterKind kind : ParameterKind.values()) {
            out.put(kind, decay.rateFor(new Parameter("p", kind, new int[] {1}, new float[1])));
        }
        return out;
    }

    @Test
    void tfSlimDecaysRegularConvolutionsAndTheClassifierOnly() {
        assertEquals(Map.of(ParameterKind.CONV_WEIGHT, 4e-5, ParameterKind.DEPTHWISE_WEIGHT, 0.0,
                ParameterKind.DENSE_WEIGHT, 4e-5, ParameterKind.BIAS, 0.0, ParameterKind.NORM_WEIGHT, 0.0,
                ParameterKind.NORM_BIAS, 0.0, ParameterKind.NORM_STATISTIC, 0.0), rates(WeightDecay.tfSlim(4e-5)));
    }

    @Test
    void torchvisionsDefaultDecaysEveryTrainedParameter() {
        assertEquals(Map.of(ParameterKind.CONV_WEIGHT, 4e-5, ParameterKind.DEPTHWISE_WEIGHT, 4e-5,
                ParameterKind.DENSE_WEIGHT, 4e-5, ParameterKind.BIAS, 4e-5, ParameterKind.NORM_WEIGHT, 4e-5,
                ParameterKind.NORM_BIAS, 4e-5, ParameterKind.NORM_STATISTIC, 0.0), rates(WeightDecay.allParameters(4e-5)));
    }

    @Test
    void excludingNormsAndBiasesDecaysAllWeightsDepthwiseIncluded() {
        assertEquals(Map.of(ParameterKind.CONV_WEIGHT, 1e-4, ParameterKind.DEPTHWISE_WEIGHT, 1e-4,
                ParameterKind.DENSE_WEIGHT, 1e-4, ParameterKind.BIAS, 0.0, ParameterKind.NORM_WEIGHT, 0.0,
                ParameterKind.NORM_BIAS, 0.0, ParameterKind.NORM_STATISTIC, 0.0),
                rates(WeightDecay.excludingNormsAndBiases(1e-4)));
        assertEquals(0.0, rates(WeightDecay.none()).values().stream().mapToDouble(Double::doubleValue).sum());
    }
}
