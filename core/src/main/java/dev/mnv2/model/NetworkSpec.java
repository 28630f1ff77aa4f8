package dev.mnv2.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A network's architecture without its parameters: configuration, input shape and the graph of layer specs
 * (tensors named after the layers that make them, as in {@link Network}) with its outputs. Shapes,
 * parameter counts and multiply-accumulates of any configuration come from here without allocating a
 * weight; {@link #create()} allocates them.
 */
public final class NetworkSpec {
    private final NetworkConfig config;
    private final Shape input;
    private final List<NodeSpec> nodes;
    private final List<String> outputs;
    private final Map<String, Shape> shapes;

    public NetworkSpec(NetworkConfig config, Shape input, List<NodeSpec> nodes, List<String> outputs) {
        this.config = Objects.requireNonNull(config, "config");
        this.input = Objects.requireNonNull(input, "input");
        this.nodes = List.copyOf(nodes);
        this.outputs = List.copyOf(outputs);
        Map<String, Shape> known = new LinkedHashMap<>();
        known.put(Network.INPUT, input);
        for (NodeSpec node : this.nodes) {
            List<Shape> in = new ArrayList<>(node.inputs().size());
            for (String name : node.inputs()) {
                Shape s = known.get(name);
                if (s == null) {
                    throw new IllegalArgumentException(node.name() + " reads " + name + ", which no earlier node makes");
                }
                in.add(s);
            }
            if (node.spec() instanceof BlockSpec block && block.expand() != null) {
                define(known, block.expand().name(), block.expand().outputShape(in.get(0)));
            }
            define(known, node.name(), node.spec().outputShape(in));
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
    }

    private static void define(Map<String, Shape> known, String name, Shape shape) {
        if (known.put(name, shape) != null) {
            throw new IllegalArgumentException("two tensors are named " + name);
        }
    }

    /** A chain of layer specs, each reading the previous one's output; the last one's is the network's. */
    public static NetworkSpec sequential(NetworkConfig config, Shape input, List<NodeSpec> chain) {
        return new NetworkSpec(config, input, chain, List.of(chain.get(chain.size() - 1).name()));
    }

    public NetworkConfig config() {
        return config;
    }

    public Shape input() {
        return input;
    }

    public List<NodeSpec> nodes() {
        return nodes;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** Every tensor's shape for one image, by name, in the order they are made (the input first). */
    public Map<String, Shape> tensorShapes() {
        return shapes;
    }

    public Shape shape(String name) {
        Shape s = shapes.get(name);
        if (s == null) {
            throw new IllegalArgumentException("the network has no tensor named " + name);
        }
        return s;
    }

    /** Shapes of the tensors {@code node} reads. */
    public List<Shape> inputShapes(NodeSpec node) {
        return node.inputs().stream().map(this::shape).toList();
    }

    /** All layer specs in execution order. */
    public List<LayerSpec> layers() {
        return nodes.stream().map(NodeSpec::spec).toList();
    }

    /** Shape of the main output for one image. */
    public Shape outputShape() {
        return shape(outputs.get(0));
    }

    public long parameters() {
        return layers().stream().mapToLong(LayerSpec::parameters).reduce(0, Math::addExact);
    }

    public long parametersWithoutBatchNorm() {
        return layers().stream().mapToLong(LayerSpec::parametersWithoutBatchNorm).reduce(0, Math::addExact);
    }

    /** Multiply-accumulates of every conv and fully-connected layer for one image. */
    public long macs() {
        long total = 0;
        for (NodeSpec node : nodes) {
            total = Math.addExact(total, node.spec().macs(shape(node.inputs().get(0))));
        }
        return total;
    }

    /** All convolution specs in execution order, block-internal ones included (as {@link Network#convolutions()}). */
    public List<ConvSpec> convolutions() {
        List<ConvSpec> convs = new ArrayList<>();
        for (LayerSpec layer : layers()) {
            if (layer instanceof ConvSpec conv) {
                convs.add(conv);
            } else if (layer instanceof BlockSpec block) {
                if (block.expand() != null) {
                    convs.add(block.expand());
                }
                convs.add(block.depthwise());
                convs.add(block.project());
            }
        }
        return convs;
    }

    /**
     * Makes the parameters of the layers of a spec: a loader's weights read from a file, or zeros.
     *
     * @param <X> the exception a loader throws for a file that does not fit
     */
    public interface Parameters<X extends Exception> {
        /** The convolution of {@code spec}, with its weights (its bias and batch norm may differ from the spec's). */
        Conv2d conv(ConvSpec spec) throws X;

        /** The fully connected layer of {@code spec}, with its weights. */
        Dense dense(DenseSpec spec) throws X;
    }

    /**
     * The network of this spec with zero weights, and identity batch norms with the configuration's epsilon,
     * ready for a loader.
     */
    public Network create() {
        float eps = config.batchNormEpsilon();
        return create(new Parameters<RuntimeException>() {
            @Override
            public Conv2d conv(ConvSpec spec) {
                return Conv2d.zeros(spec, eps);
            }

            @Override
            public Dense dense(DenseSpec spec) {
                return Dense.zeros(spec);
            }
        });
    }

    /**
     * The network of this spec with the layers {@code parameters} makes, asked for in execution order (a
     * block's convolutions expansion first): how a loader builds a network from a file without allocating
     * zero weights first.
     */
    public <X extends Exception> Network create(Parameters<X> parameters) throws X {
        List<Node> built = new ArrayList<>(nodes.size());
        for (NodeSpec node : nodes) {
            LayerSpec spec = node.spec();
            Layer layer;
            if (spec instanceof ConvSpec conv) {
                layer = parameters.conv(conv);
            } else if (spec instanceof BlockSpec block) {
                Conv2d expand = block.expand() == null ? null : parameters.conv(block.expand());
                layer = new InvertedResidual(block.name(), block.expansion(), expand, parameters.conv(block.depthwise()),
                        parameters.conv(block.project()), block.shortcut());
            } else if (spec instanceof DenseSpec dense) {
                layer = parameters.dense(dense);
            } else {
                layer = (Layer) spec; // the parameter-free layers are their own specs
            }
            built.add(new Node(layer, node.inputs(), node.row()));
        }
        return new Network(config, input, built, outputs, List.of());
    }
}
