package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.experiment.AblationExperiment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AblationStatisticsTest {
    private static List<AblationExperiment.Run> runs(AblationExperiment.Study study, double[]... finals) {
        List<AblationExperiment.Run> runs = new ArrayList<>();
        for (int a = 0; a < finals.length; a++) {
            for (int s = 0; s < finals[a].length; s++) {
                runs.add(new AblationExperiment.Run(study.arms().get(a), s,
                        List.of(new AblationExperiment.Point(10, finals[a][s])), 1));
            }
        }
        return runs;
    }

    @Test
    void welchMatchesTheTextbookNumbers() {
        // Means 0.81 and 0.71, both sample variances 1e-4, n = 3: t = 0.1 / √(2e-4 / 3) = 12.247, df = 4,
        // two-sided p = 2.56e-4; the 95 % interval 0.1 ± 2.776 · 0.008165.
        AblationStatistics s = new AblationStatistics(AblationExperiment.Study.BOTTLENECK,
                runs(AblationExperiment.Study.BOTTLENECK, new double[] {0.80, 0.82, 0.81}, new double[] {0.70, 0.72, 0.71}));
        AblationStatistics.Comparison c = s.comparisons.get(0);
        assertEquals("relu6", c.arm());
        assertEquals(-0.10, c.difference(), 1e-12);
        assertEquals(2.56e-4, c.pValue(), 0.02e-4);
        assertEquals(-0.10 - 2.7764 * 0.0081650, c.low(), 1e-4);
        assertEquals(-0.10 + 2.7764 * 0.0081650, c.high(), 1e-4);
        assertTrue(c.significant());
        assertTrue(s.paperOrderHolds());
        assertEquals(0.01, s.arms.get(0).std(), 1e-12);
    }

    @Test
    void overlappingArmsAreNotCalledDifferentAndTheOrderIsJudgedOnMeans() {
        AblationStatistics s = new AblationStatistics(AblationExperiment.Study.SHORTCUT,
                runs(AblationExperiment.Study.SHORTCUT, new double[] {0.80, 0.84}, new double[] {0.81, 0.85},
                        new double[] {0.70, 0.71}));
        assertFalse(s.comparisons.get(0).significant(), "0.82 vs 0.83 over a spread of 0.03");
        assertFalse(s.paperOrderHolds(), "expansion's mean is above bottleneck's");
        AblationStatistics one = new AblationStatistics(AblationExperiment.Study.BOTTLENECK,
                runs(AblationExperiment.Study.BOTTLENECK, new double[] {0.8}, new double[] {0.7}));
        assertTrue(Double.isNaN(one.comparisons.get(0).pValue()), "one seed: no test");
    }
}
