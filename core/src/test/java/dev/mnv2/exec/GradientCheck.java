package dev.mnv2.exec;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;

/**
 * Finite differences and the error measure of the gradient checks, and the table of the worst error per
 * operator they print.
 *
 * <p>Relative error of a gradient: the largest {@code |actual − expected| / max(|expected|, 1e-3 · max|expected|)}
 * over its elements, so elements near zero are measured against the gradient's scale rather than against
 * themselves.
 */
final class GradientCheck {
    private GradientCheck() {}

    /**
     * Central-difference step: the inputs are O(1); float64 rounding of the loss then costs ~1e-10 of the
     * gradient and the truncation of the smooth (batch-norm) cases ~1e-10 too.
     */
    static final double STEP = 1e-5;
    /** The bound on every gradient against finite differences. */
    static final double FINITE_DIFFERENCE_BOUND = 1e-3;
    /**
     * The float64 references are exact up to the differences' own error: the loss's rounding (~1e-14 of
     * sums of thousands of terms) over the step, a few 1e-9 absolute, measured against 1e-3 of the gradient's scale.
     */
    static final double REFERENCE_BOUND = 1e-5;
    /**
     * Fast float32 kernels against the float64 reference: float32 rounding, 1e-7 of the gradient's scale on
     * the elements near zero that the measure compares against 1e-3 of that scale.
     */
    static final double KERNEL_BOUND = 1e-4;

    /** Worst relative errors per operator: fast vs finite differences, reference vs them, fast vs reference. */
    private static final Map<String, double[]> WORST = new TreeMap<>();

    static float[] uniform(long n, double scale, SplittableRandom random) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (scale * (2 * random.nextDouble() - 1));
        }
        return v;
    }

    /** {@code ∂loss/∂values[i]} for every i by central differences, perturbing {@code values} in place. */
    static double[] numericGradient(double[] values, DoubleSupplier loss) {
        double[] gradient = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            double saved = values[i];
            values[i] = saved + STEP;
            double up = loss.getAsDouble();
            values[i] = saved - STEP;
            double down = loss.getAsDouble();
            values[i] = saved;
            gradient[i] = (up - down) / (2 * STEP);
        }
        return gradient;
    }

    static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /** Forward outputs against the float64 reference: within this share of their largest magnitude. */
    static final double FORWARD_BOUND = 1e-5;

    /**
     * Whether a fast forward's output is within {@link #FORWARD_BOUND} of the reference's scale everywhere
     * (an output near zero carries the rounding of the large terms that cancelled in it, e.g. a batch norm of a
     * channel whose mean is large against its deviation, so its own magnitude is no measure).
     */
    static boolean forwardMatches(float[] actual, double[] expected) {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        return actual.length == expected.length && worst <= FORWARD_BOUND * scale;
    }

    static double relativeError(float[] actual, double[] expected) {
        double[] wide = new double[actual.length];
        for (int i = 0; i < actual.length; i++) {
            wide[i] = actual[i];
        }
        return relativeError(wide, expected);
    }

    static double relativeError(double[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("lengths differ: " + actual.length + " vs " + expected.length);
        }
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertTrue(scale > 0, "an all-zero gradient checks nothing");
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double error = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-3 * scale);
            worst = Math.max(worst, Double.isNaN(error) ? Double.POSITIVE_INFINITY : error);
        }
        return worst;
    }

    /**
     * Checks one gradient of one case against the bounds and prints it: {@code fast} (float32 kernels),
     * {@code reference} (float64 naive backward) and {@code numeric} (finite differences of the float64 forward).
     */
    static void check(String operator, String what, float[] fast, double[] reference, double[] numeric) {
        double fastVsNumeric = relativeError(fast, numeric);
        double referenceVsNumeric = relativeError(reference, numeric);
        double fastVsReference = relativeError(fast, reference);
        System.out.printf("gradient check %-52s fast vs FD %.1e  reference vs FD %.1e  fast vs reference %.1e%n",
                operator + " " + what, fastVsNumeric, referenceVsNumeric, fastVsReference);
        synchronized (WORST) {
            double[] worst = WORST.computeIfAbsent(operator, k -> new double[3]);
            worst[0] = Math.max(worst[0], fastVsNumeric);
            worst[1] = Math.max(worst[1], referenceVsNumeric);
            worst[2] = Math.max(worst[2], fastVsReference);
        }
        assertTrue(fastVsNumeric <= FINITE_DIFFERENCE_BOUND, operator + " " + what + ": fast vs finite differences "
                + fastVsNumeric);
        assertTrue(referenceVsNumeric <= REFERENCE_BOUND, operator + " " + what
                + ": float64 reference vs finite differences " + referenceVsNumeric);
        assertTrue(fastVsReference <= KERNEL_BOUND, operator + " " + what + ": fast vs float64 reference "
                + fastVsReference);
    }

    /** Prints the worst relative error of every operator checked so far. */
    static void printSummary() {
        synchronized (WORST) {
            System.out.println("worst relative error per operator (bound vs finite differences "
                    + FINITE_DIFFERENCE_BOUND + "):");
            WORST.forEach((operator, worst) -> System.out.printf(
                    "  %-28s fast vs FD %.1e  reference vs FD %.1e  fast vs reference %.1e%n",
                    operator, worst[0], worst[1], worst[2]));
        }
    }
}
