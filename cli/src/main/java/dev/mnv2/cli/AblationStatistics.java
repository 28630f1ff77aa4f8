package dev.mnv2.cli;

import dev.mnv2.experiment.AblationExperiment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.StatUtils;
import org.apache.commons.math3.stat.inference.TestUtils;

/**
 * The ablation's numbers per arm (final test top-1 over seeds: mean, sample deviation) and, for every other arm
 * against the paper's design (the study's first arm), Welch's t-test: the difference of means, its 95 %
 * interval with the Welch–Satterthwaite degrees of freedom, and the two-sided p-value (commons-math3). With one
 * seed per arm there is no test: the interval and p-value are NaN.
 */
final class AblationStatistics {
    /** One arm's final top-1 per seed, in the seeds' order, with mean and sample deviation. */
    record ArmSummary(String name, double[] finals, double mean, double std) {}

    /** {@code arm} against {@code reference}: mean difference (arm − reference), its 95 % interval, p-value. */
    record Comparison(String arm, String reference, double difference, double low, double high, double pValue) {
        boolean significant() {
            return pValue < 0.05;
        }
    }

    final List<ArmSummary> arms;
    final List<Comparison> comparisons;

    AblationStatistics(AblationExperiment.Study study, List<AblationExperiment.Run> runs) {
        List<ArmSummary> summaries = new ArrayList<>();
        for (AblationExperiment.Arm arm : study.arms()) {
            double[] finals = runs.stream().filter(r -> r.arm().equals(arm))
                    .mapToDouble(AblationExperiment.Run::finalTop1).toArray();
            double std = finals.length > 1 ? Math.sqrt(StatUtils.variance(finals)) : 0;
            summaries.add(new ArmSummary(arm.name(), finals, StatUtils.mean(finals), std));
        }
        arms = List.copyOf(summaries);
        List<Comparison> list = new ArrayList<>();
        ArmSummary reference = arms.get(0);
        for (ArmSummary other : arms.subList(1, arms.size())) {
            list.add(compare(other, reference));
        }
        comparisons = List.copyOf(list);
    }

    private static Comparison compare(ArmSummary arm, ArmSummary reference) {
        double difference = arm.mean() - reference.mean();
        int n = arm.finals().length;
        int m = reference.finals().length;
        if (n < 2 || m < 2) {
            return new Comparison(arm.name(), reference.name(), difference, Double.NaN, Double.NaN, Double.NaN);
        }
        double va = arm.std() * arm.std() / n;
        double vb = reference.std() * reference.std() / m;
        double se = Math.sqrt(va + vb);
        if (se == 0) {
            // Identical runs in both arms: no spread to test against.
            return new Comparison(arm.name(), reference.name(), difference, difference, difference,
                    difference == 0 ? 1 : 0);
        }
        double df = (va + vb) * (va + vb) / (va * va / (n - 1) + vb * vb / (m - 1));
        double t = new TDistribution(df).inverseCumulativeProbability(0.975);
        double p = TestUtils.tTest(arm.finals(), reference.finals());
        return new Comparison(arm.name(), reference.name(), difference, difference - t * se, difference + t * se, p);
    }

    /** Whether the arms' means fall in the paper's order (the study's order of arms, best first). */
    boolean paperOrderHolds() {
        for (int i = 1; i < arms.size(); i++) {
            if (!(arms.get(i - 1).mean() > arms.get(i).mean())) {
                return false;
            }
        }
        return true;
    }

    Map<String, Object> toJson() {
        List<Object> armRows = new ArrayList<>();
        for (ArmSummary a : arms) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", a.name());
            List<Object> finals = new ArrayList<>();
            for (double f : a.finals()) {
                finals.add(f);
            }
            row.put("finalTop1", finals);
            row.put("mean", a.mean());
            row.put("std", a.std());
            armRows.add(row);
        }
        List<Object> tests = new ArrayList<>();
        for (Comparison c : comparisons) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("arm", c.arm());
            row.put("against", c.reference());
            row.put("difference", c.difference());
            row.put("ci95", Double.isNaN(c.low()) ? null : List.of(c.low(), c.high()));
            row.put("pValue", Double.isNaN(c.pValue()) ? null : c.pValue());
            row.put("significant", Double.isNaN(c.pValue()) ? null : c.significant());
            tests.add(row);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("arms", armRows);
        json.put("welch", tests);
        json.put("paperOrderHolds", paperOrderHolds());
        return json;
    }
}
