package dev.mnv2.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ManifoldExperimentTest {
    @Test
    void thePseudoInverseIsALeftInverseAndAgreesWithTheNormalEquationsByHand() {
        SplittableRandom random = new SplittableRandom(1);
        for (int n : List.of(2, 3, 7, 30)) {
            double[][] t = ManifoldExperiment.gaussian(n, random);
            double[][] inverse = ManifoldExperiment.pseudoInverse(t);
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    double sum = 0;
                    for (int r = 0; r < n; r++) {
                        sum += inverse[i][r] * t[r][j];
                    }
                    assertEquals(i == j ? 1 : 0, sum, 1e-12, "T+ T at " + i + "," + j + " for n = " + n);
                }
            }
        }
        // [[1, 0], [0, 2], [0, 0]]: T+ = [[1, 0, 0], [0, 1/2, 0]]
        double[][] inverse = ManifoldExperiment.pseudoInverse(new double[][] {{1, 0}, {0, 2}, {0, 0}});
        assertArrayEquals(new double[] {1, 0, 0}, inverse[0], 1e-15);
        assertArrayEquals(new double[] {0, 0.5, 0}, inverse[1], 1e-15);
        assertThrows(IllegalArgumentException.class,
                () -> ManifoldExperiment.pseudoInverse(new double[][] {{1, 2}, {2, 4}, {-1, -2}}));
    }

    @Test
    void pointsThatReluLeavesAloneComeBackExactly() {
        // Positive rows and points in the first quadrant: ReLU is the identity, so T+ ReLU(T x) = x.
        double[][] t = {{1, 0.5}, {0.2, 1}, {0.7, 0.3}};
        double[][] x = {{0.1, 0.9}, {0.5, 0.5}, {1, 0}};
        double[][] recovered = ManifoldExperiment.recover(t, x);
        for (int i = 0; i < x.length; i++) {
            assertArrayEquals(x[i], recovered[i], 1e-12);
        }
        assertEquals(0, ManifoldExperiment.scaledError(x, recovered), 1e-12);
        // A recovery at half the size is no loss for the scaled error, half the norm for the unscaled one.
        double[][] half = {{0.05, 0.45}, {0.25, 0.25}, {0.5, 0}};
        assertEquals(0, ManifoldExperiment.scaledError(x, half), 1e-12);
        assertEquals(0.5, ManifoldExperiment.unscaledError(x, half), 1e-12);
    }

    @Test
    void fewDimensionsLoseTheSpiralAndManyKeepIt() {
        ManifoldExperiment.Result r = ManifoldExperiment.builder().seeds(10).build().run();
        assertEquals(ManifoldExperiment.PAPER_DIMENSIONS, r.dimensions().stream().map(ManifoldExperiment.Dimension::n)
                .toList());
        // n = 2 and 3 above n = 15 and 30 by more than three standard errors of the difference of means
        for (ManifoldExperiment.Dimension few : r.dimensions().subList(0, 2)) {
            for (ManifoldExperiment.Dimension many : r.dimensions().subList(3, 5)) {
                double se = Math.sqrt((few.std() * few.std() + many.std() * many.std()) / 10);
                assertTrue(few.error() - many.error() > 3 * se, "n = " + few.n() + " against n = " + many.n() + ": "
                        + few.error() + " - " + many.error() + " within 3 x " + se);
            }
        }
        for (int i = 1; i < r.dimensions().size(); i++) {
            assertTrue(r.dimensions().get(i).error() < r.dimensions().get(i - 1).error(), "errors fall with n: "
                    + r.dimensions());
        }
        assertEquals(1000, r.spiral().length);
        assertEquals(5, r.firstSeedRecoveries().size());
    }

    @Test
    void theSameSeedGivesTheSameNumbersAndAddingADimensionKeepsTheOthers() {
        ManifoldExperiment.Result a = ManifoldExperiment.builder().dimensions(List.of(3, 15)).seeds(3).build().run();
        ManifoldExperiment.Result b = ManifoldExperiment.builder().dimensions(List.of(2, 3, 15)).seeds(3).build()
                .run();
        assertArrayEquals(a.dimensions().get(0).errors(), b.dimensions().get(1).errors());
        assertArrayEquals(a.dimensions().get(1).errors(), b.dimensions().get(2).errors());
        assertThrows(IllegalArgumentException.class, () -> ManifoldExperiment.builder().dimensions(List.of(1)));
        assertThrows(IllegalArgumentException.class, () -> ManifoldExperiment.builder().seeds(0));
    }
}
