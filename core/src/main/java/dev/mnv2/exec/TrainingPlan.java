package dev.mnv2.exec;

import dev.mnv2.model.ArgMax;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import dev.mnv2.train.Parameter;
import dev.mnv2.train.ParameterKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A network in training mode: the forward pass with batch norms unfolded (batch statistics, running
 * statistics updated) and dropout active, and the backward pass that adds every parameter's gradient into its
 * {@link Parameter#grad()}. One step per graph node, as {@link Plan}; each step's kernels are chosen when the
 * plan is made ({@link ConvTraining}'s paths, {@link BatchNormTraining}) and every buffer is sized once, for
 * up to {@link #batch()} images, so a step allocates nothing large.
 *
 * <p>Parameters ({@link #parameters()}) are the network's own arrays under torchvision's state-dict names, in
 * its order, the running statistics included (kind {@link ParameterKind#NORM_STATISTIC}): an optimizer updates
 * the network in place, and a {@link Predictor} made from the network afterwards runs the trained weights
 * (folded at plan time as always). Call {@link #weightsChanged()} after every update.
 *
 * <p>Memory: by default every tensor the backward pass reads is kept from the forward (for each convolution
 * its output before and after the batch norm). With {@link Builder#recompute(boolean)} only the tensors
 * between blocks (the thin bottlenecks) and outside blocks are kept; each inverted residual block's expansion
 * and depthwise tensors live in one scratch set shared by all blocks and are recomputed, from the kept batch
 * statistics, just before the block's backward: §5.1's observation applied to training. Both give the same
 * gradients to the bit.
 *
 * <p>Threads: every kernel call is split into parts the threads run; each value is the same chain of
 * operations for any split, so results depend neither on the thread count nor on the vector kernels.
 */
public final class TrainingPlan implements AutoCloseable {
    /** PyTorch's BatchNorm2d momentum (TensorFlow's decay 0.9 and Keras' 0.99 are 0.1 and 0.01). */
    public static final double TORCH_BATCH_NORM_MOMENTUM = 0.1;
    /** TF-slim's MobileNet batch-norm decay 0.997 as a momentum. */
    public static final double TF_SLIM_BATCH_NORM_MOMENTUM = 1 - 0.997;

    private final Network network;
    private final int batch;
    private final int threads;
    private final boolean recompute;
    private final double momentum;
    private final Kernels kernels;
    private final Workers workers;
    private final Map<String, TensorData> tensors = new HashMap<>();
    private final List<Step> steps = new ArrayList<>();
    private final List<Parameter> parameters = new ArrayList<>();
    private final List<float[]> activationBuffers = new ArrayList<>();
    private final TensorData input;
    private final TensorData output;
    /** Scratch of the blocks' inner gradients, shared (backward runs one block at a time). */
    private final float[] gradientA;
    private final float[] gradientB;
    private int images;
    private long dropoutSeed;
    private boolean forwardDone;
    /** Whether forward sums the batch statistics of eval-mode norms for {@link #rebaseNorms}. */
    private boolean recordingStatistics;

    private TrainingPlan(Builder b) {
        this.network = b.network;
        this.batch = b.batch;
        this.threads = b.threads;
        this.recompute = b.recompute;
        this.momentum = b.momentum;
        this.kernels = b.vectorized ? VectorSupport.kernels() : ScalarKernels.INSTANCE;
        Shape in = network.input();
        input = new TensorData(Network.INPUT, in);
        tensors.put(Network.INPUT, input);
        long hiddenIn = 0;
        long hiddenOut = 0;
        long thin = 0;
        for (Node node : network.nodes()) {
            Layer layer = node.layer();
            if (layer instanceof InvertedResidual block) {
                Shape x = network.shape(node.inputs().get(0));
                Shape hidden = block.expandedShape(x);
                Shape dwOut = block.depthwise().outputShape(hidden);
                hiddenIn = Math.max(hiddenIn, hidden.elements());
                hiddenOut = Math.max(hiddenOut, dwOut.elements());
                thin = Math.max(thin, network.shape(node.name()).elements());
            }
        }
        gradientA = new float[floats(hiddenIn * batch)];
        gradientB = new float[floats(hiddenOut * batch)];
        BlockScratch shared = recompute ? new BlockScratch(hiddenIn, hiddenOut, thin) : null;
        for (Node node : network.nodes()) {
            steps.add(bind(node, shared));
        }
        output = tensors.get(network.outputs().get(0));
        this.workers = threads > 1 ? new Workers(threads, "mnv2-train") : null;
        weightsChanged();
    }

    public static Builder builder(Network network) {
        return new Builder(network);
    }

    /** Options of a {@link TrainingPlan}. */
    public static final class Builder {
        private final Network network;
        private int batch = 32;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private boolean recompute;
        private boolean vectorized = VectorSupport.AVAILABLE;
        private double momentum;

        private Builder(Network network) {
            this.network = Objects.requireNonNull(network, "network");
            // The norms' own convention: TF-slim's ε 1e-3 comes with its decay 0.997, torch's ε 1e-5 with 0.1.
            this.momentum = network.config().batchNormEpsilon() >= 1e-4 ? TF_SLIM_BATCH_NORM_MOMENTUM
                    : TORCH_BATCH_NORM_MOMENTUM;
        }

        /** Largest number of images per step; buffers are sized for it. */
        public Builder batch(int batch) {
            if (batch < 1) {
                throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            }
            this.batch = batch;
            return this;
        }

        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Keep only the tensors between blocks and recompute each block's inner ones in the backward pass. */
        public Builder recompute(boolean recompute) {
            this.recompute = recompute;
            return this;
        }

        /** Vector kernels (when the JVM has jdk.incubator.vector) or the scalar ones; same results. */
        public Builder vectorized(boolean vectorized) {
            this.vectorized = vectorized && VectorSupport.AVAILABLE;
            return this;
        }

        /**
         * The running statistics' update rate, PyTorch's {@code momentum} ({@code 1 − decay} in TensorFlow's
         * terms): {@link #TORCH_BATCH_NORM_MOMENTUM} or {@link #TF_SLIM_BATCH_NORM_MOMENTUM}, which is the
         * default for networks whose batch-norm ε is TensorFlow's 1e-3.
         */
        public Builder batchNormMomentum(double momentum) {
            if (!(momentum >= 0 && momentum <= 1)) {
                throw new IllegalArgumentException("batch-norm momentum must be in [0, 1], got " + momentum);
            }
            this.momentum = momentum;
            return this;
        }

        public TrainingPlan build() {
            return new TrainingPlan(this);
        }
    }

    public Network network() {
        return network;
    }

    public int batch() {
        return batch;
    }

    public int threads() {
        return threads;
    }

    public boolean recomputes() {
        return recompute;
    }

    /** The network's parameters and running statistics by torchvision name, in state-dict order. */
    public List<Parameter> parameters() {
        return parameters;
    }

    /** Shape of one image's main output (logits). */
    public Shape outputShape() {
        return output.shape;
    }

    /**
     * Puts the batch norms of the convolutions whose names {@code convolution} accepts into eval mode (running
     * statistics normalise and are not updated, as a PyTorch module after {@code .eval()}) or back into
     * training mode. Fine-tuning freezes the backbone's norms this way.
     */
    public void setEvalBatchNorm(Predicate<String> convolution, boolean eval) {
        for (Step step : steps) {
            for (ConvUnit unit : step.units()) {
                if (unit.bn != null && convolution.test(unit.conv.name())) {
                    unit.evalNorm = eval;
                }
            }
        }
    }

    /**
     * Starts (clearing what was summed before) or stops summing, in every forward, the batch statistics of the
     * eval-mode norms' inputs, for {@link #rebaseNorms}. The forward's results do not change.
     */
    public void recordStatistics(boolean on) {
        recordingStatistics = on;
        if (on) {
            for (Step step : steps) {
                for (ConvUnit unit : step.units()) {
                    unit.recorded = null;
                }
            }
        }
    }

    /**
     * Gives every eval-mode norm that {@link #recordStatistics recorded} batches the statistics of those
     * batches as its running ones and puts it into training mode, with γ and β changed so that its eval-mode
     * function is the same: {@code γ'·(z − μ')/√(σ'² + ε) + β' = γ·(z − μ)/√(σ² + ε) + β} for every z. A folded
     * model's identity norms ({@code TorchLayout.withBatchNorms}) so become the norms a network trained with them
     * would have, and train as such (the batch statistics then normalise, as torchvision fine-tunes). The
     * variance is the pooled one over all the batches' pixels, unbiased. Stops recording; returns how many norms
     * were rebased.
     */
    public int rebaseNorms() {
        recordingStatistics = false;
        int rebased = 0;
        for (Step step : steps) {
            for (ConvUnit unit : step.units()) {
                if (unit.recorded != null && unit.evalNorm) {
                    unit.rebase();
                    unit.evalNorm = false;
                    rebased++;
                }
                unit.recorded = null;
            }
        }
        return rebased;
    }

    /** Re-reads the weights after an update (packs the GEMM copies); the next forward uses them. */
    public void weightsChanged() {
        for (Step step : steps) {
            for (ConvUnit unit : step.units()) {
                unit.training.setWeights(unit.conv.weight());
            }
            if (step instanceof DenseStep dense) {
                dense.training.setWeights(dense.dense.weight());
            }
        }
    }

    /**
     * The training-mode forward pass of {@code count} images (NHWC floats from {@code offset}): updates the
     * running statistics of the norms in training mode and draws dropout masks from {@code seed}. Returns the
     * main output's buffer, {@code count} images of {@link #outputShape()} from index 0, valid until the next
     * forward.
     */
    public float[] forward(float[] images, int offset, int count, long seed) {
        Objects.requireNonNull(images, "images");
        if (count < 1 || count > batch) {
            throw new IllegalArgumentException("count must be in [1, " + batch + "], got " + count);
        }
        long need = (long) count * input.imageFloats;
        if (offset < 0 || offset + need > images.length) {
            throw new IllegalArgumentException(count + " images of " + input.shape + " need " + need
                    + " floats from offset " + offset + ", the array has " + images.length);
        }
        this.images = count;
        this.dropoutSeed = seed;
        input.act = images;
        input.offset = offset;
        for (Step step : steps) {
            step.forward();
        }
        forwardDone = true;
        return output.act;
    }

    /**
     * The backward pass of the last forward: adds each parameter's gradient, given the gradient of the loss
     * with respect to the main output ({@code count} images of {@link #outputShape()} from index 0), into
     * {@link Parameter#grad()}. Frozen parameters get none, and nothing upstream of the last parameter that
     * gets one is computed. {@code outputGradient} is not changed.
     */
    public void backward(float[] outputGradient) {
        if (!forwardDone) {
            throw new IllegalStateException("backward needs a forward first");
        }
        long need = (long) images * output.imageFloats;
        if (outputGradient.length < need) {
            throw new IllegalArgumentException("the output gradient has " + outputGradient.length
                    + " floats, the batch's output " + need);
        }
        for (TensorData t : tensors.values()) {
            t.gradientWritten = false;
        }
        markNeededGradients();
        System.arraycopy(outputGradient, 0, output.grad, 0, (int) need);
        output.gradientWritten = true;
        for (int i = steps.size() - 1; i >= 0; i--) {
            Step step = steps.get(i);
            if (step.out.gradientWritten) {
                step.backward();
            }
        }
        forwardDone = false;
    }

    /** A tensor's gradient is needed where a parameter that gets one lies upstream of it. */
    private void markNeededGradients() {
        input.gradientNeeded = false;
        for (Step step : steps) {
            boolean needed = step.updatesParameters();
            for (TensorData t : step.ins) {
                needed |= t.gradientNeeded;
            }
            step.out.gradientNeeded = needed;
        }
    }

    /**
     * Bytes of the activations this plan keeps for the backward pass at {@link #batch()} images (the
     * caller's input excluded): every tensor, each convolution's pre-norm output, dropout masks, and in
     * recompute mode the one shared set of block tensors.
     */
    public long activationBytes() {
        long floats = 0;
        for (float[] b : activationBuffers) {
            floats += b.length;
        }
        return floats * Float.BYTES;
    }

    /**
     * The activation bytes the steps so far have written: each kept buffer up to the last value that no longer
     * holds {@link Plan#UNWRITTEN}, the mark every one is filled with when the plan is made. An observation,
     * not the plan's claim: after a step of the full batch it equals {@link #activationBytes()}.
     */
    public long measuredActivationBytes() {
        long floats = 0;
        for (float[] b : activationBuffers) {
            floats += Plan.writtenExtent(b, 0);
        }
        return floats * Float.BYTES;
    }

    /** Bytes of the gradient buffers (one per tensor between steps, plus the blocks' shared scratch). */
    public long gradientBytes() {
        long floats = (long) gradientA.length + gradientB.length;
        for (TensorData t : tensors.values()) {
            floats += t.grad == null ? 0 : t.grad.length;
        }
        return floats * Float.BYTES;
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.close();
        }
    }

    @Override
    public String toString() {
        return "training plan of " + network + ", batch " + batch + ", " + threads + " threads"
                + (recompute ? ", recomputing blocks" : "");
    }

    // ---- building ----------------------------------------------------------------------------------------

    private static int floats(long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a training buffer of " + n
                    + " floats is larger than a Java array can be; use a smaller batch, resolution or width");
        }
        return (int) n;
    }

    /** An activation buffer for {@code perImage} floats of each of {@link #batch} images, counted and marked. */
    private float[] activation(long perImage) {
        float[] buffer = Plan.unwritten(floats(perImage * batch));
        activationBuffers.add(buffer);
        return buffer;
    }

    private TensorData define(String name, Shape shape) {
        TensorData t = new TensorData(name, shape);
        t.act = activation(shape.elements());
        t.grad = new float[floats(shape.elements() * batch)];
        tensors.put(name, t);
        return t;
    }

    private Step bind(Node node, BlockScratch shared) {
        Layer layer = node.layer();
        List<TensorData> ins = node.inputs().stream().map(tensors::get).toList();
        TensorData out = define(node.name(), network.shape(node.name()));
        Shape in = ins.get(0).shape;
        if (layer instanceof Conv2d conv) {
            return new ConvStep(ins, out, unit(conv, in));
        } else if (layer instanceof InvertedResidual block) {
            return new BlockStep(ins, out, block, shared);
        } else if (layer instanceof Dense dense) {
            return new DenseStep(ins, out, dense);
        } else if (layer instanceof GlobalAveragePool) {
            return new PoolStep(ins, out, null);
        } else if (layer instanceof AveragePool pool) {
            return new PoolStep(ins, out, pool);
        } else if (layer instanceof Dropout dropout) {
            return new DropoutStep(ins, out, dropout);
        } else if (layer instanceof Concat) {
            return new ConcatStep(ins, out);
        } else if (layer instanceof ResizeBilinear resize) {
            return new ResizeStep(ins, out, resize);
        } else if (layer instanceof ArgMax) {
            throw new IllegalArgumentException(layer.name() + ": arg max has no gradient; train the logits before it");
        }
        throw new IllegalArgumentException("no training step for layer " + layer.name());
    }

    private ConvUnit unit(Conv2d conv, Shape in) {
        ConvUnit unit = new ConvUnit(conv, in);
        ConvSpec spec = conv.spec();
        int[] hwio = {conv.kernel(), conv.kernel(), conv.inPerGroup(), conv.outChannels()};
        unit.weight = register(conv.name() + ".weight",
                conv.isDepthwise() ? ParameterKind.DEPTHWISE_WEIGHT : ParameterKind.CONV_WEIGHT, hwio, conv.weight());
        if (conv.bias() != null) {
            unit.bias = register(conv.name() + ".bias", ParameterKind.BIAS, new int[] {conv.outChannels()}, conv.bias());
        }
        BatchNorm bn = conv.batchNorm();
        if (bn != null) {
            String name = ConvSpec.batchNormName(spec.name());
            int[] c = {conv.outChannels()};
            unit.gamma = register(name + ".weight", ParameterKind.NORM_WEIGHT, c, bn.gamma());
            unit.beta = register(name + ".bias", ParameterKind.NORM_BIAS, c, bn.beta());
            register(name + ".running_mean", ParameterKind.NORM_STATISTIC, c, bn.mean());
            register(name + ".running_var", ParameterKind.NORM_STATISTIC, c, bn.variance());
        }
        return unit;
    }

    private Parameter register(String name, ParameterKind kind, int[] shape, float[] value) {
        for (Parameter p : parameters) {
            if (p.name().equals(name)) {
                throw new IllegalArgumentException("two parameters are named " + name);
            }
        }
        Parameter p = new Parameter(name, kind, shape, value);
        parameters.add(p);
        return p;
    }

    // ---- running parts -----------------------------------------------------------------------------------

    private void parallel(Workers.Job job) {
        if (workers == null) {
            job.run(0, 0);
        } else {
            workers.run(job, threads);
        }
    }

    /** Parts of the current call: {@link #threads} (kernels accept empty parts). */
    private int parts() {
        return workers == null ? 1 : threads;
    }

    private static void add(float[] from, float[] into) {
        for (int i = 0; i < from.length; i++) {
            into[i] += from[i];
        }
    }

    // ---- tensors and steps -------------------------------------------------------------------------------

    /** A tensor between steps: its activations for the batch and the gradient the backward pass sums into. */
    private static final class TensorData {
        final String name;
        final Shape shape;
        final int imageFloats;
        float[] act;
        int offset;
        float[] grad;
        boolean gradientWritten;
        boolean gradientNeeded;

        TensorData(String name, Shape shape) {
            this.name = name;
            this.shape = shape;
            this.imageFloats = floats(shape.elements());
        }

        /**
         * Whether a step writing this tensor's gradient should add to it (a second reader) or overwrite it; marks
         * it written.
         */
        boolean accumulateGradient() {
            boolean accumulate = gradientWritten;
            gradientWritten = true;
            return accumulate;
        }
    }

    /** One graph node in training. */
    private abstract class Step {
        final List<TensorData> ins;
        final TensorData out;

        Step(List<TensorData> ins, TensorData out) {
            this.ins = ins;
            this.out = out;
        }

        TensorData in() {
            return ins.get(0);
        }

        abstract void forward();

        /** Adds the parameters' gradients and writes (or adds to) the inputs' that are needed. */
        abstract void backward();

        List<ConvUnit> units() {
            return List.of();
        }

        boolean updatesParameters() {
            for (ConvUnit unit : units()) {
                if (unit.updatesParameters()) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * A convolution in training: its kernel paths, its batch norm's per-batch state, one workspace per thread,
     * and its parameters. Forward: {@code z = conv(x) (+ bias)}, {@code a = clamp(BN(z))}; without batch norm
     * the clamp is fused into the convolution and {@code z} is {@code a}.
     */
    /** Sums over recorded batches: per channel Σ mean·pixels and Σ (var + mean²)·pixels, and the pixels. */
    private static final class RecordedStatistics {
        final double[] sum;
        final double[] squares;
        long pixels;

        RecordedStatistics(int channels) {
            sum = new double[channels];
            squares = new double[channels];
        }
    }

    private final class ConvUnit {
        final Conv2d conv;
        final ConvTraining training;
        final BatchNormTraining bn;
        final ConvTraining.Workspace[] workspaces;
        final Shape in;
        final Shape out;
        final float lo;
        final float hi;
        Parameter weight;
        Parameter bias;
        Parameter gamma;
        Parameter beta;
        boolean evalNorm;
        /** What {@link #recordStatistics} summed, or null. */
        RecordedStatistics recorded;

        ConvUnit(Conv2d conv, Shape in) {
            this.conv = conv;
            this.in = in;
            this.training = ConvTraining.of(conv.spec(), in);
            this.out = training.outputShape();
            this.bn = conv.batchNorm() == null ? null : new BatchNormTraining(conv.outChannels());
            this.workspaces = new ConvTraining.Workspace[threads];
            for (int t = 0; t < threads; t++) {
                workspaces[t] = training.workspace();
            }
            this.lo = conv.activation().min();
            this.hi = conv.activation().max();
        }

        int outFloats() {
            return floats(out.elements());
        }

        boolean updatesParameters() {
            return weight.updatable() || (bias != null && bias.updatable())
                    || (gamma != null && (gamma.updatable() || beta.updatable()));
        }

        /** The convolution into {@code z} (clamped into it when there is no batch norm). */
        void convolve(float[] x, int xOff, float[] z) {
            int n = images;
            int parts = parts();
            float[] b = bias == null ? null : bias.value();
            float cLo = bn == null ? lo : Float.NEGATIVE_INFINITY;
            float cHi = bn == null ? hi : Float.POSITIVE_INFINITY;
            parallel((worker, part) -> training.forward(kernels, x, xOff, n, b, cLo, cHi, z, 0, workspaces[worker],
                    part, parts));
        }

        /** Forward into {@code z} and {@code a}: statistics of this batch (or the running ones), then the norm. */
        void forward(float[] x, int xOff, float[] z, float[] a) {
            convolve(x, xOff, z);
            if (bn == null) {
                copy(z, a);
                return;
            }
            int pixels = images * out.height() * out.width();
            int parts = parts();
            BatchNorm norm = conv.batchNorm();
            if (evalNorm) {
                if (recordingStatistics) {
                    parallel((worker, part) -> bn.statistics(kernels, z, 0, pixels, part, parts));
                    record(pixels);
                }
                bn.useRunning(norm.mean(), norm.variance());
            } else {
                parallel((worker, part) -> bn.statistics(kernels, z, 0, pixels, part, parts));
            }
            bn.coefficients(norm.gamma(), norm.beta(), norm.epsilon());
            if (!evalNorm) {
                bn.updateRunning(norm.mean(), norm.variance(), momentum, pixels);
            }
            normalize(z, a);
        }

        /** Adds this batch's statistics ({@code bn}'s, of {@code pixels} values per channel) to {@link #recorded}. */
        private void record(int pixels) {
            int c = conv.outChannels();
            if (recorded == null) {
                recorded = new RecordedStatistics(c);
            }
            for (int o = 0; o < c; o++) {
                recorded.sum[o] += (double) bn.mean[o] * pixels;
                recorded.squares[o] += ((double) bn.variance[o] + (double) bn.mean[o] * bn.mean[o]) * pixels;
            }
            recorded.pixels += pixels;
        }

        /** The recorded statistics as the running ones, γ and β rescaled to keep the eval-mode function. */
        void rebase() {
            BatchNorm norm = conv.batchNorm();
            float[] gamma = norm.gamma();
            float[] beta = norm.beta();
            float[] mean = norm.mean();
            float[] variance = norm.variance();
            double n = recorded.pixels;
            for (int o = 0; o < gamma.length; o++) {
                double m = recorded.sum[o] / n;
                double v = Math.max(0, recorded.squares[o] / n - m * m) * (n > 1 ? n / (n - 1) : 1);
                // eval-mode norm: y = s·z + t; the new one keeps s and t with its own μ and σ²
                double s = gamma[o] / Math.sqrt((double) variance[o] + norm.epsilon());
                double t = beta[o] - s * mean[o];
                gamma[o] = (float) (s * Math.sqrt(v + norm.epsilon()));
                beta[o] = (float) (s * m + t);
                mean[o] = (float) m;
                variance[o] = (float) v;
            }
        }

        /** {@code a = clamp(BN(z))} with the coefficients the forward computed ({@code a = z} without a norm). */
        void normalize(float[] z, float[] a) {
            if (bn == null) {
                copy(z, a);
                return;
            }
            int pixels = images * out.height() * out.width();
            int parts = parts();
            parallel((worker, part) -> bn.normalize(kernels, z, 0, pixels, lo, hi, a, 0, part, parts));
        }

        /** A block's inner tensors are separate arrays even without a norm: the activation is then z itself. */
        private void copy(float[] z, float[] a) {
            if (z != a) {
                System.arraycopy(z, 0, a, 0, images * outFloats());
            }
        }

        /**
         * Backward from {@code da} (the gradient of {@code a} before any residual add; overwritten with that of
         * {@code z}): the parameters' gradients, and the input's into {@code dx} when it is not null.
         */
        void backward(float[] x, int xOff, float[] z, float[] da, float[] dx, int dxOff, boolean accumulate) {
            int n = images;
            int parts = parts();
            int pixels = n * out.height() * out.width();
            if (bn != null) {
                parallel((worker, part) -> bn.parameterGradients(kernels, z, 0, da, 0, pixels, lo, hi, part, parts));
                if (gamma.updatable()) add(bn.gammaGradient, gamma.grad());
                if (beta.updatable()) add(bn.betaGradient, beta.grad());
                parallel((worker, part) -> bn.inputGradient(kernels, z, 0, da, 0, pixels, lo, hi, false, da, 0, part,
                        parts));
            } else if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) {
                int total = pixels * out.channels();
                parallel((worker, part) -> {
                    int i0 = Plan.Step.split(total, part, parts);
                    int i1 = Plan.Step.split(total, part + 1, parts);
                    ScalarKernels.clampGradient(z, i0, lo, hi, da, i0, da, i0, i1 - i0);
                });
            }
            if (bias != null && bias.updatable()) {
                parallel((worker, part) -> training.biasGradient(da, 0, n, bias.grad(), part, parts));
            }
            if (weight.updatable()) {
                parallel((worker, part) -> training.weightGradient(kernels, x, xOff, da, 0, n, weight.grad(),
                        workspaces[worker], part, parts));
            }
            if (dx != null) {
                parallel((worker, part) -> training.inputGradient(kernels, da, 0, n, accumulate, dx, dxOff,
                        workspaces[worker], part, parts));
            }
        }
    }

    /** A convolution node: keeps {@code z} (before the norm) beside its output. */
    private final class ConvStep extends Step {
        final ConvUnit unit;
        final float[] z;

        ConvStep(List<TensorData> ins, TensorData out, ConvUnit unit) {
            super(ins, out);
            this.unit = unit;
            this.z = unit.bn == null ? out.act : activation(out.imageFloats);
        }

        @Override
        List<ConvUnit> units() {
            return List.of(unit);
        }

        @Override
        void forward() {
            unit.forward(in().act, in().offset, z, out.act);
        }

        @Override
        void backward() {
            float[] dx = in().gradientNeeded ? in().grad : null;
            boolean accumulate = dx != null && in().accumulateGradient();
            // The output's gradient is complete and dead after this step: it becomes z's in place.
            unit.backward(in().act, in().offset, z, out.grad, dx, 0, accumulate);
        }
    }

    /** The shared block tensors of recompute mode, sized for the largest block. */
    private final class BlockScratch {
        final float[] expandedZ;
        final float[] expanded;
        final float[] depthwiseZ;
        final float[] depthwise;
        final float[] projectedZ;

        BlockScratch(long hiddenIn, long hiddenOut, long thin) {
            expandedZ = activation(hiddenIn);
            expanded = activation(hiddenIn);
            depthwiseZ = activation(hiddenOut);
            depthwise = activation(hiddenOut);
            projectedZ = activation(thin);
        }
    }

    /**
     * An inverted residual block: expansion (optional), depthwise and projection units, each with its norm;
     * shortcuts as the block's spec places them. Its tensors are its own, or the shared scratch in recompute
     * mode.
     */
    private final class BlockStep extends Step {
        final InvertedResidual block;
        final ConvUnit expand;
        final ConvUnit depthwise;
        final ConvUnit project;
        final boolean bottleneckResidual;
        final boolean expansionResidual;
        final float[] expandedZ;
        final float[] expanded;
        final float[] depthwiseZ;
        final float[] depthwiseOut;
        final float[] projectedZ;

        BlockStep(List<TensorData> ins, TensorData out, InvertedResidual block, BlockScratch shared) {
            super(ins, out);
            this.block = block;
            Shape x = in().shape;
            Shape hidden = block.expandedShape(x);
            expand = block.expand() == null ? null : unit(block.expand(), x);
            depthwise = unit(block.depthwise(), hidden);
            project = unit(block.project(), depthwise.out);
            bottleneckResidual = block.hasBottleneckResidual();
            expansionResidual = block.hasExpansionResidual();
            if (shared != null) {
                expandedZ = expand == null ? null : shared.expandedZ;
                expanded = expand == null ? null : shared.expanded;
                depthwiseZ = shared.depthwiseZ;
                depthwiseOut = shared.depthwise;
                projectedZ = shared.projectedZ;
            } else {
                expandedZ = expand == null ? null : activation(hidden.elements());
                expanded = expand == null ? null : activation(hidden.elements());
                depthwiseZ = activation(depthwise.out.elements());
                depthwiseOut = activation(depthwise.out.elements());
                projectedZ = activation(project.out.elements());
            }
        }

        @Override
        List<ConvUnit> units() {
            return expand == null ? List.of(depthwise, project) : List.of(expand, depthwise, project);
        }

        /** The depthwise's input: the expansion's output, or the block's input when t = 1. */
        private float[] hidden() {
            return expand == null ? in().act : expanded;
        }

        private int hiddenOffset() {
            return expand == null ? in().offset : 0;
        }

        @Override
        void forward() {
            if (expand != null) {
                expand.forward(in().act, in().offset, expandedZ, expanded);
            }
            depthwise.forward(hidden(), hiddenOffset(), depthwiseZ, depthwiseOut);
            if (expansionResidual) {
                addResidual(hidden(), hiddenOffset(), depthwiseOut, depthwise.outFloats());
            }
            project.forward(depthwiseOut, 0, projectedZ, out.act);
            if (bottleneckResidual) {
                addResidual(in().act, in().offset, out.act, out.imageFloats);
            }
        }

        private void addResidual(float[] from, int fromOff, float[] into, int imageFloats) {
            int total = images * imageFloats;
            int parts = parts();
            parallel((worker, part) -> {
                int i0 = Plan.Step.split(total, part, parts);
                int i1 = Plan.Step.split(total, part + 1, parts);
                ScalarKernels.addInto(from, fromOff + i0, into, i0, i1 - i0);
            });
        }

        /** The inner tensors again, from the kept input and batch statistics: the same bits as the forward's. */
        private void recomputeInner() {
            if (expand != null) {
                expand.convolve(in().act, in().offset, expandedZ);
                expand.normalize(expandedZ, expanded);
            }
            depthwise.convolve(hidden(), hiddenOffset(), depthwiseZ);
            depthwise.normalize(depthwiseZ, depthwiseOut);
            if (expansionResidual) {
                addResidual(hidden(), hiddenOffset(), depthwiseOut, depthwise.outFloats());
            }
            project.convolve(depthwiseOut, 0, projectedZ);
        }

        @Override
        void backward() {
            if (recompute) {
                recomputeInner();
            }
            TensorData x = in();
            boolean inputNeeded = x.gradientNeeded;
            float[] dy = out.grad;
            if (bottleneckResidual && inputNeeded) {
                // The shortcut's share, before dy becomes the projection's gradient in place.
                int n = images * out.imageFloats;
                if (x.accumulateGradient()) {
                    ScalarKernels.addInto(dy, 0, x.grad, 0, n);
                } else {
                    System.arraycopy(dy, 0, x.grad, 0, n);
                }
            }
            boolean belowNeeded = inputNeeded || depthwise.updatesParameters()
                    || (expand != null && expand.updatesParameters());
            float[] dDepthwise = belowNeeded ? gradientB : null;
            project.backward(depthwiseOut, 0, projectedZ, dy, dDepthwise, 0, false);
            if (!belowNeeded) {
                return;
            }
            // The depthwise's output gradient is complete; with the expansion shortcut it also flows to the input.
            float[] dHidden;
            int dHiddenOff;
            boolean accumulateHidden;
            if (expand != null) {
                dHidden = gradientA;
                dHiddenOff = 0;
                accumulateHidden = false;
            } else {
                dHidden = inputNeeded ? x.grad : null;
                dHiddenOff = 0;
                accumulateHidden = inputNeeded && x.accumulateGradient();
            }
            if (expansionResidual && dHidden != null) {
                int n = images * depthwise.outFloats();
                if (accumulateHidden) {
                    ScalarKernels.addInto(gradientB, 0, dHidden, dHiddenOff, n);
                } else {
                    System.arraycopy(gradientB, 0, dHidden, dHiddenOff, n);
                }
                accumulateHidden = true;
            }
            boolean expandNeeded = expand != null && (inputNeeded || expand.updatesParameters());
            depthwise.backward(hidden(), hiddenOffset(), depthwiseZ, gradientB,
                    expand != null && !expandNeeded ? null : dHidden, dHiddenOff, accumulateHidden);
            if (expandNeeded) {
                boolean accumulate = inputNeeded && x.accumulateGradient();
                expand.backward(x.act, x.offset, expandedZ, gradientA, inputNeeded ? x.grad : null, 0, accumulate);
            }
        }
    }

    /** The classifier: a dense layer over the batch's feature rows. */
    private final class DenseStep extends Step {
        final Dense dense;
        final ConvTraining training;
        final ConvTraining.Workspace[] workspaces;
        final Parameter weight;
        final Parameter bias;

        DenseStep(List<TensorData> ins, TensorData out, Dense dense) {
            super(ins, out);
            this.dense = dense;
            this.training = ConvTraining.dense(dense.spec());
            this.workspaces = new ConvTraining.Workspace[threads];
            for (int t = 0; t < threads; t++) {
                workspaces[t] = training.workspace();
            }
            weight = register(dense.name() + ".weight", ParameterKind.DENSE_WEIGHT,
                    new int[] {dense.inFeatures(), dense.outFeatures()}, dense.weight());
            bias = register(dense.name() + ".bias", ParameterKind.BIAS, new int[] {dense.outFeatures()}, dense.bias());
        }

        @Override
        boolean updatesParameters() {
            return weight.updatable() || bias.updatable();
        }

        @Override
        void forward() {
            int n = images;
            int parts = parts();
            float[] x = in().act;
            int xOff = in().offset;
            parallel((worker, part) -> training.forward(kernels, x, xOff, n, dense.bias(), Float.NEGATIVE_INFINITY,
                    Float.POSITIVE_INFINITY, out.act, 0, workspaces[worker], part, parts));
        }

        @Override
        void backward() {
            int n = images;
            int parts = parts();
            float[] dy = out.grad;
            if (bias.updatable()) {
                parallel((worker, part) -> training.biasGradient(dy, 0, n, bias.grad(), part, parts));
            }
            if (weight.updatable()) {
                parallel((worker, part) -> training.weightGradient(kernels, in().act, in().offset, dy, 0, n,
                        weight.grad(), workspaces[worker], part, parts));
            }
            if (in().gradientNeeded) {
                boolean accumulate = in().accumulateGradient();
                parallel((worker, part) -> training.inputGradient(kernels, dy, 0, n, accumulate, in().grad, 0,
                        workspaces[worker], part, parts));
            }
        }
    }

    /** Global average pooling ({@code pool} null) or a k×k average pool: parallel over images. */
    private final class PoolStep extends Step {
        final AveragePool pool;

        PoolStep(List<TensorData> ins, TensorData out, AveragePool pool) {
            super(ins, out);
            this.pool = pool;
        }

        @Override
        void forward() {
            Shape s = in().shape;
            int n = images;
            int parts = parts();
            parallel((worker, part) -> {
                for (int i = Plan.Step.split(n, part, parts); i < Plan.Step.split(n, part + 1, parts); i++) {
                    int src = in().offset + i * in().imageFloats;
                    int dst = i * out.imageFloats;
                    if (pool == null) {
                        kernels.globalAveragePool(in().act, src, s.height() * s.width(), s.channels(), out.act, dst);
                    } else {
                        ScalarKernels.averagePool(in().act, src, s.height(), s.width(), s.channels(),
                                pool.kernelHeight(), pool.kernelWidth(), pool.stride(), pool.rows(s.height()).before(),
                                pool.columns(s.width()).before(), out.act, dst, out.shape.width(), 0, out.shape.height());
                    }
                }
            });
        }

        @Override
        void backward() {
            if (!in().gradientNeeded) {
                return;
            }
            Shape s = in().shape;
            int n = images;
            int parts = parts();
            boolean accumulate = in().accumulateGradient();
            parallel((worker, part) -> {
                for (int i = Plan.Step.split(n, part, parts); i < Plan.Step.split(n, part + 1, parts); i++) {
                    int dx = i * in().imageFloats;
                    int dy = i * out.imageFloats;
                    if (pool == null) {
                        ScalarKernels.globalAveragePoolBackward(out.grad, dy, s.height() * s.width(), s.channels(),
                                accumulate, in().grad, dx, 0, s.height() * s.width());
                    } else {
                        ScalarKernels.averagePoolBackward(out.grad, dy, s.height(), s.width(), s.channels(),
                                pool.kernelHeight(), pool.kernelWidth(), pool.stride(), pool.rows(s.height()).before(),
                                pool.columns(s.width()).before(), out.shape.height(), out.shape.width(), accumulate,
                                in().grad, dx, 0, s.height());
                    }
                }
            });
        }
    }

    /** Inverted dropout with a mask drawn per step from the forward's seed and the layer's name. */
    private final class DropoutStep extends Step {
        final Dropout dropout;
        final float[] mask;
        final long salt;

        DropoutStep(List<TensorData> ins, TensorData out, Dropout dropout) {
            super(ins, out);
            this.dropout = dropout;
            this.mask = dropout.rate() > 0 ? activation(out.imageFloats) : null;
            this.salt = dropout.name().hashCode() * 0x9E3779B97F4A7C15L;
        }

        @Override
        void forward() {
            int total = images * out.imageFloats;
            if (mask == null) {
                System.arraycopy(in().act, in().offset, out.act, 0, total);
                return;
            }
            ScalarKernels.dropoutMask(dropoutSeed ^ salt, dropout.rate(), mask, 0, total);
            ScalarKernels.multiply(in().act, in().offset, mask, 0, false, out.act, 0, total);
        }

        @Override
        void backward() {
            if (!in().gradientNeeded) {
                return;
            }
            int total = images * out.imageFloats;
            boolean accumulate = in().accumulateGradient();
            if (mask == null) {
                if (accumulate) {
                    ScalarKernels.addInto(out.grad, 0, in().grad, 0, total);
                } else {
                    System.arraycopy(out.grad, 0, in().grad, 0, total);
                }
            } else {
                ScalarKernels.multiply(out.grad, 0, mask, 0, accumulate, in().grad, 0, total);
            }
        }
    }

    /** Channel concatenation: parallel over images. */
    private final class ConcatStep extends Step {
        ConcatStep(List<TensorData> ins, TensorData out) {
            super(ins, out);
        }

        @Override
        void forward() {
            int pixels = out.shape.height() * out.shape.width();
            int total = out.shape.channels();
            int at = 0;
            for (TensorData t : ins) {
                int c = t.shape.channels();
                int channelOffset = at;
                forEachImage(i -> ScalarKernels.interleave(t.act, t.offset + i * t.imageFloats, c, out.act,
                        i * out.imageFloats + channelOffset, total, 0, pixels));
                at += c;
            }
        }

        @Override
        void backward() {
            int pixels = out.shape.height() * out.shape.width();
            int total = out.shape.channels();
            int at = 0;
            for (TensorData t : ins) {
                int c = t.shape.channels();
                int channelOffset = at;
                at += c;
                if (!t.gradientNeeded) {
                    continue;
                }
                boolean accumulate = t.accumulateGradient();
                forEachImage(i -> ScalarKernels.deinterleave(out.grad, i * out.imageFloats + channelOffset, total,
                        accumulate, t.grad, i * t.imageFloats, c, 0, pixels));
            }
        }
    }

    private interface ImageJob {
        void run(int image);
    }

    private void forEachImage(ImageJob job) {
        int n = images;
        int parts = parts();
        parallel((worker, part) -> {
            for (int i = Plan.Step.split(n, part, parts); i < Plan.Step.split(n, part + 1, parts); i++) {
                job.run(i);
            }
        });
    }

    /** Bilinear resize (TFLite's coordinates): parallel over images. */
    private final class ResizeStep extends Step {
        final ResizeBilinear.Taps rows;
        final ResizeBilinear.Taps columns;

        ResizeStep(List<TensorData> ins, TensorData out, ResizeBilinear resize) {
            super(ins, out);
            Shape s = in().shape;
            rows = resize.taps(s.height(), out.shape.height());
            columns = resize.taps(s.width(), out.shape.width());
        }

        @Override
        void forward() {
            Shape s = in().shape;
            forEachImage(i -> ScalarKernels.resizeBilinear(in().act, in().offset + i * in().imageFloats, s.width(),
                    s.channels(), rows, columns, out.act, i * out.imageFloats, 0, out.shape.height()));
        }

        @Override
        void backward() {
            if (!in().gradientNeeded) {
                return;
            }
            Shape s = in().shape;
            boolean accumulate = in().accumulateGradient();
            forEachImage(i -> ScalarKernels.resizeBilinearBackward(out.grad, i * out.imageFloats, s.width(),
                    s.channels(), rows, columns, accumulate, in().grad, i * in().imageFloats, 0, s.height()));
        }
    }
}
