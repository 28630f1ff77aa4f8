package dev.mnv2.train;

import dev.mnv2.data.BatchMixing;
import dev.mnv2.data.DataLoader;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.exec.TrainingPlan;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Trains a network in place: each {@link #step} runs the training-mode forward and backward pass of a
 * {@link TrainingPlan}, the loss (softmax cross-entropy per image, or per pixel for a segmentation head), optional
 * gradient-norm clipping, the optimizer at the schedule's learning rate, and the moving average of the weights.
 *
 * <pre>{@code
 * Network net = MobileNetV2.builder().width(0.5).resolution(32).classes(10).seed(1).build();
 * try (Trainer trainer = Trainer.builder(net)
 *         .optimizer(Sgd.builder().momentum(0.9).nesterov(true).weightDecay(WeightDecay.allParameters(5e-4)).build())
 *         .schedule(LearningRateSchedule.cosine(0.1, 0, 0, 1000, 0))
 *         .batch(128).threads(2).seed(7).build()) {
 *     Trainer.StepResult r = trainer.step(images, labels);   // images: labels.length NHWC images
 * }
 * }</pre>
 *
 * <p>Determinism: dropout masks come from the seed and the step number, and every kernel gives the same bits for
 * any thread count, so a seed gives the same loss trajectory on every run (and across thread counts).
 * Holds worker threads: close it.
 */
public final class Trainer implements AutoCloseable {
    private final Network network;
    private final TrainingPlan plan;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule;
    private final SoftmaxCrossEntropy loss;
    private final double clipNorm;
    private final ExponentialMovingAverage ema;
    private final long seed;
    private final int classes;
    private final int pixelsPerImage;
    private final Map<Integer, float[][]> lossBuffers = new HashMap<>();
    private long step;

    private Trainer(Builder b) {
        this.network = b.network;
        TrainingPlan.Builder planned = TrainingPlan.builder(b.network).batch(b.batch).threads(b.threads)
                .recompute(b.recompute).vectorized(b.vectorized);
        if (b.batchNormMomentum != null) {
            planned.batchNormMomentum(b.batchNormMomentum);
        }
        this.plan = planned.build();
        this.optimizer = b.optimizer;
        this.schedule = b.schedule;
        this.loss = b.loss;
        this.clipNorm = b.clipNorm;
        this.seed = b.seed;
        this.ema = b.emaDecay > 0
                ? ExponentialMovingAverage.builder(plan.parameters()).decay(b.emaDecay).build() : null;
        Shape out = plan.outputShape();
        this.classes = out.channels();
        this.pixelsPerImage = out.height() * out.width();
    }

    public static Builder builder(Network network) {
        return new Builder(network);
    }

    /** Options of a {@link Trainer}; the defaults are plain SGD at a constant 0.01, cross-entropy, no EMA. */
    public static final class Builder {
        private final Network network;
        private Optimizer optimizer = Sgd.builder().momentum(0.9).build();
        private LearningRateSchedule schedule = LearningRateSchedule.constant(0.01);
        private SoftmaxCrossEntropy loss;
        private double clipNorm;
        private double emaDecay;
        private int batch = 32;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private boolean recompute;
        private boolean vectorized = Predictor.vectorAvailable();
        private Double batchNormMomentum;
        private long seed;

        private Builder(Network network) {
            this.network = Objects.requireNonNull(network, "network");
        }

        public Builder optimizer(Optimizer optimizer) {
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
            return this;
        }

        /** The learning rate by step (steps are optimizer updates, counted from 0). */
        public Builder schedule(LearningRateSchedule schedule) {
            this.schedule = Objects.requireNonNull(schedule, "schedule");
            return this;
        }

        /**
         * The loss; default plain cross-entropy, or for a network with a spatial output (segmentation) per-pixel
         * cross-entropy ignoring label {@value SoftmaxCrossEntropy#SEGMENTATION_IGNORE_LABEL}.
         */
        public Builder loss(SoftmaxCrossEntropy loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        /** Rescales the gradients so their global L2 norm is at most {@code maxNorm}; 0 turns clipping off. */
        public Builder clipGradientNorm(double maxNorm) {
            this.clipNorm = Checks.requireNonNegative("gradient clipping norm", maxNorm);
            return this;
        }

        /** Keeps an exponential moving average of the weights (TF-slim: {@link ExponentialMovingAverage#TF_SLIM_DECAY}). */
        public Builder ema(double decay) {
            this.emaDecay = Checks.requireUnitInterval("EMA decay", decay);
            return this;
        }

        /** Largest batch a step takes; buffers are sized for it. */
        public Builder batch(int batch) {
            this.batch = batch;
            return this;
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** Recompute each block's inner tensors in the backward pass instead of keeping them (§5.1 for training). */
        public Builder recompute(boolean recompute) {
            this.recompute = recompute;
            return this;
        }

        public Builder vectorized(boolean vectorized) {
            this.vectorized = vectorized;
            return this;
        }

        /** See {@link TrainingPlan.Builder#batchNormMomentum}. */
        public Builder batchNormMomentum(double momentum) {
            this.batchNormMomentum = momentum;
            return this;
        }

        /** Seeds the dropout masks (with the step number). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Trainer build() {
            if (loss == null) {
                Shape out = network.outputShape();
                loss = out.height() * out.width() > 1 ? SoftmaxCrossEntropy.segmentation() : SoftmaxCrossEntropy.create();
            }
            return new Trainer(this);
        }
    }

    /**
     * What one step did.
     *
     * @param step the update's number (0 for the first)
     * @param loss the batch's mean loss before the update
     * @param learningRate the rate the update used
     * @param correct rows (images, or labelled pixels) whose largest logit was the label
     * @param counted rows that counted (labelled)
     * @param gradientNorm the gradients' global L2 norm before clipping
     */
    public record StepResult(long step, double loss, double learningRate, long correct, long counted,
                             double gradientNorm) {
        /** Top-1 accuracy on the step's batch, before the update. */
        public double accuracy() {
            return counted == 0 ? 0 : (double) correct / counted;
        }
    }

    /**
     * One training step on {@code count} images from {@code images} (NHWC, the network's input shape) with
     * their labels: one per image for a classifier, one per output pixel (image-major) for a segmentation head.
     *
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range
     * @throws NonFiniteLossException if the loss or the gradients are not finite; the weights are then unchanged
     */
    public StepResult step(float[] images, int[] labels, int count) {
        return step(images, labels, null, count);
    }

    /**
     * One step on a classifier's batch of {@code count} images mixed by {@link BatchMixing} ({@code mix} is what
     * {@link BatchMixing#apply} returned for these images): the loss is {@code λ} of each image's label's and
     * {@code 1 − λ} of its partner's. The result's accuracy counts against {@code labels}.
     *
     * @throws IllegalArgumentException if the sizes disagree, a label is out of range, or the network is not an
     *     image classifier
     */
    public StepResult step(float[] images, int[] labels, BatchMixing.Mix mix, int count) {
        Objects.requireNonNull(labels, "labels");
        checkLabels(labels, count);
        if (mix != null && pixelsPerImage != 1) {
            throw new IllegalArgumentException("mixed batches need an image classifier, not one label per pixel");
        }
        for (Parameter p : plan.parameters()) {
            if (p.updatable()) {
                p.zeroGrad();
            }
        }
        float[] output = plan.forward(images, 0, count, seed * 0x9E3779B97F4A7C15L + step);
        float[][] buffers = lossBuffers.computeIfAbsent(count,
                n -> new float[][] {new float[n * pixelsPerImage * classes], new float[n * pixelsPerImage * classes]});
        float[] logits = buffers[0];
        float[] gradient = buffers[1];
        System.arraycopy(output, 0, logits, 0, logits.length);
        double value = mix == null ? loss.lossAndGradient(logits, labels, classes, gradient)
                : loss.lossAndGradient(logits, labels, mix.partnerLabels(), mix.lambda(), classes, gradient);
        long[] hits = correct(logits, labels);
        if (!Double.isFinite(value)) {
            throw new NonFiniteLossException("the loss is " + value + " at step " + step);
        }
        plan.backward(gradient);
        List<Parameter> parameters = plan.parameters();
        double norm = GradientClipping.globalNorm(parameters);
        if (!Double.isFinite(norm)) {
            throw new NonFiniteLossException("the gradients' norm is " + norm + " at step " + step);
        }
        if (clipNorm > 0) {
            GradientClipping.clipByGlobalNorm(parameters, clipNorm);
        }
        double lr = schedule.learningRate(step);
        optimizer.step(parameters, lr);
        plan.weightsChanged();
        if (ema != null) {
            ema.update();
        }
        return new StepResult(step++, value, lr, hits[0], hits[1], norm);
    }

    /** {@link #step(float[], int[], int)} for a classifier's batch of {@code labels.length} images. */
    public StepResult step(float[] images, int[] labels) {
        return step(images, labels, labels.length / pixelsPerImage);
    }

    private void checkLabels(int[] labels, int count) {
        if (labels.length != (long) count * pixelsPerImage) {
            throw new IllegalArgumentException(count + " images need " + (long) count * pixelsPerImage
                    + " labels (" + pixelsPerImage + " per image), got " + labels.length);
        }
    }

    /** {correct, counted} of the rows' arg max against the labels; ignored labels do not count. */
    private long[] correct(float[] logits, int[] labels) {
        long correct = 0;
        long counted = 0;
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] < 0 || labels[r] >= classes) {
                continue;
            }
            int base = r * classes;
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (logits[base + k] > logits[base + best]) {
                    best = k;
                }
            }
            counted++;
            if (best == labels[r]) {
                correct++;
            }
        }
        return new long[] {correct, counted};
    }

    /**
     * Top-1 and top-5 of the network in inference mode (running statistics, no dropout; the moving average's
     * weights when there is one) on {@code count} images with one label per image.
     */
    public Evaluation evaluate(float[] images, int[] labels, int count) {
        Objects.requireNonNull(images, "images");
        if (labels.length != count) {
            throw new IllegalArgumentException(count + " images need " + count + " labels, got " + labels.length);
        }
        try (ExponentialMovingAverage.Swap swap = ema == null ? null : ema.swapIn();
             Predictor predictor = Predictor.builder(network).threads(plan.threads()).build()) {
            int size = Math.toIntExact(network.input().elements());
            float[] input = new float[count * size];
            System.arraycopy(images, 0, input, 0, input.length);
            float[][] logits = predictor.logits(new Tensor(count, network.input(), input));
            long top1 = 0;
            long top5 = 0;
            for (int n = 0; n < count; n++) {
                int rank = rank(logits[n], labels[n]);
                top1 += rank == 0 ? 1 : 0;
                top5 += rank < 5 ? 1 : 0;
            }
            return new Evaluation(count, top1, top5);
        }
    }

    /**
     * {@link #evaluate(float[], int[], int)} over a whole epoch of {@code loader} (its first, unshuffled unless
     * the loader shuffles), with one inference plan for all its batches.
     */
    public Evaluation evaluate(DataLoader loader) {
        Objects.requireNonNull(loader, "loader");
        try (ExponentialMovingAverage.Swap swap = ema == null ? null : ema.swapIn();
             Predictor predictor = Predictor.builder(network).threads(plan.threads()).build()) {
            DataLoader.Epoch epoch = loader.epoch(0);
            long images = 0;
            long top1 = 0;
            long top5 = 0;
            int size = Math.toIntExact(network.input().elements());
            while (epoch.hasNext()) {
                DataLoader.Batch b = epoch.next();
                if (b.count() == 0) {
                    continue;
                }
                float[] input = Arrays.copyOf(b.images(), b.count() * size);
                float[][] logits = predictor.logits(new Tensor(b.count(), network.input(), input));
                for (int n = 0; n < b.count(); n++) {
                    int rank = rank(logits[n], b.labels()[n]);
                    top1 += rank == 0 ? 1 : 0;
                    top5 += rank < 5 ? 1 : 0;
                }
                images += b.count();
            }
            return new Evaluation(images, top1, top5);
        }
    }

    /** How many logits are larger than the label's (ties broken by index, as arg max does). */
    private static int rank(float[] logits, int label) {
        int rank = 0;
        for (int k = 0; k < logits.length; k++) {
            if (logits[k] > logits[label] || (logits[k] == logits[label] && k < label)) {
                rank++;
            }
        }
        return rank;
    }

    /** Counts of an evaluation. */
    public record Evaluation(long images, long top1, long top5) {
        public double top1Accuracy() {
            return images == 0 ? 0 : (double) top1 / images;
        }

        public double top5Accuracy() {
            return images == 0 ? 0 : (double) top5 / images;
        }
    }

    /**
     * Freezes (or unfreezes) the parameters whose names {@code parameterName} accepts and, with
     * {@code evalBatchNorm}, puts their convolutions' batch norms into eval mode (or back): fine-tuning's
     * frozen backbone.
     */
    public void freeze(Predicate<String> parameterName, boolean frozen, boolean evalBatchNorm) {
        for (Parameter p : plan.parameters()) {
            if (parameterName.test(p.name())) {
                p.setFrozen(frozen);
            }
        }
        if (evalBatchNorm) {
            plan.setEvalBatchNorm(conv -> parameterName.test(conv + ".weight"), frozen);
        }
    }

    /**
     * Gives the eval-mode norms statistics from data and trains them from then on: runs each of {@code batches}
     * (the plan's {@link TrainingPlan#batch() batch} of images of the network's input, NHWC, as {@link #step} takes them) forward without an
     * update, then {@link TrainingPlan#rebaseNorms rebases} the eval-mode norms on the statistics their inputs had
     * (the same eval-mode function) and puts them into training mode. This is how a folded model (TFLite's conv
     * + bias, given identity norms) is fine-tuned with live batch norms. Only before the first step.
     *
     * @return how many norms were rebased
     * @throws IllegalStateException after the first step
     */
    public int rebaseNorms(Iterable<float[]> batches) {
        if (step > 0) {
            throw new IllegalStateException("norms can be rebased only before the first step, " + step + " taken");
        }
        plan.recordStatistics(true);
        int seen = 0;
        try {
            for (float[] images : batches) {
                plan.forward(images, 0, plan.batch(), seed);
                seen++;
            }
        } finally {
            plan.recordStatistics(false);
        }
        if (seen == 0) {
            throw new IllegalArgumentException("no batches to estimate the norms' statistics from");
        }
        int rebased = plan.rebaseNorms();
        if (ema != null) {
            Map<String, float[]> values = new LinkedHashMap<>();
            for (Parameter p : plan.parameters()) {
                values.put(p.name(), p.value().clone());
            }
            ema.load(values, 0);
        }
        return rebased;
    }

    public Network network() {
        return network;
    }

    /** The network's parameters and running statistics by torchvision name (shared with checkpoints). */
    public List<Parameter> parameters() {
        return plan.parameters();
    }

    public TrainingPlan plan() {
        return plan;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public Optional<ExponentialMovingAverage> ema() {
        return Optional.ofNullable(ema);
    }

    /** Updates so far: the next step's number. */
    public long steps() {
        return step;
    }

    /** Continues a resumed run at update {@code step} (with the optimizer's and the average's state loaded). */
    public void resumeAt(long step) {
        this.step = Checks.requireStep(step);
    }

    @Override
    public void close() {
        plan.close();
    }
}
