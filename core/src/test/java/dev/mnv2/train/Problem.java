package dev.mnv2.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A separable quadratic loss Σ a·(w − b)²/2 over parameters of every kind, one of them frozen, so optimizers can
 * be run against their float64 references. Gradients are a·(w − b), computed from the current values.
 */
final class Problem {
    final List<Parameter> parameters = new ArrayList<>();
    final List<double[]> curvature = new ArrayList<>();
    final List<double[]> target = new ArrayList<>();

    Problem(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        add(random, "features.0.0.weight", ParameterKind.CONV_WEIGHT, 2, 2, 3);
        add(random, "features.1.conv.0.0.weight", ParameterKind.DEPTHWISE_WEIGHT, 3, 3);
        add(random, "features.0.1.weight", ParameterKind.NORM_WEIGHT, 4);
        add(random, "features.0.1.bias", ParameterKind.NORM_BIAS, 4);
        add(random, "features.0.1.running_mean", ParameterKind.NORM_STATISTIC, 4);
        add(random, "classifier.1.weight", ParameterKind.DENSE_WEIGHT, 3, 2);
        add(random, "classifier.1.bias", ParameterKind.BIAS, 3);
        add(random, "features.2.conv.0.0.weight", ParameterKind.CONV_WEIGHT, 5).setFrozen(true);
    }

    private Parameter add(SplittableRandom random, String name, ParameterKind kind, int... shape) {
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] value = new float[size];
        double[] a = new double[size];
        double[] b = new double[size];
        for (int i = 0; i < size; i++) {
            value[i] = (float) (2 * random.nextDouble() - 1);
            a[i] = 0.5 + 1.5 * random.nextDouble();
            b[i] = 2 * random.nextDouble() - 1;
        }
        Parameter p = new Parameter(name, kind, shape, value);
        parameters.add(p);
        curvature.add(a);
        target.add(b);
        return p;
    }

    /** Writes every parameter's gradient at its current value. */
    void computeGradients() {
        for (int p = 0; p < parameters.size(); p++) {
            float[] w = parameters.get(p).value();
            float[] g = parameters.get(p).grad();
            for (int i = 0; i < w.length; i++) {
                g[i] = (float) gradient(p, i, w[i]);
            }
        }
    }

    double gradient(int parameter, int index, double w) {
        return curvature.get(parameter)[index] * (w - target.get(parameter)[index]);
    }

    /** The initial values in float64. */
    List<double[]> initialValues() {
        List<double[]> values = new ArrayList<>();
        for (Parameter p : parameters) {
            double[] w = new double[p.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = p.value()[i];
            }
            values.add(w);
        }
        return values;
    }

    /** A schedule that changes every step, so that where the learning rate enters the update matters. */
    static double learningRate(int step, double base) {
        return base * Math.pow(0.8, step);
    }
}
