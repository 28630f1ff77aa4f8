package dev.mnv2.onnx;

import com.google.protobuf.ByteString;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.interop.AtomicFiles;
import dev.mnv2.interop.TorchLayout;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelMetadata;
import dev.mnv2.load.WeightLayout;
import dev.mnv2.model.Activation;
import dev.mnv2.model.ArgMax;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.Padding;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import dev.mnv2.onnx.proto.OnnxProto.AttributeProto;
import dev.mnv2.onnx.proto.OnnxProto.GraphProto;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import dev.mnv2.onnx.proto.OnnxProto.NodeProto;
import dev.mnv2.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.mnv2.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorShapeProto;
import dev.mnv2.onnx.proto.OnnxProto.TypeProto;
import dev.mnv2.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link Network} as a float32 ONNX model with standard operators only, walking its graph of nodes:
 * Conv (group = channels for depthwise, dilations for dilated ones), BatchNormalization when not folded,
 * Clip with min/max inputs for ReLU6, Relu, Add for shortcuts, GlobalAveragePool (an average pool whose
 * window is its whole input included) or AveragePool, Flatten + Gemm for a classifier, Concat over
 * channels, Resize (linear) for bilinear resizes, ArgMax, and optionally Softmax over the channels.
 *
 * <p>The graph input {@code input} is NCHW float32 {@code [batch, 3, H, W]} with a symbolic batch
 * dimension (ONNX's convention; mnv2 itself runs NHWC). The output is the network's main output, named
 * {@code logits} (or {@code probabilities} with {@link Builder#softmax(boolean)}): {@code [batch, classes]}
 * for a classifier, {@code [batch, classes, H, W]} for a segmentation network; a network ending in
 * {@link ArgMax} gives int64 {@code classes} {@code [batch, 1, H, W]}. Nodes the main output does not depend
 * on are left out. TensorFlow SAME padding, asymmetric for stride 2 on even inputs, is written as explicit
 * pads computed for the model's input resolution, so the exported graph is exact at that resolution.
 *
 * <p>A bilinear resize is a Resize with {@code mode = linear} and the coordinate transformation of its
 * flags: {@code align_corners}, {@code half_pixel} (TFLite's half-pixel centres: {@code (o + 0.5) · in/out −
 * 0.5}, clamped to the input, which for an output of length 1 differs from {@code pytorch_half_pixel}'s 0),
 * or {@code asymmetric} ({@code o · in/out}). Its {@code sizes} input is {@code [batch, channels]} read with
 * Shape ({@code start} 0, {@code end} 2) from the resized tensor, concatenated with the constant
 * {@code [H, W]}: opset 17's Resize wants sizes for every axis, and the batch stays symbolic.
 *
 * <p>Parameter names follow torchvision ({@code features.0.0.weight}, {@code features.0.1.running_mean},
 * {@code classifier.1.bias}). Metadata: the model's {@link ModelMetadata} (configuration, task, pixel scaling,
 * labels as a JSON array), so that {@link OnnxImporter} reads back the model that was written, plus
 * {@code resolution}.
 *
 * <pre>{@code
 * OnnxExporter.builder().build().write(Models.load("mobilenet_v2_1.0_224_quant"), Path.of("mobilenet_v2.onnx"));
 * }</pre>
 */
public final class OnnxExporter {
    public static final int OPSET = 17;
    /** IR version 8 goes with opsets 14 to 18. */
    public static final int IR_VERSION = 8;
    public static final String INPUT = "input";
    public static final String LOGITS = "logits";
    public static final String PROBABILITIES = "probabilities";
    /** The output of a network that ends in {@link ArgMax}: int64 class indices. */
    public static final String CLASSES = "classes";
    public static final String BATCH = "batch";

    private static final String RELU6_MIN = "relu6.min";
    private static final String RELU6_MAX = "relu6.max";

    private final boolean foldBatchNorm;
    private final boolean softmax;

    private OnnxExporter(Builder builder) {
        this.foldBatchNorm = builder.foldBatchNorm;
        this.softmax = builder.softmax;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private boolean foldBatchNorm = true;
        private boolean softmax = false;

        private Builder() {}

        /**
         * Fold batch norms into the convolutions (default, the smallest and fastest graph) or keep them as
         * BatchNormalization nodes with their running statistics (for further training elsewhere), as
         * torchvision's modules have them: a convolution whose batch norm is already folded gets an identity
         * one ({@link TorchLayout#withBatchNorms}, at the configuration's epsilon), so every Conv is followed
         * by a BatchNormalization and has no bias.
         */
        public Builder foldBatchNorm(boolean fold) {
            this.foldBatchNorm = fold;
            return this;
        }

        /** End the graph with Softmax, so that its output is {@code probabilities} instead of {@code logits}. */
        public Builder softmax(boolean withSoftmax) {
            this.softmax = withSoftmax;
            return this;
        }

        public OnnxExporter build() {
            return new OnnxExporter(this);
        }
    }

    /** Writes {@code model} to {@code file} atomically, its input spec in the metadata. */
    public void write(LoadedModel model, Path file) throws IOException {
        AtomicFiles.write(file, toModel(model).toByteArray());
    }

    /** Writes {@code network} to {@code file} atomically, with the input spec of {@link LoadedModel#of}. */
    public void write(Network network, Path file) throws IOException {
        write(LoadedModel.of(network), file);
    }

    /** The bytes of the ONNX file of {@code model}. */
    public byte[] toBytes(LoadedModel model) {
        return toModel(model).toByteArray();
    }

    /** The bytes of the ONNX file of {@code network}, with the input spec of {@link LoadedModel#of}. */
    public byte[] toBytes(Network network) {
        return toBytes(LoadedModel.of(network));
    }

    /** The ONNX protobuf of {@code network}, with the input spec of {@link LoadedModel#of}. */
    public ModelProto toModel(Network network) {
        return toModel(LoadedModel.of(network));
    }

    /** The ONNX protobuf of {@code loaded}. */
    public ModelProto toModel(LoadedModel loaded) {
        Network network = loaded.network();
        Network source = foldBatchNorm ? network.foldBatchNorm()
                : TorchLayout.withBatchNorms(network, network.config().batchNormEpsilon());
        GraphWriter graph = new GraphWriter();
        Shape input = source.input();
        graph.builder.setName(source.config().architecture());
        graph.builder.addInput(valueInfo(INPUT, input.channels(), input.height(), input.width()));
        String main = source.outputs().get(0);
        Map<String, String> values = new HashMap<>();
        values.put(Network.INPUT, INPUT);
        Node last = null;
        for (Node node : nodesComputing(source, main)) {
            List<String> in = node.inputs().stream().map(values::get).toList();
            List<Shape> shapes = source.inputShapes(node);
            values.put(node.name(), graph.layer(node.layer(), in, shapes, values));
            last = node;
        }
        boolean classes = last != null && last.name().equals(main) && last.layer() instanceof ArgMax;
        if (classes && softmax) {
            throw new IllegalArgumentException("the network ends in ArgMax; softmax applies to logits");
        }
        String x = values.get(main);
        String output = classes ? CLASSES : softmax ? PROBABILITIES : LOGITS;
        boolean matrix = graph.matrices.contains(x);
        if (softmax) {
            x = graph.node("Softmax", "softmax", x, attribute("axis", 1));
        }
        graph.rename(x, output);
        Shape shape = source.outputShape();
        if (matrix) {
            graph.builder.addOutput(valueInfo(output, shape.channels()));
        } else {
            graph.builder.addOutput(typedValueInfo(output,
                    classes ? TensorProto.DataType.INT64_VALUE : TensorProto.DataType.FLOAT_VALUE,
                    shape.channels(), shape.height(), shape.width()));
        }

        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("mnv2")
                .setProducerVersion(producerVersion())
                .setDocString(source.config().architecture() + " exported by mnv2")
                .setGraph(graph.builder);
        for (Map.Entry<String, String> e : metadata(loaded).entrySet()) {
            model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        return model.build();
    }

    /**
     * The nodes {@code output} depends on, in execution order: a tensor is made by the node named after it, or
     * (an expanded tensor) by the block whose expansion convolution names it.
     */
    private static List<Node> nodesComputing(Network network, String output) {
        Set<String> wanted = new HashSet<>(Set.of(output));
        List<Node> nodes = network.nodes();
        List<Node> kept = new ArrayList<>();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            boolean expansionWanted = node.layer() instanceof InvertedResidual block && block.expand() != null
                    && wanted.contains(block.expand().name());
            if (wanted.contains(node.name()) || expansionWanted) {
                kept.add(0, node);
                wanted.addAll(node.inputs());
            }
        }
        return kept;
    }

    /** The metadata written with every export: the model's {@link ModelMetadata} plus the input resolution. */
    static Map<String, String> metadata(LoadedModel model) {
        Map<String, String> map = new java.util.LinkedHashMap<>(ModelMetadata.of(model));
        Shape in = model.network().input();
        map.put("resolution", in.height() == in.width() ? Integer.toString(in.height()) : in.height() + "x" + in.width());
        return map;
    }

    private static String producerVersion() {
        String v = OnnxExporter.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Nodes, initializers and unique value names of the graph being written. */
    private static final class GraphWriter {
        final GraphProto.Builder builder = GraphProto.newBuilder();
        /** Values of rank 2 ({@code [batch, features]}); every other value is NCHW. */
        final Set<String> matrices = new HashSet<>();
        private boolean relu6Bounds;

        /**
         * Writes {@code layer} reading the values {@code in} (of NHWC shapes {@code shapes}) and returns its
         * output value; a block also enters its expanded tensor's value into {@code values}.
         */
        String layer(Layer layer, List<String> in, List<Shape> shapes, Map<String, String> values) {
            String x = in.get(0);
            Shape shape = shapes.get(0);
            if (layer instanceof Conv2d conv) {
                return conv(conv, x, shape);
            }
            if (layer instanceof InvertedResidual block) {
                return block(block, x, shape, values);
            }
            if (layer instanceof GlobalAveragePool pool) {
                return node("GlobalAveragePool", pool.name(), x);
            }
            if (layer instanceof AveragePool pool) {
                return averagePool(pool, x, shape);
            }
            if (layer instanceof Dense dense) {
                return dense(dense, x, shape);
            }
            if (layer instanceof Dropout) {
                return x;
            }
            if (layer instanceof Concat concat) {
                List<Object> inputs = new ArrayList<>(in);
                inputs.add(attribute("axis", 1));
                return node("Concat", concat.name(), inputs.toArray());
            }
            if (layer instanceof ResizeBilinear resize) {
                return resize(resize, x);
            }
            if (layer instanceof ArgMax argMax) {
                return node("ArgMax", argMax.name(), x, attribute("axis", 1), attribute("keepdims", 1));
            }
            throw new IllegalArgumentException("no ONNX operator for layer " + layer.name());
        }

        String conv(Conv2d conv, String x, Shape in) {
            Padding.Axis rows = conv.resolve(in.height());
            Padding.Axis cols = conv.resolve(in.width());
            String weight = initializer(conv.name() + ".weight", TorchLayout.convWeightShape(conv.spec()),
                    WeightLayout.OIHW.weightOf(conv));
            NodeProto.Builder node = NodeProto.newBuilder()
                    .setOpType("Conv")
                    .setName(conv.name())
                    .addInput(x)
                    .addInput(weight)
                    .addOutput(conv.name())
                    .addAttribute(ints("kernel_shape", conv.kernel(), conv.kernel()))
                    .addAttribute(ints("strides", conv.stride(), conv.stride()))
                    .addAttribute(ints("dilations", conv.dilation(), conv.dilation()))
                    .addAttribute(ints("pads", rows.before(), cols.before(), rows.after(), cols.after()))
                    .addAttribute(attribute("group", conv.groups()));
            if (conv.bias() != null) {
                node.addInput(initializer(conv.name() + ".bias", new long[] {conv.outChannels()}, conv.bias()));
            }
            builder.addNode(node);
            String y = conv.name();
            BatchNorm bn = conv.batchNorm();
            if (bn != null) {
                String name = ConvSpec.batchNormName(conv.name());
                long[] c = {bn.channels()};
                y = node("BatchNormalization", name, y,
                        initializer(name + ".weight", c, bn.gamma()),
                        initializer(name + ".bias", c, bn.beta()),
                        initializer(name + ".running_mean", c, bn.mean()),
                        initializer(name + ".running_var", c, bn.variance()),
                        floatAttribute("epsilon", bn.epsilon()));
            }
            return activation(conv.activation(), conv.name(), y);
        }

        String block(InvertedResidual block, String x, Shape in, Map<String, String> values) {
            String expanded = block.expand() == null ? x : conv(block.expand(), x, in);
            if (block.expand() != null) {
                values.put(block.expand().name(), expanded);
            }
            Shape expandedShape = block.expandedShape(in);
            String y = conv(block.depthwise(), expanded, expandedShape);
            if (block.hasExpansionResidual()) {
                y = node("Add", block.name() + ".expansion_add", expanded, y);
            }
            y = conv(block.project(), y, block.depthwise().outputShape(expandedShape));
            if (block.hasBottleneckResidual()) {
                y = node("Add", block.name() + ".add", x, y);
            }
            return y;
        }

        /** A window over the whole input, unpadded, is GlobalAveragePool; others count only the taps inside. */
        String averagePool(AveragePool pool, String x, Shape in) {
            Padding.Axis rows = pool.rows(in.height());
            Padding.Axis cols = pool.columns(in.width());
            boolean whole = pool.kernelHeight() == in.height() && pool.kernelWidth() == in.width()
                    && rows.output() == 1 && cols.output() == 1 && rows.before() + rows.after() + cols.before() + cols.after() == 0;
            if (whole) {
                return node("GlobalAveragePool", pool.name(), x);
            }
            // count_include_pad defaults to 0: a window's mean counts only the taps inside, as TensorFlow's.
            return node("AveragePool", pool.name(), x,
                    ints("kernel_shape", pool.kernelHeight(), pool.kernelWidth()),
                    ints("strides", pool.stride(), pool.stride()),
                    ints("pads", rows.before(), cols.before(), rows.after(), cols.after()));
        }

        String resize(ResizeBilinear resize, String x) {
            String name = resize.name();
            String batchAndChannels = node("Shape", name + ".batch_channels", x, attribute("start", 0),
                    attribute("end", 2));
            String size = int64Initializer(name + ".size", new long[] {resize.height(), resize.width()});
            String sizes = node("Concat", name + ".sizes", batchAndChannels, size, attribute("axis", 0));
            String transformation = resize.alignCorners() ? "align_corners"
                    : resize.halfPixelCenters() ? "half_pixel" : "asymmetric";
            return node("Resize", name, x, "", "", sizes, stringAttribute("mode", "linear"),
                    stringAttribute("coordinate_transformation_mode", transformation));
        }

        String dense(Dense dense, String x, Shape in) {
            if (!matrices.contains(x)) {
                if (in.height() != 1 || in.width() != 1) {
                    throw new IllegalArgumentException(dense.name() + " reads " + in
                            + "; ONNX export flattens only 1x1 maps (NCHW and NHWC orders agree there)");
                }
                x = node("Flatten", x + ".flatten", x, attribute("axis", 1));
            }
            String weight = initializer(dense.name() + ".weight", new long[] {dense.outFeatures(), dense.inFeatures()},
                    WeightLayout.OIHW.weightOf(dense));
            String bias = initializer(dense.name() + ".bias", new long[] {dense.outFeatures()}, dense.bias());
            String y = node("Gemm", dense.name(), x, weight, bias, attribute("transB", 1));
            matrices.add(y);
            return y;
        }

        String activation(Activation activation, String layerName, String x) {
            return switch (activation) {
                case IDENTITY -> x;
                case RELU -> node("Relu", layerName + ".relu", x);
                case RELU6 -> {
                    if (!relu6Bounds) {
                        initializer(RELU6_MIN, new long[0], new float[] {0f});
                        initializer(RELU6_MAX, new long[0], new float[] {6f});
                        relu6Bounds = true;
                    }
                    yield node("Clip", layerName + ".relu6", x, RELU6_MIN, RELU6_MAX);
                }
            };
        }

        /** Adds a node whose output is named after the node; inputs are strings, attributes follow. */
        String node(String op, String name, Object... inputsAndAttributes) {
            NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(name);
            for (Object o : inputsAndAttributes) {
                if (o instanceof String input) {
                    node.addInput(input);
                } else {
                    node.addAttribute((AttributeProto) o);
                }
            }
            builder.addNode(node);
            return name;
        }

        /**
         * Gives the value {@code from} the graph output name: renames the last node's output when it is
         * {@code from}, else (an inner tensor asked for as the main output) copies it with Identity.
         */
        void rename(String from, String to) {
            int last = builder.getNodeCount() - 1;
            NodeProto node = last < 0 ? null : builder.getNode(last);
            if (node != null && node.getOutput(0).equals(from)) {
                builder.setNode(last, node.toBuilder().setOutput(0, to));
            } else {
                builder.addNode(NodeProto.newBuilder().setOpType("Identity").setName(to).addInput(from).addOutput(to));
            }
        }

        String initializer(String name, long[] dims, float[] values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            TensorProto.Builder t = TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(TensorProto.DataType.FLOAT_VALUE)
                    .setRawData(ByteString.copyFrom(bytes.array()));
            for (long d : dims) {
                t.addDims(d);
            }
            builder.addInitializer(t);
            return name;
        }

        /** A 1-D int64 initializer. */
        String int64Initializer(String name, long[] values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asLongBuffer().put(values);
            builder.addInitializer(TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(TensorProto.DataType.INT64_VALUE)
                    .addDims(values.length)
                    .setRawData(ByteString.copyFrom(bytes.array())));
            return name;
        }
    }

    /** A float32 value of shape {@code [batch, fixedDims...]}. */
    static ValueInfoProto valueInfo(String name, int... fixedDims) {
        return typedValueInfo(name, TensorProto.DataType.FLOAT_VALUE, fixedDims);
    }

    /** A value of element type {@code elemType} and shape {@code [batch, fixedDims...]}. */
    static ValueInfoProto typedValueInfo(String name, int elemType, int... fixedDims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
        for (int d : fixedDims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(elemType)
                        .setShape(shape)))
                .build();
    }

    static AttributeProto attribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto stringAttribute(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }
}
