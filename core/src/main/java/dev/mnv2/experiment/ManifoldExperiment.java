package dev.mnv2.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The paper's Fig. 1: a 2-D spiral embedded into n dimensions by a random Gaussian matrix T (n × 2), passed
 * through ReLU, and projected back with T's pseudo-inverse, {@code x̂ = T⁺·ReLU(T·x)}. For small n ReLU's zeroed
 * coordinates leave too few to recover x, and whole arcs of the spiral collapse onto lines and points; for large
 * n enough coordinates survive at every point and the spiral comes back.
 *
 * <p>The error of one embedding is the relative RMS distance between the spiral and its recovery after the best
 * scalar scale, {@code min_s √(Σ‖s·x̂ − x‖² / Σ‖x‖²)}: ReLU keeps about half of the coordinates of every point,
 * so even a lossless recovery comes back at about half its size (for large n, {@code T⁺·D·T → ½·I}, D the mask of
 * the kept rows); a scale is no information lost. The unscaled error is reported beside it.
 *
 * <p>T has full column rank (almost surely, for Gaussian entries), so its pseudo-inverse is the least-squares
 * solution {@code T⁺ = (TᵀT)⁻¹·Tᵀ} with a 2 × 2 inverse: no linear-algebra library is needed for two columns.
 */
public final class ManifoldExperiment {
    /** The dimensions of the paper's figure. */
    public static final List<Integer> PAPER_DIMENSIONS = List.of(2, 3, 5, 15, 30);

    private final List<Integer> dimensions;
    private final int seeds;
    private final int points;
    private final long seed;

    private ManifoldExperiment(Builder b) {
        this.dimensions = List.copyOf(b.dimensions);
        this.seeds = b.seeds;
        this.points = b.points;
        this.seed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The error at one dimension over the seeds: mean and sample deviation, and each seed's. */
    public record Dimension(int n, double error, double std, double unscaledError, double[] errors) {}

    /**
     * The experiment's outcome: the spiral (points × 2), one {@link Dimension} per n, and the first seed's
     * recovered spiral per n at its best scale (as the error measures it; for the figure), in the order of the
     * dimensions.
     */
    public record Result(double[][] spiral, List<Dimension> dimensions, List<double[][]> firstSeedRecoveries) {}

    public Result run() {
        double[][] spiral = spiral(points);
        List<Dimension> results = new ArrayList<>();
        List<double[][]> examples = new ArrayList<>();
        for (int n : dimensions) {
            double[] errors = new double[seeds];
            double unscaled = 0;
            for (int s = 0; s < seeds; s++) {
                // One stream per (seed, n): adding a dimension leaves the others' matrices as they were.
                SplittableRandom random = new SplittableRandom(seed * 1_000_003L + s * 1009L + n);
                double[][] t = gaussian(n, random);
                double[][] recovered = recover(t, spiral);
                errors[s] = scaledError(spiral, recovered);
                unscaled += unscaledError(spiral, recovered) / seeds;
                if (s == 0) {
                    examples.add(scaled(recovered, bestScale(spiral, recovered)));
                }
            }
            results.add(new Dimension(n, mean(errors), std(errors), unscaled, errors));
        }
        return new Result(spiral, List.copyOf(results), List.copyOf(examples));
    }

    /** {@code count} points along two turns of a spiral from the origin to radius 1. */
    public static double[][] spiral(int count) {
        double[][] x = new double[count][2];
        for (int i = 0; i < count; i++) {
            double t = 4 * Math.PI * i / (count - 1);
            double r = t / (4 * Math.PI);
            x[i][0] = r * Math.cos(t);
            x[i][1] = r * Math.sin(t);
        }
        return x;
    }

    /** {@code x̂ = T⁺·ReLU(T·x)} for every point. */
    static double[][] recover(double[][] t, double[][] x) {
        double[][] inverse = pseudoInverse(t);
        int n = t.length;
        double[][] out = new double[x.length][2];
        double[] y = new double[n];
        for (int i = 0; i < x.length; i++) {
            for (int r = 0; r < n; r++) {
                y[r] = Math.max(0, t[r][0] * x[i][0] + t[r][1] * x[i][1]);
            }
            for (int c = 0; c < 2; c++) {
                double sum = 0;
                for (int r = 0; r < n; r++) {
                    sum += inverse[c][r] * y[r];
                }
                out[i][c] = sum;
            }
        }
        return out;
    }

    /**
     * The Moore–Penrose pseudo-inverse (2 × n) of an n × 2 matrix of full column rank, {@code (TᵀT)⁻¹·Tᵀ}.
     *
     * @throws IllegalArgumentException when the columns are (numerically) dependent
     */
    static double[][] pseudoInverse(double[][] t) {
        double a = 0;
        double b = 0;
        double d = 0;
        for (double[] row : t) {
            a += row[0] * row[0];
            b += row[0] * row[1];
            d += row[1] * row[1];
        }
        double det = a * d - b * b;
        if (!(Math.abs(det) > 1e-12 * Math.max(1, a * d))) {
            throw new IllegalArgumentException("the matrix's two columns are dependent: no pseudo-inverse of rank 2");
        }
        double[][] inverse = new double[2][t.length];
        for (int r = 0; r < t.length; r++) {
            inverse[0][r] = (d * t[r][0] - b * t[r][1]) / det;
            inverse[1][r] = (-b * t[r][0] + a * t[r][1]) / det;
        }
        return inverse;
    }

    static double[][] gaussian(int n, SplittableRandom random) {
        double[][] t = new double[n][2];
        for (double[] row : t) {
            row[0] = normal(random);
            row[1] = normal(random);
        }
        return t;
    }

    /** The least-squares scale of {@code recovered} onto {@code x}, {@code Σ x·x̂ / Σ x̂·x̂} (0 for a null recovery). */
    static double bestScale(double[][] x, double[][] recovered) {
        double xr = 0;
        double rr = 0;
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < 2; c++) {
                xr += x[i][c] * recovered[i][c];
                rr += recovered[i][c] * recovered[i][c];
            }
        }
        return rr > 0 ? xr / rr : 0;
    }

    /** Relative RMS error after the {@link #bestScale}. */
    static double scaledError(double[][] x, double[][] recovered) {
        return unscaledError(x, scaled(recovered, bestScale(x, recovered)));
    }

    private static double[][] scaled(double[][] points, double scale) {
        double[][] out = new double[points.length][];
        for (int i = 0; i < points.length; i++) {
            out[i] = new double[] {scale * points[i][0], scale * points[i][1]};
        }
        return out;
    }

    static double unscaledError(double[][] x, double[][] recovered) {
        double xx = 0;
        double diff = 0;
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < 2; c++) {
                xx += x[i][c] * x[i][c];
                double e = recovered[i][c] - x[i][c];
                diff += e * e;
            }
        }
        return Math.sqrt(diff / xx);
    }

    private static double normal(SplittableRandom random) {
        // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1]
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    private static double std(double[] values) {
        if (values.length < 2) {
            return 0;
        }
        double m = mean(values);
        double sum = 0;
        for (double v : values) {
            sum += (v - m) * (v - m);
        }
        return Math.sqrt(sum / (values.length - 1));
    }

    /** Options of the experiment; the defaults are the paper's dimensions, 10 seeds, 1,000 points, seed 0. */
    public static final class Builder {
        private List<Integer> dimensions = PAPER_DIMENSIONS;
        private int seeds = 10;
        private int points = 1000;
        private long seed;

        private Builder() {}

        /** The embedding dimensions n, each at least 2 (T must have rank 2). */
        public Builder dimensions(List<Integer> dims) {
            Objects.requireNonNull(dims, "dimensions");
            if (dims.isEmpty()) {
                throw new IllegalArgumentException("no dimensions given");
            }
            for (int n : dims) {
                if (n < 2) {
                    throw new IllegalArgumentException("each dimension must be at least 2 (T is n x 2 of rank 2), got "
                            + n);
                }
            }
            this.dimensions = List.copyOf(dims);
            return this;
        }

        /** Random matrices per dimension, at least 1. */
        public Builder seeds(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("seeds must be at least 1, got " + count);
            }
            this.seeds = count;
            return this;
        }

        /** Points along the spiral, at least 10. */
        public Builder points(int count) {
            if (count < 10) {
                throw new IllegalArgumentException("points must be at least 10, got " + count);
            }
            this.points = count;
            return this;
        }

        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        public ManifoldExperiment build() {
            return new ManifoldExperiment(this);
        }
    }
}
