package dev.mnv2.bench;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Activation;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.train.Parameter;
import dev.mnv2.train.Sgd;
import dev.mnv2.train.SoftmaxCrossEntropy;
import dev.mnv2.train.Trainer;
import dev.mnv2.train.WeightDecay;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Checks that {@link TorchTrainer} is a trustworthy referee without mnv2's trainer, each against something it
 * does not share code with, and prints every error beside its bound; exits 1 if any bound is missed.
 *
 * <ol>
 *   <li>layout: the weights it hands back before training are the network's, bit for bit (OIHW ↔ HWIO);</li>
 *   <li>same network: its eval-mode logits (running statistics) against mnv2's {@link Predictor};</li>
 *   <li>loss: against {@link SoftmaxCrossEntropy} on its own training-mode logits, and the classifier's
 *       gradient derived by hand: pooled features ⊗ (softmax − smoothed target) / batch;</li>
 *   <li>running statistics: the stem's after one step against batch mean and unbiased variance of the stem
 *       convolution's output computed by mnv2's predictor;</li>
 *   <li>every gradient: directional derivatives along a random direction per tensor against central finite
 *       differences of its own loss, all in float64;</li>
 *   <li>repeatability: the same step twice in one process gives the same bits;</li>
 *   <li>SGD: 10 steps of its torch.optim.SGD on tensors against its gradients fed to mnv2's {@link Sgd}.</li>
 * </ol>
 * Lines marked {@code info} are measurements without a bound: the float32 floor (float32 against float64
 * gradients, and float64 gradients against those of inputs moved by one float32 ulp), which no float32 trainer
 * can beat.
 *
 * <p>Then the issue's comparison: mnv2's {@link Trainer} on the same network, weights, batch and labels (α 0.35/96
 * SAME batch 8, α 0.5/32 CIFAR batch 128, α 1.0/224 batch 16): loss, every gradient by torchvision name (the
 * structurally zero ones judged by size), running statistics after one step, and for α 0.35/96 and α 1.0/224 the
 * trained tensors after 10 SGD-momentum steps. Lines marked {@code PASS}/{@code FAIL} hold mnv2 to the issue's
 * bound against PyTorch float32 ({@code issue bound}) or to PyTorch float32's own distance from float64
 * ({@code yardstick bound}); they are reported, and summed up, but only the self-checks set the exit status. The
 * line {@code headline grad-rel-diff=Y} gives α 1.0/224's largest per-tensor gradient difference (the issue's
 * definition) to {@link TrainCompare}.
 *
 * <p>Options: {@code --threads N} (1), {@code --quick} (skips the float64 runs of α 1.0/224 batch 16 and its
 * SGD steps).
 */
public final class TrainReferee {
    static final double LABEL_SMOOTHING = 0.1;
    static final double BATCH_NORM_MOMENTUM = 0.1;
    static final long SEED = 2018;
    /** The SGD steps both trainers take from the same start (torch.optim.SGD, every trainable tensor decayed). */
    private static final int SGD_STEPS = 10;
    private static final double SGD_LEARNING_RATE = 0.005;
    private static final double SGD_MOMENTUM = 0.9;
    private static final double SGD_DECAY = 4e-5;
    /** PyTorch float32's error from float64 per tensor, as a yardstick: mnv2's may be at most this many times it. */
    private static final double FLOOR_RATIO = 2;

    private final int threads;
    private final boolean quick;
    private final List<String> failures = new ArrayList<>();
    /** The largest median and maximum of the float32-vs-float64 gradient differences over the cases. */
    private double floorMedian;
    private double floorMax;
    private int issueMet;
    private final List<String> issueMissed = new ArrayList<>();
    private int yardstickMet;
    private final List<String> yardstickMissed = new ArrayList<>();
    private double headlineDifference = Double.NaN;

    private TrainReferee(int threads, boolean quick) {
        this.threads = threads;
        this.quick = quick;
    }

    public static void main(String[] args) {
        Djl.requireOffline("train-referee");
        int threads = 1;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> {
                    System.err.println("train-referee: unknown option " + args[i] + " (options: --threads N, --quick)");
                    System.exit(2);
                }
            }
        }
        TrainReferee referee = new TrainReferee(threads, quick);
        referee.run();
        if (!referee.failures.isEmpty()) {
            System.out.println("referee self-check FAILED: " + String.join("; ", referee.failures));
            System.exit(1);
        }
        System.out.println("referee self-checks passed");
    }

    private void run() {
        TrainingCase small = TrainingCase.imagenet(0.35, 96, 8).withPadding(Padding.same());
        TrainingCase cifar = TrainingCase.cifar10(0.5, 16);
        layout(small);
        for (TrainingCase c : List.of(small, small.withPadding(Padding.symmetric(1)), cifar,
                TrainingCase.imagenet(1.0, 224, 2).withPadding(Padding.same()))) {
            sameNetwork(c);
        }
        lossAndClassifier(small);
        lossAndClassifier(cifar);
        stemStatistics(small);
        stemStatistics(cifar);
        for (TrainingCase c : List.of(new TrainingCase(0.35, 32, false, 10, 4, Padding.same()),
                new TrainingCase(0.35, 32, false, 10, 4, Padding.symmetric(1)))) {
            finiteDifferences(c);
        }
        TrainingCase headline = TrainingCase.imagenet(1.0, 224, 16);
        Map<TrainingCase, TorchSteps> torch = new LinkedHashMap<>();
        for (TrainingCase c : List.of(small, TrainingCase.cifar10(0.5, 128), headline)) {
            torch.put(c, quick && c.equals(headline) ? float32Only(c, torch.get(small).zero())
                    : float32AgainstFloat64(c));
        }
        Map<TrainingCase, TorchSgd> torchSgd = new LinkedHashMap<>();
        torchSgd.put(small, sgd(small));
        if (!quick) {
            torchSgd.put(headline, torchSgd(headline));
        }
        System.out.printf(Locale.ROOT, "note: PyTorch's own float32 gradients are %.1e (median tensor) to %.1e "
                + "(worst) from its float64 ones on these networks, above the issue's 1e-4 per tensor; see "
                + "docs/TRAINING-REFEREE.md%n", floorMedian, floorMax);
        System.out.println();
        System.out.println("mnv2's Trainer against PyTorch: PASS/FAIL against the issue's bound (issue) or, where the "
                + "issue's bound is below float32's floor, against PyTorch's own float32 error (yardstick)");
        for (Map.Entry<TrainingCase, TorchSteps> e : torch.entrySet()) {
            double largest = againstMnv2(e.getKey(), e.getValue(), torchSgd.get(e.getKey()));
            if (e.getKey().equals(headline)) {
                headlineDifference = largest;
            }
        }
        System.out.printf(Locale.ROOT, "mnv2 against the issue's bounds: %d met, %d missed%s%n", issueMet,
                issueMissed.size(), issueMissed.isEmpty() ? "" : " (" + String.join("; ", issueMissed) + ")");
        System.out.printf(Locale.ROOT, "mnv2 against PyTorch's float32 error (yardstick): %d met, %d missed%s%n",
                yardstickMet, yardstickMissed.size(),
                yardstickMissed.isEmpty() ? "" : " (" + String.join("; ", yardstickMissed) + ")");
        System.out.printf(Locale.ROOT, "headline grad-rel-diff=%.2e (%s, largest per-tensor ‖g_mnv2 − g_torch32‖ / "
                + "‖g_torch32‖, the structurally zero βs apart)%n", headlineDifference, headline.label());
    }

    /** PyTorch's training step of a case in float32 and float64 (null where not run), and its structurally zero gradients. */
    private record TorchSteps(TorchTrainer.Step float32, TorchTrainer.Step float64, Set<String> zero) {}

    /** The trained tensors before and after PyTorch's SGD steps, in float32 and float64. */
    private record TorchSgd(Map<String, double[]> before, Map<String, double[]> float32, Map<String, double[]> float64) {}

    /**
     * mnv2's {@link dev.mnv2.train.Trainer} on the same network, batch and labels: its first step's loss, gradients and
     * running statistics, then (where {@code sgd} is given) the trained tensors after {@link #SGD_STEPS} steps, each
     * against PyTorch float32 with the issue's bound and against PyTorch float64 with PyTorch float32's own error as
     * the yardstick. Returns the largest per-tensor gradient difference from PyTorch float32.
     */
    private double againstMnv2(TrainingCase c, TorchSteps torch, TorchSgd sgd) {
        Network network = c.network(SEED);
        float[] images = c.images(network, SEED + 1).data();
        int[] labels = c.labels(SEED + 2);
        String label = c.label();
        double loss;
        Map<String, double[]> gradients;
        Map<String, double[]> statistics;
        Map<String, double[]> trained = null;
        try (Trainer trainer = Mnv2Training.trainer(network, c.batch(), threads, false, SGD_LEARNING_RATE, SGD_MOMENTUM,
                SGD_DECAY)) {
            loss = trainer.step(images, labels).loss();
            gradients = Mnv2Training.gradients(trainer.parameters());
            statistics = Mnv2Training.runningStatistics(trainer.parameters());
            if (sgd != null) {
                for (int s = 1; s < SGD_STEPS; s++) {
                    trainer.step(images, labels);
                }
                trained = Mnv2Training.state(trainer.parameters());
            }
        }
        TorchTrainer.Step t32 = torch.float32();
        TorchTrainer.Step t64 = torch.float64();
        Set<String> zero = torch.zero();
        issue("loss " + label, "relative difference from torch float32",
                Math.abs(loss - t32.loss()) / Math.abs(t32.loss()), 1e-5);
        ParameterDiff g = ParameterDiff.of(ParameterDiff.without(t32.gradients(), zero),
                ParameterDiff.without(gradients, zero));
        issue("gradients " + label, "per tensor vs torch float32 " + spread(g), g.largest(), 1e-4);
        // Their exact value is 0: judged by size, with the bound the referee holds PyTorch float32 to.
        double reference = ParameterDiff.largestNorm(t64 != null ? t64.gradients() : t32.gradients(), null);
        yardstick("the " + zero.size() + " structurally zero gradients " + label, "max norm / largest gradient norm "
                + "(torch float32: " + format(ParameterDiff.largestNorm(t32.gradients(), zero) / reference) + ")",
                ParameterDiff.largestNorm(gradients, zero) / reference, 1e-5);
        ParameterDiff r = ParameterDiff.of(t32.runningStatistics(), statistics);
        issue("running statistics after one step " + label + " (issue: \"equal\"; float32 sums in another order "
                + "cannot be, so the referee's float32-vs-float64 bound)", r.summary(), r.largest(), 1e-5);
        if (t64 != null) {
            yardstick("loss vs torch float64 " + label, "relative difference (torch float32: "
                    + format(Math.abs(t32.loss() - t64.loss()) / Math.abs(t64.loss())) + ")",
                    Math.abs(loss - t64.loss()) / Math.abs(t64.loss()), 1e-5);
            floor("gradients vs torch float64 " + label, ParameterDiff.without(t64.gradients(), zero),
                    ParameterDiff.without(t32.gradients(), zero), ParameterDiff.without(gradients, zero));
            ParameterDiff r64 = ParameterDiff.of(t64.runningStatistics(), statistics);
            yardstick("running statistics vs torch float64 " + label, r64.summary(), r64.largest(), 1e-5);
        }
        if (sgd != null) {
            Set<String> stats = statistics.keySet();
            String steps = SGD_STEPS + " SGD steps (lr " + SGD_LEARNING_RATE + ", momentum " + SGD_MOMENTUM + ", decay "
                    + SGD_DECAY + ") ";
            ParameterDiff w = ParameterDiff.of(ParameterDiff.without(sgd.float32(), stats),
                    ParameterDiff.without(trained, stats));
            issue("trained tensors after " + steps + label, "per tensor vs torch float32 " + spread(w), w.largest(),
                    1e-4);
            ParameterDiff moved = ParameterDiff.of(ParameterDiff.without(sgd.before(), stats),
                    ParameterDiff.without(sgd.float32(), stats));
            info("how far torch float32's steps moved each trained tensor " + label, moved);
            info("running statistics after " + steps + "vs torch float32 " + label,
                    ParameterDiff.of(ParameterDiff.without(sgd.float32(), gradients.keySet()),
                            ParameterDiff.without(trained, gradients.keySet())));
            floor("trained tensors after " + steps + "vs torch float64 " + label,
                    ParameterDiff.without(sgd.float64(), stats), ParameterDiff.without(sgd.float32(), stats),
                    ParameterDiff.without(trained, stats));
            Set<String> weights = gradients.keySet();
            floor("running statistics after " + steps + "vs torch float64 " + label,
                    ParameterDiff.without(sgd.float64(), weights), ParameterDiff.without(sgd.float32(), weights),
                    ParameterDiff.without(trained, weights));
        }
        return g.largest();
    }

    private TorchTrainer.Builder trainer(Network network, TrainingCase c) {
        return TorchTrainer.builder(network, c.images(network, SEED + 1), c.labels(SEED + 2)).threads(threads)
                .labelSmoothing(LABEL_SMOOTHING).batchNormMomentum(BATCH_NORM_MOMENTUM);
    }

    private void layout(TrainingCase c) {
        Network network = c.network(SEED);
        try (TorchTrainer t = trainer(network, c).build()) {
            ParameterDiff d = ParameterDiff.of(ParameterDiff.arraysOf(network), t.state());
            report("layout round trip " + c.label(), "max relative difference", d.largest(), 0);
        }
    }

    private void sameNetwork(TrainingCase c) {
        Network network = c.network(SEED);
        Tensor images = c.images(network, SEED + 1);
        float[][] expected;
        try (Predictor predictor = Predictor.builder(network).threads(threads).build()) {
            expected = predictor.logits(images);
        }
        double[][] actual;
        try (TorchTrainer t = trainer(network, c).build()) {
            actual = t.evalLogits();
        }
        double largestLogit = 0;
        double largestDifference = 0;
        for (int n = 0; n < expected.length; n++) {
            for (int k = 0; k < expected[n].length; k++) {
                largestLogit = Math.max(largestLogit, Math.abs(expected[n][k]));
                largestDifference = Math.max(largestDifference, Math.abs(expected[n][k] - actual[n][k]));
            }
        }
        report("eval logits vs mnv2 Predictor " + c.label(), "max |Δ logit| / max |logit|",
                largestDifference / largestLogit, 1e-5);
    }

    private void lossAndClassifier(TrainingCase c) {
        Network network = c.network(SEED);
        int[] labels = c.labels(SEED + 2);
        int classes = network.classes();
        try (TorchTrainer t = trainer(network, c).build()) {
            Map<String, double[][]> tensors = t.trainingTensors(List.of("pool", "classifier.1"));
            TorchTrainer.Step step = t.step();
            double[][] pooled = tensors.get("pool");
            float[] logits = new float[labels.length * classes];
            for (int n = 0; n < labels.length; n++) {
                for (int k = 0; k < classes; k++) {
                    logits[n * classes + k] = (float) tensors.get("classifier.1")[n][k];
                }
            }
            float[] dLogits = new float[logits.length];
            double loss = SoftmaxCrossEntropy.builder().labelSmoothing(LABEL_SMOOTHING).build()
                    .lossAndGradient(logits, labels, classes, dLogits);
            report("loss vs SoftmaxCrossEntropy " + c.label(), "relative difference",
                    Math.abs(step.loss() - loss) / Math.abs(loss), 1e-6);
            int features = pooled[0].length;
            double[] weight = new double[features * classes];
            double[] bias = new double[classes];
            for (int n = 0; n < labels.length; n++) {
                for (int k = 0; k < classes; k++) {
                    bias[k] += dLogits[n * classes + k];
                    for (int i = 0; i < features; i++) {
                        weight[i * classes + k] += pooled[n][i] * dLogits[n * classes + k];
                    }
                }
            }
            report("classifier.1.weight gradient vs pooled ⊗ (softmax − q) / N " + c.label(), "relative difference",
                    ParameterDiff.relative(weight, step.gradients().get("classifier.1.weight"), "weight"), 1e-5);
            report("classifier.1.bias gradient vs Σ (softmax − q) / N " + c.label(), "relative difference",
                    ParameterDiff.relative(bias, step.gradients().get("classifier.1.bias"), "bias"), 1e-5);
        }
    }

    private void stemStatistics(TrainingCase c) {
        Network network = c.network(SEED);
        Tensor images = c.images(network, SEED + 1);
        Conv2d stem = network.convolutions().get(0);
        // The stem with an identity batch norm (ε 0) and no activation: its output is the raw convolution.
        Network raw = network.mapConvolutions(conv -> conv != stem ? conv
                : new Conv2d(conv.name(), conv.inChannels(), conv.outChannels(), conv.kernel(), conv.stride(),
                        conv.dilation(), conv.groups(), conv.padding(), Activation.IDENTITY, conv.weight(), conv.bias(),
                        BatchNorm.identity(conv.outChannels(), 0f)));
        Tensor output;
        try (Predictor p = Predictor.builder(raw).threads(threads).outputs(stem.name()).build()) {
            output = p.forwardAll(images).get(stem.name());
        }
        int channels = stem.outChannels();
        long count = (long) output.batch() * output.shape().height() * output.shape().width();
        double[] sum = new double[channels];
        double[] squares = new double[channels];
        for (int i = 0; i < output.data().length; i++) {
            sum[i % channels] += output.data()[i];
        }
        double[] mean = new double[channels];
        for (int ch = 0; ch < channels; ch++) {
            mean[ch] = sum[ch] / count;
        }
        for (int i = 0; i < output.data().length; i++) {
            double d = output.data()[i] - mean[i % channels];
            squares[i % channels] += d * d;
        }
        BatchNorm bn = stem.batchNorm();
        double m = BATCH_NORM_MOMENTUM;
        double[] expectedMean = new double[channels];
        double[] expectedVariance = new double[channels];
        for (int ch = 0; ch < channels; ch++) {
            expectedMean[ch] = (1 - m) * bn.mean()[ch] + m * mean[ch];
            expectedVariance[ch] = (1 - m) * bn.variance()[ch] + m * squares[ch] / (count - 1);
        }
        try (TorchTrainer t = trainer(network, c).build()) {
            Map<String, double[]> after = t.step().runningStatistics();
            report("features.0.1.running_mean after one step " + c.label(), "relative difference",
                    ParameterDiff.relative(expectedMean, after.get("features.0.1.running_mean"), "mean"), 1e-5);
            report("features.0.1.running_var after one step (unbiased) " + c.label(), "relative difference",
                    ParameterDiff.relative(expectedVariance, after.get("features.0.1.running_var"), "var"), 1e-5);
        }
    }

    private void finiteDifferences(TrainingCase c) {
        Network network = c.network(SEED);
        try (TorchTrainer t = trainer(network, c).float64(true).build()) {
            Map<String, double[]> gradients = t.step().gradients();
            Set<String> zero = ParameterDiff.structurallyZero(gradients);
            SplittableRandom random = new SplittableRandom(SEED + 3);
            double h = 1e-7;
            List<Double> errors = new ArrayList<>();
            double largestDerivative = 0;
            double largestZeroDerivative = 0;
            for (Map.Entry<String, double[]> e : gradients.entrySet()) {
                double[] g = e.getValue();
                double[] direction = new double[g.length];
                double norm = 0;
                for (int i = 0; i < g.length; i++) {
                    direction[i] = random.nextDouble() * 2 - 1;
                    norm += direction[i] * direction[i];
                }
                double analytic = 0;
                double[] plus = new double[g.length];
                double[] minus = new double[g.length];
                for (int i = 0; i < g.length; i++) {
                    direction[i] /= Math.sqrt(norm);
                    analytic += g[i] * direction[i];
                    plus[i] = h * direction[i];
                    minus[i] = -h * direction[i];
                }
                double numeric = (t.loss(Map.of(e.getKey(), plus)) - t.loss(Map.of(e.getKey(), minus))) / (2 * h);
                if (zero.contains(e.getKey())) {
                    largestZeroDerivative = Math.max(largestZeroDerivative, Math.abs(numeric));
                } else {
                    largestDerivative = Math.max(largestDerivative, Math.abs(analytic));
                    errors.add(Math.abs(numeric - analytic) / Math.abs(analytic));
                }
            }
            errors.sort(null);
            String label = "float64 gradients vs central differences (h 1e-7, one random unit direction per tensor, "
                    + errors.size() + " tensors) " + c.label();
            report(label, "median relative error", errors.get(errors.size() / 2), 1e-6);
            // A ReLU6 input within h of 0 or 6 bends the loss inside the difference: a few tensors see a kink.
            report(label, "largest relative error (p90 " + format(errors.get(errors.size() * 9 / 10)) + ")",
                    errors.get(errors.size() - 1), 1e-4);
            report("the " + zero.size() + " structurally zero gradients (" + abbreviate(zero) + ") " + c.label(),
                    "max |central difference| / max |directional derivative| of the others",
                    largestZeroDerivative / largestDerivative, 1e-6);
        }
    }

    /** PyTorch's step in float32 alone (quick mode), with the structurally zero names found on a smaller case. */
    private TorchSteps float32Only(TrainingCase c, Set<String> zero) {
        try (TorchTrainer t = trainer(c.network(SEED), c).build()) {
            System.out.println("note: quick mode: no float64 run of " + c.label() + "; its structurally zero gradients "
                    + "are taken by name from the smaller case (same block structure)");
            return new TorchSteps(t.step(), null, zero);
        }
    }

    private TorchSteps float32AgainstFloat64(TrainingCase c) {
        Network network = c.network(SEED);
        TorchTrainer.Step single;
        TorchTrainer.Step twice;
        try (TorchTrainer t = trainer(network, c).build()) {
            single = t.step();
            // The same step again in the same process must give the same bits (a use-after-free in DJL did not).
            ParameterDiff repeat = ParameterDiff.of(single.gradients(), t.step().gradients());
            report("float32 gradients of a repeated step " + c.label(), repeat.summary(), repeat.largest(), 0);
        }
        try (TorchTrainer t = trainer(network, c).float64(true).build()) {
            twice = t.step();
        }
        Set<String> zero = ParameterDiff.structurallyZero(twice.gradients());
        ParameterDiff gradients = ParameterDiff.of(ParameterDiff.without(twice.gradients(), zero),
                ParameterDiff.without(single.gradients(), zero));
        info("float32 vs float64 gradients " + c.label(), gradients);
        List<Double> values = new ArrayList<>(gradients.relative().values());
        values.sort(null);
        floorMedian = Math.max(floorMedian, values.get(values.size() / 2));
        floorMax = Math.max(floorMax, gradients.largest());
        Map<String, double[]> nudged;
        try (TorchTrainer t = TorchTrainer.builder(network, nudged(c.images(network, SEED + 1)), c.labels(SEED + 2))
                .threads(threads).labelSmoothing(LABEL_SMOOTHING).batchNormMomentum(BATCH_NORM_MOMENTUM).float64(true)
                .build()) {
            nudged = t.step().gradients();
        }
        info("float64 gradients when every input pixel moves by one float32 ulp " + c.label(),
                ParameterDiff.of(ParameterDiff.without(twice.gradients(), zero), ParameterDiff.without(nudged, zero)));
        report("float32 norm of the " + zero.size() + " structurally zero gradients (" + abbreviate(zero) + ") "
                + c.label(), "max norm / largest gradient norm", ParameterDiff.largestNorm(single.gradients(), zero)
                / ParameterDiff.largestNorm(twice.gradients(), null), 1e-5);
        report("float32 vs float64 loss " + c.label(), "relative difference",
                Math.abs(single.loss() - twice.loss()) / Math.abs(twice.loss()), 1e-5);
        ParameterDiff statistics = ParameterDiff.of(twice.runningStatistics(), single.runningStatistics());
        report("float32 vs float64 running statistics " + c.label(), statistics.summary(), statistics.largest(), 1e-5);
        return new TorchSteps(single, twice, zero);
    }

    /** {@code images} with every value moved one float32 step up or down (seeded), to show the gradients' conditioning. */
    private static Tensor nudged(Tensor images) {
        SplittableRandom random = new SplittableRandom(SEED + 4);
        float[] data = images.data().clone();
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextBoolean() ? Math.nextUp(data[i]) : Math.nextDown(data[i]);
        }
        return new Tensor(images.batch(), images.shape(), data);
    }

    /** A measurement printed for what it shows, not held to a bound. */
    private static void info(String what, ParameterDiff d) {
        List<Double> values = new ArrayList<>(d.relative().values());
        values.sort(null);
        long above = values.stream().filter(v -> v > 1e-4).count();
        System.out.printf(Locale.ROOT, "info %s: relative difference per tensor median %.2e, p90 %.2e, max %.2e (%s), "
                        + "%d of %d above 1e-4%n", what, values.get(values.size() / 2),
                values.get(values.size() * 9 / 10), d.largest(), d.worst(), above, values.size());
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.2e", value);
    }

    private static String abbreviate(Set<String> names) {
        List<String> list = List.copyOf(names);
        return list.size() <= 2 ? String.join(", ", list) : list.get(0) + ", " + list.get(1) + ", …";
    }

    /**
     * The SGD self-check: {@link #SGD_STEPS} steps of torch.optim.SGD on tensors against PyTorch's gradients fed to
     * mnv2's {@link Sgd}; returns PyTorch's own steps for the comparison with mnv2's trainer.
     */
    private TorchSgd sgd(TrainingCase c) {
        TorchSgd torch = torchSgd(c);
        Network network = c.network(SEED);
        Map<String, double[]> mixed;
        try (TorchTrainer t = trainer(network, c).build()) {
            List<Parameter> parameters = new ArrayList<>();
            for (String name : t.parameterNames()) {
                double[] value = torch.before().get(name);
                float[] copy = new float[value.length];
                for (int i = 0; i < copy.length; i++) {
                    copy[i] = (float) value[i];
                }
                parameters.add(new Parameter(name, t.kind(name), new int[] {copy.length}, copy));
            }
            Sgd sgd = Sgd.builder().momentum(SGD_MOMENTUM).weightDecay(WeightDecay.allParameters(SGD_DECAY)).build();
            for (int s = 0; s < SGD_STEPS; s++) {
                Map<String, double[]> gradients = t.step().gradients();
                Map<String, float[]> values = new LinkedHashMap<>();
                for (Parameter p : parameters) {
                    double[] g = gradients.get(p.name());
                    for (int i = 0; i < g.length; i++) {
                        p.grad()[i] = (float) g[i];
                    }
                    values.put(p.name(), p.value());
                }
                sgd.step(parameters, SGD_LEARNING_RATE);
                t.load(values);
            }
            mixed = t.state();
        }
        ParameterDiff d = ParameterDiff.of(mixed, torch.float32());
        report(SGD_STEPS + " SGD steps (lr " + SGD_LEARNING_RATE + ", momentum " + SGD_MOMENTUM + ", decay " + SGD_DECAY
                + ") on torch tensors vs mnv2 Sgd on torch gradients " + c.label(), d.summary(), d.largest(), 1e-5);
        Set<String> statistics = statisticNames(torch.float32());
        info("how far those steps moved each trained tensor " + c.label(),
                ParameterDiff.of(ParameterDiff.without(torch.before(), statistics),
                        ParameterDiff.without(torch.float32(), statistics)));
        info("float32 vs float64 trained tensors after those steps " + c.label(),
                ParameterDiff.of(ParameterDiff.without(torch.float64(), statistics),
                        ParameterDiff.without(torch.float32(), statistics)));
        return torch;
    }

    /** PyTorch's {@link #SGD_STEPS} SGD steps of a case in float32 and in float64. */
    private TorchSgd torchSgd(TrainingCase c) {
        Network network = c.network(SEED);
        Map<String, double[]> before = ParameterDiff.arraysOf(network);
        Map<String, double[]> single;
        try (TorchTrainer t = trainer(network, c).build()) {
            single = t.sgdSteps(SGD_STEPS, SGD_LEARNING_RATE, SGD_MOMENTUM, SGD_DECAY);
        }
        Map<String, double[]> precise;
        try (TorchTrainer t = trainer(network, c).float64(true).build()) {
            precise = t.sgdSteps(SGD_STEPS, SGD_LEARNING_RATE, SGD_MOMENTUM, SGD_DECAY);
        }
        return new TorchSgd(before, single, precise);
    }

    private static Set<String> statisticNames(Map<String, double[]> state) {
        Set<String> statistics = new TreeSet<>(state.keySet());
        statistics.removeIf(name -> !name.endsWith(".running_mean") && !name.endsWith(".running_var"));
        return statistics;
    }

    /**
     * mnv2 against float64 with PyTorch float32's own error as the yardstick: per tensor the ratio
     * ‖mnv2 − torch64‖ / ‖torch32 − torch64‖ (median, p90, worst). A ratio alone misjudges the tensors where PyTorch
     * float32 happens to land very close to float64, so a tensor misses only if it is both more than
     * {@link #FLOOR_RATIO} times PyTorch float32's error and more than the issue's 1e-4 from float64 (an exact
     * reference, where 1e-4 is meaningful); the line counts those tensors and names the worst.
     */
    private void floor(String what, Map<String, double[]> float64, Map<String, double[]> float32,
                       Map<String, double[]> mnv2) {
        ParameterDiff torch = ParameterDiff.of(float64, float32);
        ParameterDiff ours = ParameterDiff.of(float64, mnv2);
        List<Double> ratios = new ArrayList<>();
        String worst = null;
        double worstRatio = -1;
        List<String> missed = new ArrayList<>();
        for (Map.Entry<String, Double> e : ours.relative().entrySet()) {
            double ratio = e.getValue() / torch.relative().get(e.getKey());
            ratios.add(ratio);
            if (!(ratio <= worstRatio)) {
                worstRatio = ratio;
                worst = e.getKey();
            }
            if (!(ratio <= FLOOR_RATIO || e.getValue() <= 1e-4)) {
                missed.add(e.getKey() + " " + format(e.getValue()) + " = " + format(ratio) + "×");
            }
        }
        ratios.sort(null);
        System.out.printf(Locale.ROOT, "info %s: per tensor, mnv2 float32 %s; torch float32 %s%n", what, spread(ours),
                spread(torch));
        yardstick(what, "per-tensor ratio ‖mnv2 − torch64‖ / ‖torch32 − torch64‖ median "
                + format(ratios.get(ratios.size() / 2)) + ", p90 " + format(ratios.get(ratios.size() * 9 / 10))
                + ", worst " + format(worstRatio) + " (" + worst + "); tensors above " + FLOOR_RATIO
                + "× torch32's error and above 1e-4 from torch64" + (missed.isEmpty() ? "" : " " + missed),
                missed.size(), 0);
    }

    /** Median, p90 and worst of a per-tensor difference, and how many tensors exceed the issue's 1e-4. */
    private static String spread(ParameterDiff d) {
        List<Double> values = new ArrayList<>(d.relative().values());
        values.sort(null);
        long above = values.stream().filter(v -> v > 1e-4).count();
        return String.format(Locale.ROOT, "median %.2e, p90 %.2e, max %.2e (%s), %d of %d above 1e-4",
                values.get(values.size() / 2), values.get(values.size() * 9 / 10), d.largest(), d.worst(), above,
                values.size());
    }

    /** A comparison of mnv2 with PyTorch held to the issue's bound. */
    private void issue(String check, String measure, double value, double bound) {
        boolean ok = value <= bound;
        System.out.printf(Locale.ROOT, "%s mnv2 %s: %s %.2e (issue bound %.0e)%n", ok ? "PASS" : "FAIL", check, measure,
                value, bound);
        if (ok) {
            issueMet++;
        } else {
            issueMissed.add(check);
        }
    }

    /** A comparison of mnv2 with PyTorch held to a bound of the referee's (PyTorch float32's own error), not the issue's. */
    private void yardstick(String check, String measure, double value, double bound) {
        boolean ok = value <= bound;
        System.out.printf(Locale.ROOT, "%s mnv2 %s: %s %s (yardstick bound %s)%n", ok ? "PASS" : "FAIL", check,
                measure, value == Math.rint(value) ? Long.toString((long) value) : format(value),
                bound == 0 ? "0" : String.format(Locale.ROOT, "%.0e", bound));
        if (ok) {
            yardstickMet++;
        } else {
            yardstickMissed.add(check);
        }
    }

    private void report(String check, String measure, double value, double bound) {
        boolean ok = value <= bound;
        System.out.printf(Locale.ROOT, "%-4s %s: %s %.2e (bound %.0e)%n", ok ? "ok" : "FAIL", check, measure, value,
                bound);
        if (!ok) {
            failures.add(check);
        }
    }
}
