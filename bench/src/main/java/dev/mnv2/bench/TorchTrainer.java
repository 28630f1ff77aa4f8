package dev.mnv2.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.exec.Tensor;
import dev.mnv2.interop.TorchLayout;
import dev.mnv2.load.WeightLayout;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.train.ParameterKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The gradient referee: an mnv2 {@link Network} rebuilt from its own weights as PyTorch operators (libtorch 2.7.1
 * through DJL), trained with PyTorch's autograd, so that mnv2's trainer can be compared with it on the same
 * weights, batch and labels.
 *
 * <p>What it computes, in torchvision's terms: every convolution is {@code conv2d} (groups for the depthwise,
 * TensorFlow SAME padding that is asymmetric done as an explicit {@code constant_pad_nd} first), followed by
 * {@code BatchNorm2d} in training mode ({@code torch.batch_norm} with the batch's biased variance for the
 * normalisation, and the running statistics updated as {@code (1 − m)·running + m·batch}, the running variance
 * with the batch's <em>unbiased</em> variance, m = {@link Builder#batchNormMomentum}, ε the network's own), then
 * ReLU6 ({@code relu} then {@code minimum(6)}: no gradient where the input is ≤ 0 or > 6, half of it at exactly 6);
 * residual adds; {@code adaptive_avg_pool2d}; {@code linear}. The
 * loss is {@link dev.mnv2.train.SoftmaxCrossEntropy}'s, written as torch operators: {@code −Σ_k q_k
 * log_softmax(z)_k} with {@code q = (1 − ε)·onehot + ε/K}, averaged over the batch. Dropout is refused unless its
 * rate is 0: two engines cannot draw the same masks.
 *
 * <p>Parameters are leaf tensors that require gradients, in PyTorch's layouts; everything this class hands out
 * is keyed by the torchvision state-dict name ({@code features.3.conv.1.0.weight}, {@code features.3.conv.1.1.bias},
 * {@code classifier.1.weight}) and laid out as mnv2 stores the array (HWIO convolutions, {@code [in][out]} dense
 * weights), as doubles (exact for the float32 run). The batch is uploaded once. Not thread-safe; libtorch's
 * thread count is set for the whole process.
 */
final class TorchTrainer implements AutoCloseable {
    private final Network network;
    private final NDManager manager;
    private final DataType dataType;
    private final int[] labels;
    private final double labelSmoothing;
    private final double batchNormMomentum;
    private final NDArray input;
    private final NDArray target;
    /**
     * ReLU6's bound as a tensor that lives as long as the trainer. DJL's {@code minimum(Number)} wraps the number in
     * a tensor over Java memory and closes it on return, while autograd keeps it for the backward: once the JVM
     * frees that memory the backward reads garbage (zero gradients below some ReLU6, or a crash).
     */
    private final NDArray six;
    /** Trainable tensors in the network's order, by torchvision name. */
    private final Map<String, TorchParameter> parameters = new LinkedHashMap<>();
    /** Running means and variances, by torchvision name. */
    private final Map<String, TorchParameter> statistics = new LinkedHashMap<>();
    private final Map<String, NDArray> momentumBuffers = new HashMap<>();
    private long forwardBytes;

    /**
     * One tensor of the network, in PyTorch's layout, and how it maps to mnv2's array.
     *
     * @param mnv2Shape the dimensions of mnv2's array (HWIO for a convolution, {@code [in][out]} for a dense weight)
     * @param toMnv2 the permutation of the torch tensor's axes that gives mnv2's layout
     */
    private record TorchParameter(String name, ParameterKind kind, NDArray value, Shape mnv2Shape, int[] toMnv2) {
        /** Inverse of {@link #toMnv2}. */
        int[] toTorch() {
            int[] inverse = new int[toMnv2.length];
            for (int i = 0; i < toMnv2.length; i++) {
                inverse[toMnv2[i]] = i;
            }
            return inverse;
        }
    }

    /** The result of one training-mode forward and backward, without an update. */
    record Step(double loss, Map<String, double[]> gradients, Map<String, double[]> runningStatistics) {}

    /** How a forward treats batch norm. */
    private enum Mode {
        /** Batch statistics; running statistics updated, as {@code model.train()}. */
        TRAIN,
        /** Batch statistics; running statistics left alone (for extra looks at the same step). */
        TRAIN_KEEP_STATISTICS,
        /** Running statistics, as {@code model.eval()}. */
        EVAL
    }

    static Builder builder(Network network, Tensor images, int[] labels) {
        return new Builder(network, images, labels);
    }

    /** Options of a {@link TorchTrainer}. */
    static final class Builder {
        private final Network network;
        private final Tensor images;
        private final int[] labels;
        private int threads = 1;
        private DataType dataType = DataType.FLOAT32;
        private double labelSmoothing = 0.1;
        private double batchNormMomentum = 0.1;

        private Builder(Network network, Tensor images, int[] labels) {
            this.network = Objects.requireNonNull(network, "network");
            this.images = Objects.requireNonNull(images, "images");
            this.labels = labels.clone();
        }

        /** libtorch intra-op threads ({@code torch.set_num_threads}); applies to the whole process. */
        Builder threads(int count) {
            this.threads = count;
            return this;
        }

        /** float64 instead of float32 throughout (parameters, batch, loss), for finite differences. */
        Builder float64(boolean on) {
            this.dataType = on ? DataType.FLOAT64 : DataType.FLOAT32;
            return this;
        }

        /** Label smoothing ε of the loss; 0.1 (the paper's recipe) unless set. */
        Builder labelSmoothing(double epsilon) {
            this.labelSmoothing = epsilon;
            return this;
        }

        /** PyTorch's batch-norm momentum m (running = (1 − m)·running + m·batch); torchvision's 0.1 unless set. */
        Builder batchNormMomentum(double momentum) {
            this.batchNormMomentum = momentum;
            return this;
        }

        TorchTrainer build() {
            return new TorchTrainer(this);
        }
    }

    private TorchTrainer(Builder b) {
        network = b.network;
        dataType = b.dataType;
        labels = b.labels;
        labelSmoothing = b.labelSmoothing;
        batchNormMomentum = b.batchNormMomentum;
        if (b.images.batch() != labels.length) {
            throw new IllegalArgumentException(b.images.batch() + " images but " + labels.length + " labels");
        }
        if (!b.images.shape().equals(network.input())) {
            throw new IllegalArgumentException("images are " + b.images.shape() + ", the network takes " + network.input());
        }
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch before the JNI calls below
        JniUtils.setNumThreads(b.threads);
        JniUtils.setGradMode(false);
        manager = NDManager.newBaseManager("PyTorch");
        for (Node node : network.nodes()) {
            addParameters(node.layer());
        }
        dev.mnv2.model.Shape s = b.images.shape();
        input = owned(manager.create(Images.toNchw(b.images),
                new Shape(b.images.batch(), s.channels(), s.height(), s.width())));
        int classes = network.classes();
        double[] q = new double[labels.length * classes];
        for (int n = 0; n < labels.length; n++) {
            if (labels[n] < 0 || labels[n] >= classes) {
                throw new IllegalArgumentException("label " + labels[n] + " is outside [0, " + classes + ")");
            }
            for (int k = 0; k < classes; k++) {
                q[n * classes + k] = (k == labels[n] ? 1 - labelSmoothing : 0) + labelSmoothing / classes;
            }
        }
        target = owned(manager.create(q, new Shape(labels.length, classes)));
        six = manager.full(new Shape(), 6, dataType);
    }

    private void addParameters(Layer layer) {
        if (layer instanceof Conv2d conv) {
            addConv(conv);
        } else if (layer instanceof InvertedResidual block) {
            if (block.expand() != null) {
                addConv(block.expand());
            }
            addConv(block.depthwise());
            addConv(block.project());
        } else if (layer instanceof Dense dense) {
            add(parameters, dense.name() + ".weight", ParameterKind.DENSE_WEIGHT, WeightLayout.OIHW.weightOf(dense),
                    new Shape(dense.outFeatures(), dense.inFeatures()), new Shape(dense.inFeatures(), dense.outFeatures()),
                    new int[] {1, 0});
            addVector(parameters, dense.name() + ".bias", ParameterKind.BIAS, dense.bias());
        } else if (layer instanceof Dropout dropout) {
            if (dropout.rate() != 0) {
                throw new IllegalArgumentException(dropout.name() + ": dropout " + dropout.rate() + " draws random "
                        + "masks that two engines cannot share; build the network with dropout 0");
            }
        } else if (!(layer instanceof GlobalAveragePool)) {
            throw new IllegalArgumentException("the torch referee has no operator for " + layer.name() + " ("
                    + layer.getClass().getSimpleName() + ")");
        }
    }

    private void addConv(Conv2d conv) {
        ParameterKind kind = conv.isDepthwise() ? ParameterKind.DEPTHWISE_WEIGHT : ParameterKind.CONV_WEIGHT;
        int k = conv.kernel();
        add(parameters, conv.name() + ".weight", kind, WeightLayout.OIHW.weightOf(conv),
                new Shape(TorchLayout.convWeightShape(conv.spec())), new Shape(k, k, conv.inPerGroup(), conv.outChannels()),
                new int[] {2, 3, 1, 0});
        if (conv.bias() != null) {
            addVector(parameters, conv.name() + ".bias", ParameterKind.BIAS, conv.bias());
        }
        BatchNorm bn = conv.batchNorm();
        if (bn != null) {
            String name = ConvSpec.batchNormName(conv.name());
            addVector(parameters, name + ".weight", ParameterKind.NORM_WEIGHT, bn.gamma());
            addVector(parameters, name + ".bias", ParameterKind.NORM_BIAS, bn.beta());
            addVector(statistics, name + ".running_mean", ParameterKind.NORM_STATISTIC, bn.mean());
            addVector(statistics, name + ".running_var", ParameterKind.NORM_STATISTIC, bn.variance());
        }
    }

    private void addVector(Map<String, TorchParameter> into, String name, ParameterKind kind, float[] values) {
        Shape shape = new Shape(values.length);
        add(into, name, kind, values, shape, shape, new int[] {0});
    }

    private void add(Map<String, TorchParameter> into, String name, ParameterKind kind, float[] torchLayout,
                     Shape torchShape, Shape mnv2Shape, int[] toMnv2) {
        NDArray value = owned(manager.create(torchLayout, torchShape));
        if (kind.trainable()) {
            value.setRequiresGradient(true);
        }
        if (into.put(name, new TorchParameter(name, kind, value, mnv2Shape, toMnv2)) != null) {
            throw new IllegalArgumentException("two tensors are named " + name);
        }
    }

    /**
     * A copy of {@code created} in the trainer's precision whose memory libtorch owns. DJL's {@code create} wraps
     * Java memory, freed once its wrapper is closed or collected while torch may still hold the tensor (see
     * {@link #six}); the wrapper is closed here.
     */
    private NDArray owned(NDArray created) {
        NDArray copy = created.duplicate(); // torch's clone(); DJL's toType(same type, copy = true) copies nothing
        created.close();
        NDArray typed = copy.toType(dataType, false);
        if (typed != copy) {
            copy.close();
        }
        return typed;
    }

    /** Names of the trainable tensors, in the network's order. */
    List<String> parameterNames() {
        return List.copyOf(parameters.keySet());
    }

    /** What kind of tensor {@code name} is (to build mnv2 {@link dev.mnv2.train.Parameter}s alike). */
    ParameterKind kind(String name) {
        TorchParameter p = parameters.containsKey(name) ? parameters.get(name) : statistics.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no tensor named " + name);
        }
        return p.kind();
    }

    /**
     * One forward in training mode and its backward: the loss, every parameter's gradient and the running
     * statistics as they are after the step (updated by this forward, as one PyTorch training step does).
     */
    Step step() {
        try (NDManager scope = manager.newSubManager()) {
            double loss = backward(scope);
            Map<String, double[]> gradients = new LinkedHashMap<>();
            for (TorchParameter p : parameters.values()) {
                try (NDArray gradient = p.value().getGradient()) {
                    gradients.put(p.name(), toMnv2(gradient, p));
                }
            }
            return new Step(loss, gradients, statisticsInMnv2Layout());
        }
    }

    /**
     * {@code steps} training steps of {@code torch.optim.SGD(params, lr, momentum, weight_decay)} (dampening 0,
     * no Nesterov, one parameter group: every trainable tensor decayed, as mnv2's
     * {@code WeightDecay.allParameters}), each a forward and backward on the batch then the update; returns
     * {@link #state()} after the last.
     */
    Map<String, double[]> sgdSteps(int steps, double learningRate, double momentum, double weightDecay) {
        for (int i = 0; i < steps; i++) {
            sgdStep(learningRate, momentum, weightDecay);
        }
        return state();
    }

    /**
     * One training step as a PyTorch loop runs it (forward, loss, backward, {@code optimizer.step()}), in
     * torch.optim.SGD's single-tensor order: {@code d = g + λ·w}; {@code b = d} on the first step, else
     * {@code b = μ·b + d}; {@code w = w − lr·b}. torch fuses the last line as {@code w.add_(b, alpha=−lr)}; here it
     * is a product then a subtraction, which can differ in the last bit.
     */
    void sgdStep(double learningRate, double momentum, double weightDecay) {
        try (NDManager scope = manager.newSubManager()) {
            backward(scope);
            for (TorchParameter p : parameters.values()) {
                NDArray w = p.value();
                w.tempAttach(scope);
                NDArray d = w.getGradient();
                if (weightDecay != 0) {
                    d = d.add(w.mul(weightDecay));
                }
                if (momentum != 0) {
                    NDArray buffer = momentumBuffers.get(p.name());
                    if (buffer == null) {
                        buffer = d.duplicate();
                        buffer.attach(manager);
                        momentumBuffers.put(p.name(), buffer);
                    } else {
                        buffer.tempAttach(scope);
                        buffer.muli(momentum).addi(d);
                    }
                    d = buffer;
                }
                w.subi(d.mul(learningRate));
            }
        }
    }

    /** Zeroes the gradients, runs the training forward and the backward; the loss. Grad mode is off afterwards. */
    private double backward(NDManager scope) {
        for (TorchParameter p : parameters.values()) {
            JniUtils.zeroGrad((PtNDArray) p.value());
        }
        try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
            NDArray loss = loss(forward(scope, Mode.TRAIN, Map.of()).get(network.outputs().get(0)));
            collector.backward(loss);
            return loss.toType(DataType.FLOAT64, false).getDouble();
        }
    }

    /**
     * The training-mode loss at the current weights plus {@code offsets} (mnv2 layout, by name; the others
     * unchanged), without gradients and without touching the running statistics: for finite differences.
     */
    double loss(Map<String, double[]> offsets) {
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> shifted = new HashMap<>();
            for (Map.Entry<String, double[]> e : offsets.entrySet()) {
                TorchParameter p = parameters.get(e.getKey());
                if (p == null) {
                    throw new IllegalArgumentException("no trainable tensor named " + e.getKey());
                }
                NDArray offset = scope.create(e.getValue(), p.mnv2Shape()).toType(dataType, false)
                        .transpose(p.toTorch());
                NDArray moved = p.value().add(offset);
                moved.attach(scope);
                shifted.put(p.name(), moved);
            }
            NDArray logits = forward(scope, Mode.TRAIN_KEEP_STATISTICS, shifted).get(network.outputs().get(0));
            return loss(logits).toType(DataType.FLOAT64, false).getDouble();
        }
    }

    /**
     * The tensors {@code names} (mnv2 tensor names, e.g. {@code pool}, {@code classifier.1}) of a training-mode
     * forward at the current weights that leaves the running statistics alone, as {@code [batch][values]} in
     * NCHW order per image.
     */
    Map<String, double[][]> trainingTensors(List<String> names) {
        return tensors(Mode.TRAIN_KEEP_STATISTICS, names);
    }

    /** The network's main output in eval mode (running statistics), {@code [batch][classes]}. */
    double[][] evalLogits() {
        return tensors(Mode.EVAL, network.outputs().subList(0, 1)).get(network.outputs().get(0));
    }

    private Map<String, double[][]> tensors(Mode mode, List<String> names) {
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> all = forward(scope, mode, Map.of());
            Map<String, double[][]> out = new LinkedHashMap<>();
            for (String name : names) {
                NDArray t = all.get(name);
                if (t == null) {
                    throw new IllegalArgumentException("the forward makes no tensor named " + name);
                }
                int batch = (int) t.getShape().get(0);
                double[] flat = t.toType(DataType.FLOAT64, false).toDoubleArray();
                int per = flat.length / batch;
                double[][] rows = new double[batch][per];
                for (int n = 0; n < batch; n++) {
                    System.arraycopy(flat, n * per, rows[n], 0, per);
                }
                out.put(name, rows);
            }
            return out;
        }
    }

    /** Every trainable tensor and running statistic now, mnv2 layout, by torchvision name (parameters first). */
    Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        for (TorchParameter p : parameters.values()) {
            state.put(p.name(), toMnv2(p.value(), p));
        }
        state.putAll(statisticsInMnv2Layout());
        return state;
    }

    /** Overwrites the named tensors (mnv2 layout) in place; names not given keep their values. */
    void load(Map<String, float[]> values) {
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, float[]> e : values.entrySet()) {
                TorchParameter p = parameters.containsKey(e.getKey()) ? parameters.get(e.getKey()) : statistics.get(e.getKey());
                if (p == null) {
                    throw new IllegalArgumentException("no tensor named " + e.getKey());
                }
                NDArray torchLayout = scope.create(e.getValue(), p.mnv2Shape()).transpose(p.toTorch())
                        .toType(dataType, false);
                p.value().set(torchLayout.toByteBuffer());
            }
        }
    }

    /** Bytes of the tensors the last training forward made (autograd holds them until the backward). */
    long forwardTensorBytes() {
        return forwardBytes;
    }

    private Map<String, double[]> statisticsInMnv2Layout() {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (TorchParameter p : statistics.values()) {
            out.put(p.name(), toMnv2(p.value(), p));
        }
        return out;
    }

    private double[] toMnv2(NDArray torchLayout, TorchParameter p) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray view = torchLayout.transpose(p.toMnv2());
            view.attach(scope);
            NDArray wide = view.toType(DataType.FLOAT64, true);
            wide.attach(scope);
            return wide.toDoubleArray();
        }
    }

    private NDArray loss(NDArray logits) {
        NDArray logProbabilities = logits.logSoftmax(1);
        return logProbabilities.mul(target).sum(new int[] {1}).mean().neg();
    }

    /** Runs the network; every tensor it makes, by mnv2 name (the input included). */
    private Map<String, NDArray> forward(NDManager scope, Mode mode, Map<String, NDArray> replaced) {
        input.tempAttach(scope);
        if (mode == Mode.TRAIN) {
            forwardBytes = 0;
        }
        Map<String, NDArray> tensors = new HashMap<>();
        tensors.put(Network.INPUT, input);
        for (Node node : network.nodes()) {
            NDArray x = tensors.get(node.inputs().get(0));
            Layer layer = node.layer();
            NDArray y;
            if (layer instanceof Conv2d conv) {
                y = conv(conv, x, mode, replaced);
            } else if (layer instanceof InvertedResidual block) {
                NDArray expanded = x;
                if (block.expand() != null) {
                    expanded = conv(block.expand(), x, mode, replaced);
                    tensors.put(block.expand().name(), expanded);
                }
                NDArray d = conv(block.depthwise(), expanded, mode, replaced);
                if (block.hasExpansionResidual()) {
                    d = counted(d.add(expanded), mode);
                }
                y = conv(block.project(), d, mode, replaced);
                if (block.hasBottleneckResidual()) {
                    y = counted(y.add(x), mode);
                }
            } else if (layer instanceof GlobalAveragePool) {
                // adaptive_avg_pool2d to 1x1 as torchvision does, then flatten to (batch, channels).
                y = counted(JniUtils.adaptiveAvgPool((PtNDArray) x, new Shape(1, 1)), mode)
                        .reshape(x.getShape().get(0), x.getShape().get(1));
            } else if (layer instanceof Dropout) {
                y = x; // rate 0, checked when built
            } else if (layer instanceof Dense dense) {
                y = counted(JniUtils.linear((PtNDArray) x, (PtNDArray) value(dense.name() + ".weight", replaced),
                        (PtNDArray) value(dense.name() + ".bias", replaced)), mode);
            } else {
                throw new IllegalStateException("no operator for " + layer.name()); // refused when built
            }
            tensors.put(layer.name(), y);
        }
        return tensors;
    }

    private NDArray conv(Conv2d conv, NDArray x, Mode mode, Map<String, NDArray> replaced) {
        var rows = conv.resolve((int) x.getShape().get(2));
        var cols = conv.resolve((int) x.getShape().get(3));
        Shape padding;
        if (rows.before() == rows.after() && cols.before() == cols.after()) {
            padding = new Shape(rows.before(), cols.before());
        } else {
            // TensorFlow SAME with the extra row and column at the bottom and right: torch pads symmetrically only.
            x = counted(x.pad(new Shape(cols.before(), cols.after(), rows.before(), rows.after()), 0), mode);
            padding = new Shape(0, 0);
        }
        NDArray bias = conv.bias() == null ? null : value(conv.name() + ".bias", replaced);
        NDArray y = counted(JniUtils.convolution((PtNDArray) x, (PtNDArray) value(conv.name() + ".weight", replaced),
                (PtNDArray) bias, new Shape(conv.stride(), conv.stride()), padding,
                new Shape(conv.dilation(), conv.dilation()), conv.groups()), mode);
        BatchNorm bn = conv.batchNorm();
        if (bn != null) {
            String name = ConvSpec.batchNormName(conv.name());
            NDArray mean = statistics.get(name + ".running_mean").value();
            NDArray variance = statistics.get(name + ".running_var").value();
            if (mode == Mode.TRAIN_KEEP_STATISTICS) {
                mean = mean.duplicate();
                variance = variance.duplicate();
                mean.attach(y.getManager());
                variance.attach(y.getManager());
            }
            y = counted(JniUtils.batchNorm((PtNDArray) y, (PtNDArray) mean, (PtNDArray) variance,
                    (PtNDArray) value(name + ".weight", replaced), (PtNDArray) value(name + ".bias", replaced),
                    mode != Mode.EVAL, batchNormMomentum, bn.epsilon()), mode);
        }
        return switch (conv.activation()) {
            case IDENTITY -> y;
            case RELU -> counted(Activation.relu(y), mode);
            case RELU6 -> {
                NDArray positive = counted(Activation.relu(y), mode);
                yield counted(positive.minimum(six), mode);
            }
        };
    }

    private NDArray value(String name, Map<String, NDArray> replaced) {
        NDArray r = replaced.get(name);
        return r != null ? r : parameters.get(name).value();
    }

    /** {@code t}, its bytes added to {@link #forwardTensorBytes()} when the forward trains. */
    private NDArray counted(NDArray t, Mode mode) {
        if (mode == Mode.TRAIN) {
            forwardBytes += t.getShape().size() * t.getDataType().getNumOfBytes();
        }
        return t;
    }

    @Override
    public void close() {
        manager.close();
    }
}
