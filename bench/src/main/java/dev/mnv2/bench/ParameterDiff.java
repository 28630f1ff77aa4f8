package dev.mnv2.bench;

import dev.mnv2.model.ConvSpec;
import dev.mnv2.interop.TorchLayout;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Network;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The referee's measure: for each named tensor, ‖actual − expected‖ / ‖expected‖ (Euclidean norms over the whole
 * tensor, in double), and the largest of them. Both sides must hold exactly the same names.
 *
 * @param worst the name with the largest relative difference
 */
record ParameterDiff(String worst, double largest, Map<String, Double> relative) {
    static ParameterDiff of(Map<String, double[]> expected, Map<String, double[]> actual) {
        if (!expected.keySet().equals(actual.keySet())) {
            TreeSet<String> onlyExpected = new TreeSet<>(expected.keySet());
            onlyExpected.removeAll(actual.keySet());
            TreeSet<String> onlyActual = new TreeSet<>(actual.keySet());
            onlyActual.removeAll(expected.keySet());
            throw new IllegalArgumentException("the two sides name different tensors: only in the reference "
                    + onlyExpected + ", only in the other " + onlyActual);
        }
        Map<String, Double> relative = new LinkedHashMap<>();
        String worst = null;
        double largest = -1;
        for (Map.Entry<String, double[]> e : expected.entrySet()) {
            double r = relative(e.getValue(), actual.get(e.getKey()), e.getKey());
            relative.put(e.getKey(), r);
            if (!(r <= largest)) { // NaN counts as the worst
                largest = r;
                worst = e.getKey();
            }
        }
        return new ParameterDiff(worst, largest, relative);
    }

    /** ‖a − e‖ / ‖e‖; 0 when both are zero, infinite when only e is. */
    static double relative(double[] expected, double[] actual, String name) {
        if (expected.length != actual.length) {
            throw new IllegalArgumentException(name + ": " + expected.length + " values against " + actual.length);
        }
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            difference += d * d;
            norm += expected[i] * expected[i];
        }
        if (norm == 0) {
            return difference == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(difference / norm);
    }

    /**
     * The tensors whose float64 gradient is zero but for rounding (norm at most {@code 1e-10} of the largest tensor
     * gradient's): a batch-norm offset whose output reaches the loss only through affine operations into batch norms
     * in training mode (every projection's β: a 1×1 convolution and the residual adds pass a per-channel constant
     * on, and the next batch norm subtracts it). Their exact gradient is 0, so a relative difference measures
     * rounding noise against rounding noise; the referee checks them for being that small instead.
     */
    static Set<String> structurallyZero(Map<String, double[]> float64Gradients) {
        double largest = 0;
        for (double[] g : float64Gradients.values()) {
            largest = Math.max(largest, norm(g));
        }
        Set<String> zero = new TreeSet<>();
        for (Map.Entry<String, double[]> e : float64Gradients.entrySet()) {
            if (norm(e.getValue()) <= 1e-10 * largest) {
                zero.add(e.getKey());
            }
        }
        return zero;
    }

    /** {@code map} without the entries named in {@code names}. */
    static Map<String, double[]> without(Map<String, double[]> map, Set<String> names) {
        Map<String, double[]> out = new LinkedHashMap<>(map);
        out.keySet().removeAll(names);
        return out;
    }

    /** The largest norm among the tensors of {@code map} named in {@code names} (all of them if null). */
    static double largestNorm(Map<String, double[]> map, Set<String> names) {
        double largest = 0;
        for (Map.Entry<String, double[]> e : map.entrySet()) {
            if (names == null || names.contains(e.getKey())) {
                largest = Math.max(largest, norm(e.getValue()));
            }
        }
        return largest;
    }

    static double norm(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }

    String summary() {
        return String.format(Locale.ROOT, "max %.2e (%s) over %d tensors", largest, worst, relative.size());
    }

    /** The arrays of {@code network} in mnv2's layout, by torchvision state-dict name, widened to double. */
    static Map<String, double[]> arraysOf(Network network) {
        Map<String, double[]> out = new LinkedHashMap<>();
        Map<String, double[]> statistics = new LinkedHashMap<>();
        for (Conv2d conv : network.convolutions()) {
            out.put(conv.name() + ".weight", widen(conv.weight()));
            if (conv.bias() != null) {
                out.put(conv.name() + ".bias", widen(conv.bias()));
            }
            BatchNorm bn = conv.batchNorm();
            if (bn != null) {
                String name = ConvSpec.batchNormName(conv.name());
                out.put(name + ".weight", widen(bn.gamma()));
                out.put(name + ".bias", widen(bn.beta()));
                statistics.put(name + ".running_mean", widen(bn.mean()));
                statistics.put(name + ".running_var", widen(bn.variance()));
            }
        }
        Dense dense = network.classifier();
        out.put(dense.name() + ".weight", widen(dense.weight()));
        out.put(dense.name() + ".bias", widen(dense.bias()));
        out.putAll(statistics);
        return out;
    }

    static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
