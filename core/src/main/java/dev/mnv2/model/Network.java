package dev.mnv2.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A network definition: a graph of {@link Node}s in execution order, each reading tensors named after the
 * layers that made them (or {@link #INPUT}), and the tensors it hands out ({@link #outputs()}, the first
 * one being the main output). A classifier is the MobileNetV2 backbone ({@code features.*}) with the
 * classification head of Table 2; {@link DeepLabV3} puts a segmentation head on the same backbone.
 * Holds parameters but no execution state; run it with {@link dev.mnv2.exec.Predictor}.
 *
 * <p>Every node's output is a tensor that can be asked for; an inverted residual block also names its
 * expanded tensor after its expansion convolution ({@code features.15.conv.0.0}, the tensor SSDLite's
 * first head reads).
 */
public final class Network {
    /** Name of the network's input tensor. */
    public static final String INPUT = "input";

    private final NetworkConfig config;
    private final Shape input;
    private final List<Node> nodes;
    private final List<String> outputs;
    private final List<String> labels;
    private final Map<String, Shape> shapes;

    public Network(NetworkConfig config, Shape input, List<Node> nodes, List<String> outputs, List<String> labels) {
        this.config = Objects.requireNonNull(config, "config");
        this.input = Objects.requireNonNull(input, "input");
        this.nodes = List.copyOf(nodes);
        this.outputs = List.copyOf(outputs);
        this.labels = List.copyOf(labels);
        Map<String, Shape> known = new LinkedHashMap<>();
        known.put(INPUT, input);
        for (Node node : this.nodes) {
            List<Shape> in = new ArrayList<>(node.inputs().size());
            for (String name : node.inputs()) {
                Shape s = known.get(name);
                if (s == null) {
                    throw new IllegalArgumentException(node.name() + " reads " + name
                            + ", which no earlier node makes");
                }
                in.add(s);
            }
            if (node.layer() instanceof InvertedResidual block && block.expand() != null) {
                define(known, block.expand().name(), block.expand().outputShape(in.get(0)));
            }
            define(known, node.name(), node.layer().spec().outputShape(in));
        }
        if (this.outputs.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one output");
        }
        for (String name : this.outputs) {
            if (!known.containsKey(name)) {
                throw new IllegalArgumentException("output " + name + " is no tensor of the network");
            }
        }
        this.shapes = Collections.unmodifiableMap(known);
        if (!this.labels.isEmpty() && this.labels.size() != outputShape().channels()) {
            throw new IllegalArgumentException(
                    this.labels.size() + " labels given for " + outputShape().channels() + " outputs");
        }
    }

    private static void define(Map<String, Shape> known, String name, Shape shape) {
        if (known.put(name, shape) != null) {
            throw new IllegalArgumentException("two tensors are named " + name);
        }
    }

    /** A chain of layers, each reading the previous one's output; the last one's output is the network's. */
    public static Network sequential(NetworkConfig config, Shape input, List<Node> chain, List<String> labels) {
        return new Network(config, input, chain, List.of(chain.get(chain.size() - 1).name()), labels);
    }

    public NetworkConfig config() {
        return config;
    }

    public Shape input() {
        return input;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** The tensors a run hands out; the first is the main output (a classifier's logits). */
    public List<String> outputs() {
        return outputs;
    }

    /** Class labels of the main output's channels, or empty when unknown. */
    public List<String> labels() {
        return labels;
    }

    /** Every tensor's shape for one image, by name, in the order they are made (the input first). */
    public Map<String, Shape> tensorShapes() {
        return shapes;
    }

    /** Shape of the tensor {@code name} for one image. */
    public Shape shape(String name) {
        Shape s = shapes.get(name);
        if (s == null) {
            throw new IllegalArgumentException("the network has no tensor named " + name);
        }
        return s;
    }

    /** Shapes of the tensors {@code node} reads. */
    public List<Shape> inputShapes(Node node) {
        return node.inputs().stream().map(this::shape).toList();
    }

    /** All layers in execution order. */
    public List<Layer> layers() {
        return nodes.stream().map(Node::layer).toList();
    }

    /** All convolutions in execution order, block-internal ones included. */
    public List<Conv2d> convolutions() {
        List<Conv2d> convs = new ArrayList<>();
        for (Layer layer : layers()) {
            if (layer instanceof Conv2d conv) {
                convs.add(conv);
            } else if (layer instanceof InvertedResidual block) {
                if (block.expand() != null) {
                    convs.add(block.expand());
                }
                convs.add(block.depthwise());
                convs.add(block.project());
            }
        }
        return convs;
    }

    /** Shape of the main output for one image. */
    public Shape outputShape() {
        return shape(outputs.get(0));
    }

    /** Channels of the main output: a classifier's class count. */
    public int classes() {
        return outputShape().channels();
    }

    /** What this network computes, without its parameters. */
    public NetworkSpec spec() {
        return new NetworkSpec(config, input,
                nodes.stream().map(n -> new NodeSpec(n.layer().spec(), n.inputs(), n.row())).toList(), outputs);
    }

    public long parameters() {
        return spec().parameters();
    }

    public long parametersWithoutBatchNorm() {
        return spec().parametersWithoutBatchNorm();
    }

    /** Multiply-accumulates of every conv and fully-connected layer for one image. */
    public long macs() {
        return spec().macs();
    }

    /** The same network with every convolution replaced by {@code f(conv)}. */
    public Network mapConvolutions(UnaryOperator<Conv2d> f) {
        List<Node> mapped = new ArrayList<>(nodes.size());
        for (Node node : nodes) {
            Layer layer = node.layer();
            if (layer instanceof Conv2d conv) {
                layer = f.apply(conv);
            } else if (layer instanceof InvertedResidual b) {
                layer = b.withConvs(b.expand() == null ? null : f.apply(b.expand()), f.apply(b.depthwise()),
                        f.apply(b.project()));
            }
            mapped.add(node.withLayer(layer));
        }
        return new Network(config, input, mapped, outputs, labels);
    }

    /** The same network with every batch norm folded into its convolution (weights copied). */
    public Network foldBatchNorm() {
        return mapConvolutions(Conv2d::foldBatchNorm);
    }

    public Network withLabels(List<String> newLabels) {
        return new Network(config, input, nodes, outputs, newLabels);
    }

    /** The same graph handing out {@code names} (any tensors of it, inner ones included) instead. */
    public Network withOutputs(List<String> names) {
        return new Network(config, input, nodes, names, labels);
    }

    /**
     * This network followed by {@code layer}, which reads the main output and becomes the only output
     * (a task's last step, such as {@link ArgMax} on segmentation logits).
     */
    public Network then(Layer layer) {
        List<Node> extended = new ArrayList<>(nodes);
        extended.add(new Node(layer, List.of(outputs.get(0)), null));
        return new Network(config, input, extended, List.of(layer.name()), List.of());
    }

    /**
     * The same parameters (shared, not copied) at input size {@code height × width}: the layers of the new
     * size's architecture, each replaced by this network's layer of the same name. Convolutions do not depend
     * on the input size; a head that does (DeepLab's image pooling) gets the new size's layer, which has no
     * parameters.
     *
     * @throws IllegalArgumentException if the size is below the architecture's minimum
     */
    public Network withResolution(int height, int width) {
        Network resized = config.withResolution(height, width).create();
        Map<String, Layer> mine = new HashMap<>();
        for (Node node : nodes) {
            mine.put(node.name(), node.layer());
        }
        List<Node> mapped = new ArrayList<>(resized.nodes.size());
        for (Node node : resized.nodes) {
            Layer own = mine.get(node.name());
            boolean parameterised = own instanceof Conv2d || own instanceof InvertedResidual || own instanceof Dense;
            mapped.add(parameterised ? node.withLayer(own) : node);
        }
        return new Network(resized.config, resized.input, mapped, outputs, labels);
    }

    /**
     * This network with a new classifier for {@code newLabels} ({@code classifier.1}, weights N(0, 0.01) drawn
     * from {@code seed} and zero bias, as torchvision initialises it); every other layer is shared.
     */
    public Network withClassifier(List<String> newLabels, long seed) {
        Dense old = classifier();
        Dense fresh = Dense.zeros(old.name(), old.inFeatures(), newLabels.size());
        Initializer.fillNormal(fresh.weight(), 0.01, new java.util.SplittableRandom(seed));
        List<Node> mapped = new ArrayList<>(nodes.size());
        for (Node node : nodes) {
            mapped.add(node.layer() == old ? node.withLayer(fresh) : node);
        }
        return new Network(config.withClasses(newLabels.size()), input, mapped, outputs, newLabels);
    }

    /** The classification head's fully connected layer (the last dense layer). */
    public Dense classifier() {
        List<Layer> all = layers();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i) instanceof Dense dense) {
                return dense;
            }
        }
        throw new IllegalStateException("network has no classifier");
    }

    @Override
    public String toString() {
        return config.architecture() + " " + input + " -> " + outputs;
    }
}
