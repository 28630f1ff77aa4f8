package dev.mnv2.onnx;

import com.google.protobuf.ByteString;
import dev.mnv2.interop.AtomicFiles;
import dev.mnv2.interop.TorchLayout;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelMetadata;
import dev.mnv2.load.WeightLayout;
import dev.mnv2.model.Activation;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
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
import java.util.Map;

/**
 * Writes a {@link Network} as a float32 ONNX model with standard operators only: Conv (group = channels
 * for depthwise), BatchNormalization when not folded, Clip with min/max inputs for ReLU6, Relu, Add for
 * shortcuts, GlobalAveragePool, Flatten, Gemm, and optionally Softmax.
 *
 * <p>The graph input {@code input} is NCHW float32 {@code [batch, 3, H, W]} with a symbolic batch
 * dimension (ONNX's convention; mnv2 itself runs NHWC); the output is {@code logits} (or
 * {@code probabilities} with {@link Builder#softmax(boolean)}) of shape {@code [batch, classes]}.
 * TensorFlow SAME padding, asymmetric for stride 2 on even inputs, is written as explicit pads computed for
 * the model's input resolution, so the exported graph is exact at that resolution. Parameter names follow
 * torchvision ({@code features.0.0.weight}, {@code features.0.1.running_mean}, {@code classifier.1.bias}).
 * Metadata: the model's {@link ModelMetadata} (configuration, task, pixel scaling, labels as a JSON array),
 * so that {@link OnnxImporter} reads back the model that was written, plus {@code resolution}.
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
        String x = INPUT;
        Shape shape = input;
        for (Layer layer : source.layers()) {
            if (layer instanceof Conv2d conv) {
                x = graph.conv(conv, x, shape);
            } else if (layer instanceof InvertedResidual block) {
                x = graph.block(block, x, shape);
            } else if (layer instanceof GlobalAveragePool pool) {
                String pooled = graph.node("GlobalAveragePool", pool.name(), x);
                x = graph.node("Flatten", pool.name() + ".flatten", pooled, attribute("axis", 1));
            } else if (layer instanceof Dense dense) {
                x = graph.dense(dense, x);
            } else if (!(layer instanceof Dropout)) {
                throw new IllegalArgumentException("no ONNX operator for layer " + layer.name());
            }
            shape = layer.outputShape(shape);
        }
        String output = softmax ? PROBABILITIES : LOGITS;
        if (softmax) {
            x = graph.node("Softmax", "softmax", x, attribute("axis", 1));
        }
        graph.rename(x, output);
        graph.builder.addOutput(valueInfo(output, shape.channels()));

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
        private boolean relu6Bounds;

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
                String name = TorchLayout.batchNormName(conv.name());
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

        String block(InvertedResidual block, String x, Shape in) {
            String expanded = block.expand() == null ? x : conv(block.expand(), x, in);
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

        String dense(Dense dense, String x) {
            String weight = initializer(dense.name() + ".weight", new long[] {dense.outFeatures(), dense.inFeatures()},
                    WeightLayout.OIHW.weightOf(dense));
            String bias = initializer(dense.name() + ".bias", new long[] {dense.outFeatures()}, dense.bias());
            return node("Gemm", dense.name(), x, weight, bias, attribute("transB", 1));
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

        /** Renames the value {@code from} (the last node's output) to the graph output name. */
        void rename(String from, String to) {
            int last = builder.getNodeCount() - 1;
            NodeProto node = builder.getNode(last);
            if (!node.getOutput(0).equals(from)) {
                throw new IllegalStateException("graph does not end in " + from);
            }
            builder.setNode(last, node.toBuilder().setOutput(0, to));
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
    }

    static ValueInfoProto valueInfo(String name, int... fixedDims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
        for (int d : fixedDims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE)
                        .setShape(shape)))
                .build();
    }

    static AttributeProto attribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }
}
