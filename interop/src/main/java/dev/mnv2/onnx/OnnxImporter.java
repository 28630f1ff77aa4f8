package dev.mnv2.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.mnv2.interop.FormatBoundary;
import dev.mnv2.interop.TorchLayout;
import dev.mnv2.load.ArchitectureFit;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelMetadata;
import dev.mnv2.load.WeightLayout;
import dev.mnv2.model.Activation;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.BlockSpec;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.DeepLabV3Config;
import dev.mnv2.model.Dense;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.LayerSpec;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkConfig;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.NodeSpec;
import dev.mnv2.model.Padding;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import dev.mnv2.model.Shortcut;
import dev.mnv2.onnx.proto.OnnxProto.AttributeProto;
import dev.mnv2.onnx.proto.OnnxProto.GraphProto;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import dev.mnv2.onnx.proto.OnnxProto.NodeProto;
import dev.mnv2.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.mnv2.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorShapeProto;
import dev.mnv2.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads MobileNetV2 ONNX graphs, as torchvision's {@code torch.onnx.export} or {@link OnnxExporter} write
 * them, onto the project's own {@link MobileNetV2} (built by {@link MobileNetV2#create}; the graph only
 * supplies configuration and weights). Understood: Conv (depthwise as group = channels), optionally followed
 * by BatchNormalization, Clip (bounds as attributes before opset 11, as initializer or Constant inputs
 * after) or Relu; Add for shortcuts; GlobalAveragePool or ReduceMean over H and W; Flatten or Reshape;
 * Gemm or MatMul + Add; a final Softmax; Identity, Dropout and Constant nodes.
 *
 * <p>The configuration comes from mnv2's metadata when present, else from the graph: width from the layer
 * shapes, classes from the classifier, resolution from the input shape (224 when symbolic), padding SAME
 * when any pads are asymmetric and symmetric otherwise, batch-norm epsilon from the nodes (1e-5 if folded).
 * Every node is checked against the network built from it, in order and by data flow; anything else is an
 * {@link OnnxFormatException} naming the node. The input spec (pixel scaling, labels) comes from mnv2's
 * metadata ({@link ModelMetadata}) when present, else from the layout's convention.
 *
 * <p>Mobile DeepLabv3 graphs as {@link OnnxExporter} writes them (metadata {@code architecture =
 * deeplabv3_mobilenet_v2}) are read onto {@link dev.mnv2.model.DeepLabV3} the same way, adding AveragePool
 * (or GlobalAveragePool) for the image pooling, Concat over channels, and Resize (linear,
 * {@code align_corners}, {@code half_pixel} or {@code asymmetric}) whose {@code sizes} are a constant or
 * Shape(start 0, end 2) of its input concatenated with a constant {@code [H, W]}. A segmentation graph
 * without that metadata is an {@link OnnxFormatException} saying so. A final Softmax or ArgMax over the
 * channels belongs to the task, not the network, and is dropped: the network read ends in logits.
 */
public final class OnnxImporter {
    private static final int DEFAULT_RESOLUTION = 224;
    /** The metadata architecture of mnv2's Mobile DeepLabv3 exports. */
    private static final String DEEPLAB = "deeplabv3_mobilenet_v2";
    /** The attributes each understood operator may carry (older opsets' ones included); others are an error. */
    private static final Map<String, Set<String>> ATTRIBUTES = Map.ofEntries(
            Map.entry("Constant", Set.of("value", "value_float", "value_floats", "value_int", "value_ints")),
            Map.entry("Identity", Set.of()),
            Map.entry("Dropout", Set.of("ratio", "seed", "is_test")),
            Map.entry("Conv", Set.of("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")),
            Map.entry("BatchNormalization", Set.of("epsilon", "momentum", "training_mode", "spatial", "is_test",
                    "consumed_inputs")),
            Map.entry("Clip", Set.of("min", "max")),
            Map.entry("Relu", Set.of()),
            Map.entry("Add", Set.of()),
            Map.entry("Gemm", Set.of("alpha", "beta", "transA", "transB")),
            Map.entry("MatMul", Set.of()),
            Map.entry("GlobalAveragePool", Set.of()),
            Map.entry("ReduceMean", Set.of("axes", "keepdims", "noop_with_empty_axes")),
            Map.entry("Flatten", Set.of("axis")),
            Map.entry("Reshape", Set.of("allowzero")),
            Map.entry("Softmax", Set.of("axis")),
            Map.entry("Shape", Set.of("start", "end")),
            Map.entry("Concat", Set.of("axis")),
            Map.entry("AveragePool", Set.of("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
                    "strides")),
            // cubic_coeff_a, exclude_outside and nearest_mode only act in the cubic and nearest modes.
            Map.entry("Resize", Set.of("mode", "coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
                    "extrapolation_value", "nearest_mode")),
            Map.entry("ArgMax", Set.of("axis", "keepdims", "select_last_index")));
    private static final float TORCH_EPSILON = 1e-5f;
    /** Operators only a segmentation head has; a classification graph with one is refused by name. */
    private static final Set<String> SEGMENTATION_OPS = Set.of("Concat", "AveragePool", "ArgMax");
    /** Message prefix of a failure that no explicit check caught. */
    static final String UNCHECKED = "malformed ONNX file: ";

    private OnnxImporter() {}

    /** Reads the model in {@code file}; a file that does not fit is an {@link OnnxFormatException} naming it. */
    public static LoadedModel read(Path file) throws IOException {
        if (Files.size(file) > Integer.MAX_VALUE) {
            throw new OnnxFormatException(file + ": ONNX files over 2 GiB (external data) are not supported");
        }
        try {
            return fromBytes(Files.readAllBytes(file));
        } catch (OnnxFormatException e) {
            throw new OnnxFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a model from the bytes of an ONNX file. */
    public static LoadedModel fromBytes(byte[] bytes) throws OnnxFormatException {
        ModelProto model;
        try {
            model = guarded(() -> ModelProto.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException("not a valid ONNX protobuf: " + e.getMessage());
        }
        return fromModel(model);
    }

    /** Reads a model from a parsed ONNX protobuf. */
    public static LoadedModel fromModel(ModelProto model) throws OnnxFormatException {
        return guarded(() -> new Reader(model).model());
    }

    /** Runs {@code step} behind the {@link FormatBoundary}: a runtime exception becomes an OnnxFormatException. */
    static <T, X extends Exception> T guarded(FormatBoundary.Step<T, X> step) throws X, OnnxFormatException {
        return FormatBoundary.guarded(step, e -> new OnnxFormatException(UNCHECKED + e, e));
    }

    /** A Conv node with the BatchNormalization and activation fused after it. */
    private static final class ConvOp {
        NodeProto node;
        String input;
        String output;
        long[] weightShape;
        TensorProto weight;
        TensorProto bias;
        int kernel;
        int stride;
        int dilation;
        int group;
        long[] pads;
        NodeProto batchNorm;
        Activation activation = Activation.IDENTITY;

        long out() {
            return weightShape[0];
        }
    }

    /** Gemm, or MatMul with the Add of its bias. */
    private static final class DenseOp {
        NodeProto node;
        String input;
        String output;
        TensorProto weight;
        boolean outIn;
        TensorProto bias;
    }

    /** Add, pooling, flatten, softmax, concat or argmax: a node of data inputs whose attributes were checked. */
    private record SimpleOp(NodeProto node, List<String> inputs, String output) {}

    /** Resize to a fixed height and width with one of TFLite's bilinear coordinate conventions. */
    private record ResizeOp(NodeProto node, String input, String output, long height, long width,
                            boolean alignCorners, boolean halfPixelCenters) {}

    /** A Resize's {@code sizes}: the batch and channels of {@code source}, then a fixed height and width. */
    private record Sizes(String source, long height, long width) {}

    private static final class Reader {
        private final ModelProto model;
        private final GraphProto graph;
        private final int opset;
        private final Map<String, TensorProto> constants = new HashMap<>();
        private final Map<String, String> aliases = new HashMap<>();
        private final List<Object> ops = new ArrayList<>();
        private final List<ConvOp> convs = new ArrayList<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();
        /** Every value name assigned so far: ONNX assigns each once, and the data-flow checks rely on it. */
        private final Set<String> defined = new HashSet<>();
        /** Values that are Shape(start 0, end 2) of a data value: its batch and channels. */
        private final Map<String, String> batchAndChannels = new HashMap<>();
        private final Map<String, Sizes> sizes = new HashMap<>();
        private String input;
        private long[] inputDims;

        Reader(ModelProto model) throws OnnxFormatException {
            this.model = model;
            if (!model.hasGraph() || model.getGraph().getNodeCount() == 0) {
                throw new OnnxFormatException("model has no graph");
            }
            this.graph = model.getGraph();
            this.opset = opset();
            for (StringStringEntryProto e : model.getMetadataPropsList()) {
                metadata.put(e.getKey(), e.getValue());
            }
        }

        private int opset() throws OnnxFormatException {
            for (OperatorSetIdProto id : model.getOpsetImportList()) {
                if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
                    if (id.getVersion() < 1 || id.getVersion() > 1000) {
                        throw new OnnxFormatException("bad opset version " + id.getVersion());
                    }
                    return (int) id.getVersion();
                }
            }
            throw new OnnxFormatException("model imports no default-domain opset");
        }

        LoadedModel model() throws OnnxFormatException {
            for (TensorProto t : graph.getInitializerList()) {
                constants.put(t.getName(), t);
                defined.add(t.getName());
            }
            graph.getInputList().forEach(v -> defined.add(v.getName()));
            findInput();
            for (NodeProto node : graph.getNodeList()) {
                collect(node);
            }
            NetworkConfig config;
            if (DEEPLAB.equals(metadata.get("architecture"))) {
                config = deepLabConfig();
            } else {
                for (Object op : ops) {
                    if (op instanceof ResizeOp || (op instanceof SimpleOp s && SEGMENTATION_OPS.contains(s.node().getOpType()))) {
                        throw new OnnxFormatException(describe(node(op)) + " belongs to a segmentation graph, which is "
                                + "read only with mnv2's metadata (architecture " + DEEPLAB + ")");
                    }
                }
                config = config();
            }
            Network network = new Walk(config).run(config.spec());
            try {
                return ModelMetadata.read(network, metadata);
            } catch (IllegalArgumentException e) {
                throw new OnnxFormatException(e.getMessage());
            }
        }

        private void findInput() throws OnnxFormatException {
            List<ValueInfoProto> inputs = new ArrayList<>();
            for (ValueInfoProto v : graph.getInputList()) {
                if (!constants.containsKey(v.getName())) {
                    inputs.add(v);
                }
            }
            if (inputs.size() != 1) {
                throw new OnnxFormatException("graph must have one image input, has " + inputs.size());
            }
            ValueInfoProto v = inputs.get(0);
            input = v.getName();
            if (!v.getType().hasTensorType() || v.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE) {
                throw new OnnxFormatException("input '" + input + "' is not a float32 tensor");
            }
            List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
            if (dims.size() != 4) {
                throw new OnnxFormatException("input '" + input + "' must be NCHW (rank 4), has rank " + dims.size());
            }
            inputDims = new long[4];
            for (int i = 0; i < 4; i++) {
                inputDims[i] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : -1;
            }
            if (inputDims[1] != 3 && inputDims[1] != -1) {
                throw new OnnxFormatException("input '" + input + "' has " + inputDims[1] + " channels, expected 3 (NCHW RGB)");
            }
        }

        private String resolve(String name) {
            String n = name;
            for (int i = 0; i < 1000 && aliases.containsKey(n); i++) {
                n = aliases.get(n);
            }
            return n;
        }

        private Object last() {
            return ops.isEmpty() ? null : ops.get(ops.size() - 1);
        }

        private static String describe(NodeProto node) {
            return "node '" + (node.getName().isEmpty() ? node.getOutputCount() > 0 ? node.getOutput(0) : "?" : node.getName())
                    + "' (" + node.getOpType() + ")";
        }

        private void collect(NodeProto node) throws OnnxFormatException {
            String op = node.getOpType();
            if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
                throw new OnnxFormatException(describe(node) + " is in domain '" + node.getDomain()
                        + "'; only standard ONNX operators are supported");
            }
            if (node.getOutputCount() < 1 || node.getOutput(0).isEmpty()) {
                throw new OnnxFormatException(describe(node) + " has no output");
            }
            String out = node.getOutput(0);
            for (String output : node.getOutputList()) {
                if (!output.isEmpty() && !defined.add(output)) {
                    throw new OnnxFormatException(describe(node) + " writes '" + output
                            + "', which is already defined (an ONNX graph assigns every value once)");
                }
            }
            Set<String> allowed = ATTRIBUTES.get(op);
            if (allowed != null) {
                for (AttributeProto a : node.getAttributeList()) {
                    if (!allowed.contains(a.getName())) {
                        throw new OnnxFormatException(describe(node) + " has unknown attribute '" + a.getName() + "'");
                    }
                }
            }
            switch (op) {
                case "Constant" -> constants.put(out, constantValue(node));
                case "Identity", "Dropout" -> {
                    String in = resolve(input(node, 0));
                    if (constants.containsKey(in)) {
                        constants.put(out, constants.get(in));
                    } else {
                        aliases.put(out, in);
                    }
                }
                case "Conv" -> conv(node);
                case "BatchNormalization" -> batchNorm(node);
                case "Clip" -> activation(node, clip(node));
                case "Relu" -> activation(node, Activation.RELU);
                case "Add" -> add(node);
                case "Gemm", "MatMul" -> dense(node);
                case "GlobalAveragePool" -> ops.add(simple(node));
                case "ReduceMean" -> reduceMean(node);
                case "Flatten" -> {
                    if (intAttribute(node, "axis", 1) != 1) {
                        throw new OnnxFormatException(describe(node) + " must flatten from axis 1");
                    }
                    ops.add(simple(node));
                }
                case "Reshape" -> reshape(node);
                case "Shape" -> shape(node);
                case "Concat" -> concat(node);
                case "AveragePool" -> averagePool(node);
                case "Resize" -> resize(node);
                case "ArgMax" -> {
                    if (intAttribute(node, "axis", 0) != 1 || intAttribute(node, "keepdims", 1) != 1
                            || intAttribute(node, "select_last_index", 0) != 0) {
                        throw new OnnxFormatException(describe(node) + " must take the first largest channel "
                                + "(axis 1, keepdims 1, select_last_index 0)");
                    }
                    ops.add(simple(node));
                }
                case "Softmax" -> {
                    long axis = intAttribute(node, "axis", opset >= 13 ? -1 : 1);
                    if (axis != 1 && axis != -1) {
                        throw new OnnxFormatException(describe(node) + " must be over the class axis");
                    }
                    ops.add(simple(node));
                }
                default -> throw new OnnxFormatException("unsupported operator in " + describe(node)
                        + ": a MobileNetV2 graph has only Conv, BatchNormalization, Clip/Relu, Add, "
                        + "GlobalAveragePool, Flatten/Reshape, Gemm/MatMul and Softmax (and a DeepLabv3 head "
                        + "AveragePool, Concat, Resize, Shape and ArgMax)");
            }
        }

        private String input(NodeProto node, int i) throws OnnxFormatException {
            if (node.getInputCount() <= i || node.getInput(i).isEmpty()) {
                throw new OnnxFormatException(describe(node) + " lacks input " + i);
            }
            return node.getInput(i);
        }

        private SimpleOp simple(NodeProto node) throws OnnxFormatException {
            List<String> inputs = new ArrayList<>();
            for (int i = 0; i < node.getInputCount(); i++) {
                inputs.add(resolve(input(node, i)));
            }
            return new SimpleOp(node, inputs, node.getOutput(0));
        }

        private TensorProto constant(NodeProto node, int i) throws OnnxFormatException {
            TensorProto t = constants.get(resolve(input(node, i)));
            if (t == null) {
                throw new OnnxFormatException(describe(node) + ": input '" + node.getInput(i)
                        + "' must be an initializer or Constant");
            }
            return t;
        }

        private void conv(NodeProto node) throws OnnxFormatException {
            ConvOp c = new ConvOp();
            c.node = node;
            c.input = resolve(input(node, 0));
            c.output = node.getOutput(0);
            c.weight = constant(node, 1);
            c.weightShape = dims(c.weight, node);
            if (c.weightShape.length != 4 || c.weightShape[2] != c.weightShape[3] || c.weightShape[0] < 1) {
                throw new OnnxFormatException(describe(node) + " has weight shape " + Arrays.toString(c.weightShape)
                        + "; only square 2-D kernels are supported");
            }
            if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
                c.bias = constant(node, 2);
            }
            String autoPad = stringAttribute(node, "auto_pad", "NOTSET");
            if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
                throw new OnnxFormatException(describe(node) + " uses auto_pad " + autoPad + "; explicit pads are expected");
            }
            long[] kernel = intsAttribute(node, "kernel_shape", new long[] {c.weightShape[2], c.weightShape[3]});
            long[] strides = intsAttribute(node, "strides", new long[] {1, 1});
            long[] dilations = intsAttribute(node, "dilations", new long[] {1, 1});
            c.pads = intsAttribute(node, "pads", new long[4]);
            long group = intAttribute(node, "group", 1);
            if (kernel.length != 2 || kernel[0] != c.weightShape[2] || kernel[1] != c.weightShape[3]
                    || strides.length != 2 || strides[0] != strides[1] || strides[0] < 1 || strides[0] > 64
                    || dilations.length != 2 || dilations[0] != dilations[1] || dilations[0] < 1 || dilations[0] > 64
                    || c.pads.length != 4 || group < 1 || group > c.weightShape[0]) {
                throw new OnnxFormatException(describe(node) + " has unsupported kernel_shape/strides/dilations/pads/group");
            }
            c.kernel = (int) kernel[0];
            c.stride = (int) strides[0];
            c.dilation = (int) dilations[0];
            c.group = (int) group;
            ops.add(c);
            convs.add(c);
        }

        private void batchNorm(NodeProto node) throws OnnxFormatException {
            if (!(last() instanceof ConvOp c) || !c.output.equals(resolve(input(node, 0))) || c.batchNorm != null
                    || c.activation != Activation.IDENTITY) {
                throw new OnnxFormatException(describe(node) + " does not directly follow a convolution");
            }
            if (intAttribute(node, "training_mode", 0) != 0) {
                throw new OnnxFormatException(describe(node) + " is in training mode");
            }
            float epsilon = batchNormEpsilon(node);
            if (!(epsilon >= 0) || Float.isInfinite(epsilon)) {
                throw new OnnxFormatException(describe(node) + " has epsilon " + epsilon + "; it must be finite and >= 0");
            }
            for (int i = 1; i <= 4; i++) {
                constant(node, i);
            }
            c.batchNorm = node;
            c.output = node.getOutput(0);
        }

        private void activation(NodeProto node, Activation activation) throws OnnxFormatException {
            if (!(last() instanceof ConvOp c) || !c.output.equals(resolve(input(node, 0)))
                    || c.activation != Activation.IDENTITY) {
                throw new OnnxFormatException(describe(node) + " does not directly follow a convolution");
            }
            c.activation = activation;
            c.output = node.getOutput(0);
        }

        private Activation clip(NodeProto node) throws OnnxFormatException {
            float min;
            float max;
            if (opset < 11) {
                min = floatAttribute(node, "min", Float.NEGATIVE_INFINITY);
                max = floatAttribute(node, "max", Float.POSITIVE_INFINITY);
            } else {
                min = node.getInputCount() > 1 && !node.getInput(1).isEmpty() ? scalar(node, 1) : Float.NEGATIVE_INFINITY;
                max = node.getInputCount() > 2 && !node.getInput(2).isEmpty() ? scalar(node, 2) : Float.POSITIVE_INFINITY;
            }
            if (min == 0f && max == 6f) {
                return Activation.RELU6;
            }
            if (min == 0f && max == Float.POSITIVE_INFINITY) {
                return Activation.RELU;
            }
            throw new OnnxFormatException(describe(node) + " clips to [" + min + ", " + max + "]; only ReLU6 [0, 6] "
                    + "and ReLU are MobileNetV2 activations");
        }

        private float scalar(NodeProto node, int i) throws OnnxFormatException {
            float[] v = floats(constant(node, i), node);
            if (v.length != 1) {
                throw new OnnxFormatException(describe(node) + ": input " + i + " must be a scalar");
            }
            return v[0];
        }

        private void add(NodeProto node) throws OnnxFormatException {
            String a = resolve(input(node, 0));
            String b = resolve(input(node, 1));
            if (last() instanceof DenseOp d && d.bias == null && (d.output.equals(a) || d.output.equals(b))) {
                d.bias = constants.get(d.output.equals(a) ? b : a);
                if (d.bias == null) {
                    throw new OnnxFormatException(describe(node) + " adds a non-constant to the classifier output");
                }
                d.output = node.getOutput(0);
                return;
            }
            ops.add(simple(node));
        }

        private void dense(NodeProto node) throws OnnxFormatException {
            DenseOp d = new DenseOp();
            d.node = node;
            d.input = resolve(input(node, 0));
            d.output = node.getOutput(0);
            d.weight = constant(node, 1);
            if (node.getOpType().equals("Gemm")) {
                if (intAttribute(node, "transA", 0) != 0 || floatAttribute(node, "alpha", 1f) != 1f
                        || floatAttribute(node, "beta", 1f) != 1f) {
                    throw new OnnxFormatException(describe(node) + " must have transA = 0 and alpha = beta = 1");
                }
                d.outIn = intAttribute(node, "transB", 0) == 1;
                if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
                    d.bias = constant(node, 2);
                }
            }
            ops.add(d);
        }

        private void reduceMean(NodeProto node) throws OnnxFormatException {
            long[] axes = opset >= 18 && node.getInputCount() > 1
                    ? longs(constant(node, 1), node) : intsAttribute(node, "axes", new long[0]);
            Set<Long> set = new HashSet<>();
            for (long a : axes) {
                set.add(a < 0 ? a + 4 : a);
            }
            if (!set.equals(Set.of(2L, 3L))) {
                throw new OnnxFormatException(describe(node) + " must average over H and W (axes 2, 3)");
            }
            ops.add(new SimpleOp(node, List.of(resolve(input(node, 0))), node.getOutput(0)));
            if (intAttribute(node, "keepdims", 1) == 0) {
                ops.add(new SimpleOp(NodeProto.newBuilder(node).setOpType("Flatten").build(),
                        List.of(node.getOutput(0)), node.getOutput(0)));
            }
        }

        private void reshape(NodeProto node) throws OnnxFormatException {
            long[] shape = longs(constant(node, 1), node);
            if (shape.length != 2 || shape[0] < -1 || shape[0] > 1 || shape[1] < -1) {
                throw new OnnxFormatException(describe(node) + " reshapes to " + Arrays.toString(shape)
                        + "; only flattening to [batch, features] is supported");
            }
            ops.add(new SimpleOp(node, List.of(resolve(input(node, 0))), node.getOutput(0)));
        }

        /** Shape(start 0, end 2): the batch and channels a Resize's sizes are made of. */
        private void shape(NodeProto node) throws OnnxFormatException {
            if (intAttribute(node, "start", 0) != 0 || intAttribute(node, "end", Long.MAX_VALUE) != 2) {
                throw new OnnxFormatException(describe(node) + " must read the batch and channels (start 0, end 2)");
            }
            batchAndChannels.put(node.getOutput(0), resolve(input(node, 0)));
        }

        /** Concat of data over channels, or of a Shape's batch and channels with a constant [H, W] (sizes). */
        private void concat(NodeProto node) throws OnnxFormatException {
            String source = batchAndChannels.get(resolve(input(node, 0)));
            if (source == null) {
                if (intAttribute(node, "axis", 1) != 1) {
                    throw new OnnxFormatException(describe(node) + " must concatenate over channels (axis 1)");
                }
                ops.add(simple(node));
                return;
            }
            long[] size = node.getInputCount() == 2 ? longs(constant(node, 1), node) : null;
            if (size == null || size.length != 2 || intAttribute(node, "axis", 1) != 0) {
                throw new OnnxFormatException(describe(node) + " must append a constant [height, width] to the "
                        + "batch and channels of '" + source + "' (axis 0)");
            }
            sizes.put(node.getOutput(0), new Sizes(source, size[0], size[1]));
        }

        private void averagePool(NodeProto node) throws OnnxFormatException {
            if (!stringAttribute(node, "auto_pad", "NOTSET").equals("NOTSET") || intAttribute(node, "ceil_mode", 0) != 0
                    || intAttribute(node, "count_include_pad", 0) != 0) {
                throw new OnnxFormatException(describe(node) + " must have explicit pads, ceil_mode 0 and "
                        + "count_include_pad 0 (TensorFlow's average counts only the taps inside)");
            }
            long[] kernel = intsAttribute(node, "kernel_shape", new long[0]);
            long[] strides = intsAttribute(node, "strides", new long[] {1, 1});
            long[] pads = intsAttribute(node, "pads", new long[4]);
            if (kernel.length != 2 || strides.length != 2 || strides[0] != strides[1] || pads.length != 4) {
                throw new OnnxFormatException(describe(node) + " has unsupported kernel_shape/strides/pads");
            }
            ops.add(simple(node));
        }

        private void resize(NodeProto node) throws OnnxFormatException {
            String mode = stringAttribute(node, "mode", "nearest");
            String transformation = stringAttribute(node, "coordinate_transformation_mode", "half_pixel");
            if (!mode.equals("linear") || !Set.of("align_corners", "half_pixel", "asymmetric").contains(transformation)) {
                throw new OnnxFormatException(describe(node) + " resizes with mode " + mode + " and coordinate "
                        + "transformation " + transformation + "; only linear with align_corners, half_pixel or "
                        + "asymmetric is a bilinear resize as TFLite's");
            }
            if (floatAttribute(node, "extrapolation_value", 0f) != 0f) {
                throw new OnnxFormatException(describe(node) + " has an extrapolation value");
            }
            String x = resolve(input(node, 0));
            if (node.getInputCount() < 4 || node.getInput(3).isEmpty()
                    || (!node.getInput(2).isEmpty() && !isEmptyConstant(node, 2))) {
                throw new OnnxFormatException(describe(node) + " must give its output size as sizes, not scales");
            }
            Sizes size = sizes.get(resolve(node.getInput(3)));
            if (size == null) {
                long[] fixed = longs(constant(node, 3), node);
                if (fixed.length != 4) {
                    throw new OnnxFormatException(describe(node) + " has sizes " + Arrays.toString(fixed)
                            + "; NCHW sizes have 4 entries");
                }
                size = new Sizes(x, fixed[2], fixed[3]);
            } else if (!size.source().equals(x)) {
                throw new OnnxFormatException(describe(node) + " takes its batch and channels from '" + size.source()
                        + "', not from its input '" + x + "'");
            }
            ops.add(new ResizeOp(node, x, node.getOutput(0), size.height(), size.width(),
                    transformation.equals("align_corners"), transformation.equals("half_pixel")));
        }

        /** An optional input given as a tensor with no elements (an exporter's way to leave it out). */
        private boolean isEmptyConstant(NodeProto node, int i) throws OnnxFormatException {
            TensorProto t = constants.get(resolve(node.getInput(i)));
            return t != null && elements(t, node) == 0;
        }

        /**
         * The configuration of a DeepLabv3 graph from its metadata, checked against the graph before anything
         * is allocated ({@link ArchitectureFit#problem}: no more weights than the file holds, every
         * convolution's shape the graph's).
         */
        private DeepLabV3Config deepLabConfig() throws OnnxFormatException {
            DeepLabV3Config config;
            try {
                config = DeepLabV3Config.fromMap(metadata);
            } catch (IllegalArgumentException e) {
                throw new OnnxFormatException("bad configuration in metadata: " + e.getMessage());
            }
            String problem = ArchitectureFit.problem(config, storedValues(), this::shapeMismatch);
            if (problem != null) {
                throw new OnnxFormatException("metadata does not match the graph: " + problem);
            }
            return config;
        }

        private MobileNetV2Config config() throws OnnxFormatException {
            List<DenseOp> denses = ops.stream().filter(DenseOp.class::isInstance).map(DenseOp.class::cast).toList();
            if (convs.size() < 4 || denses.size() != 1) {
                throw new OnnxFormatException("graph has " + convs.size() + " convolutions and " + denses.size()
                        + " classifiers; not a MobileNetV2");
            }
            DenseOp dense = denses.get(0);
            long[] w = dims(dense.weight, dense.node);
            if (w.length != 2 || w[0] < 1 || w[1] < 1) {
                throw new OnnxFormatException(describe(dense.node) + " has weight shape " + Arrays.toString(w));
            }
            long classes = dense.outIn ? w[0] : w[1];
            long expanded = convs.get(3).out();
            String architecture = metadata.get("architecture");
            if (architecture != null) {
                if (!architecture.equals("mobilenet_v2")) {
                    throw new OnnxFormatException("metadata architecture '" + architecture + "' is not mobilenet_v2");
                }
                MobileNetV2Config config;
                try {
                    config = MobileNetV2Config.fromMap(metadata);
                } catch (IllegalArgumentException e) {
                    throw new OnnxFormatException("bad configuration in metadata: " + e.getMessage());
                }
                String problem = ArchitectureFit.problem(config, storedValues(), this::shapeMismatch);
                if (problem != null) {
                    throw new OnnxFormatException("metadata does not match the graph: " + problem);
                }
                return config;
            }
            if (classes > Integer.MAX_VALUE) {
                throw new OnnxFormatException("layer sizes too large for a MobileNetV2");
            }
            int[] resolution = resolution();
            MobileNetV2.Builder base = MobileNetV2.builder()
                    .resolution(resolution[0], resolution[1])
                    .classes((int) classes)
                    .padding(inferPadding())
                    .batchNormEpsilon(inferredEpsilon())
                    .bottleneck(convs.get(2).activation)
                    .shortcut(shortcut());
            long expandIn = convs.get(3).weightShape[1];
            if (expandIn < 1 || expanded % expandIn != 0 || expanded / expandIn > 1000) {
                throw new OnnxFormatException(describe(convs.get(3).node) + " is not an expansion convolution");
            }
            int t = (int) (expanded / expandIn);
            base.expansion(t == MobileNetV2.TABLE_2.get(2).t() ? 0 : t);
            int[] channels = convs.stream().mapToLong(ConvOp::out).mapToInt(c -> (int) Math.min(c, Integer.MAX_VALUE))
                    .toArray();
            try {
                return ArchitectureFit.width(alpha -> base.width(alpha).config(), channels, storedValues(), this::shapeMismatch);
            } catch (IllegalArgumentException e) {
                throw new OnnxFormatException(e.getMessage());
            }
        }

        /** Float values the initializers really hold (not what their dims claim). */
        private long storedValues() {
            long values = 0;
            for (TensorProto t : graph.getInitializerList()) {
                values += t.getRawData().size() / Float.BYTES + t.getFloatDataCount();
            }
            return values;
        }

        private String shapeMismatch(NetworkSpec spec) {
            List<ConvSpec> expected = spec.convolutions();
            for (int i = 0; i < Math.min(expected.size(), convs.size()); i++) {
                long[] want = TorchLayout.convWeightShape(expected.get(i));
                if (!Arrays.equals(want, convs.get(i).weightShape)) {
                    return describe(convs.get(i).node) + " has weight " + Arrays.toString(convs.get(i).weightShape)
                            + " where " + expected.get(i).name() + " needs " + Arrays.toString(want);
                }
            }
            return expected.size() == convs.size() ? null
                    : "graph has " + convs.size() + " convolutions, the network " + expected.size();
        }

        /** The input's height and width: fixed in the graph, else from the {@code resolution} metadata, else 224. */
        private int[] resolution() throws OnnxFormatException {
            long height = dimension(2);
            long width = dimension(3);
            String problem = ArchitectureFit.resolutionProblem(
                    inputDims[2] > 0 && inputDims[3] > 0 ? "input '" + input + "' of" : "metadata resolution", height, width);
            if (problem != null) {
                throw new OnnxFormatException(problem);
            }
            return new int[] {(int) height, (int) width};
        }

        private long dimension(int axis) throws OnnxFormatException {
            long fixed = inputDims[axis];
            if (fixed > 0) {
                return fixed;
            }
            String resolution = metadata.get("resolution");
            if (resolution == null) {
                return DEFAULT_RESOLUTION;
            }
            String[] parts = resolution.split("x", -1);
            try {
                if (parts.length > 2) {
                    throw new NumberFormatException();
                }
                return Integer.parseInt(parts[parts.length == 2 ? axis - 2 : 0]);
            } catch (NumberFormatException e) {
                throw new OnnxFormatException("metadata resolution '" + resolution + "' is not a number or HxW");
            }
        }

        private Padding inferPadding() {
            for (ConvOp c : convs) {
                long p = (long) (c.kernel - 1) * c.dilation / 2;
                for (long pad : c.pads) {
                    if (pad != p) {
                        return Padding.same();
                    }
                }
            }
            return Padding.symmetric(1);
        }

        /** The first BatchNormalization's epsilon, or torch's default when the batch norms are folded. */
        private float inferredEpsilon() throws OnnxFormatException {
            for (ConvOp c : convs) {
                if (c.batchNorm != null) {
                    return batchNormEpsilon(c.batchNorm);
                }
            }
            return TORCH_EPSILON;
        }

        /** Expansion placement when the first Add follows a depthwise convolution, none without Adds. */
        private Shortcut shortcut() {
            for (int i = 1; i < ops.size(); i++) {
                if (ops.get(i) instanceof SimpleOp s && s.node().getOpType().equals("Add")) {
                    return ops.get(i - 1) instanceof ConvOp c && c.group > 1 ? Shortcut.EXPANSION : Shortcut.BOTTLENECK;
                }
            }
            return Shortcut.NONE;
        }

        /** Matches the ops, in order and by data flow, against the network built from the configuration. */
        private final class Walk {
            private final NetworkConfig config;
            private int next;
            private String current;
            private final Map<String, Conv2d> loaded = new HashMap<>();
            private Dense classifier;
            /** The ONNX value holding each tensor of the network being read, by the tensor's name. */
            private final Map<String, String> values = new HashMap<>();

            Walk(NetworkConfig config) {
                this.config = config;
            }

            Network run(NetworkSpec spec) throws OnnxFormatException {
                if ((inputDims[2] > 0 && inputDims[2] != config.inputHeight())
                        || (inputDims[3] > 0 && inputDims[3] != config.inputWidth())) {
                    throw new OnnxFormatException("input is " + inputDims[2] + "x" + inputDims[3] + " but metadata says "
                            + config.inputHeight() + "x" + config.inputWidth());
                }
                values.put(Network.INPUT, input);
                for (NodeSpec node : spec.nodes()) {
                    current = values.get(node.inputs().get(0));
                    Shape shape = spec.inputShapes(node).get(0);
                    LayerSpec layer = node.spec();
                    if (layer instanceof ConvSpec conv) {
                        current = conv(conv, current, shape);
                    } else if (layer instanceof BlockSpec block) {
                        block(block, shape);
                    } else if (layer instanceof GlobalAveragePool pool) {
                        pool(pool);
                    } else if (layer instanceof DenseSpec dense) {
                        dense(dense);
                    } else if (layer instanceof AveragePool pool) {
                        averagePool(pool, shape);
                    } else if (layer instanceof Concat concat) {
                        concat(concat, node.inputs().stream().map(values::get).toList());
                    } else if (layer instanceof ResizeBilinear resize) {
                        resize(resize);
                    } else if (!(layer instanceof Dropout)) {
                        throw new IllegalStateException("unexpected layer " + layer.name());
                    }
                    values.put(node.name(), current);
                }
                current = values.get(spec.outputs().get(0));
                boolean perPixel = spec.outputShape().height() * (long) spec.outputShape().width() > 1;
                if (next < ops.size() && ops.get(next) instanceof SimpleOp s && (s.node().getOpType().equals("Softmax")
                        || (perPixel && s.node().getOpType().equals("ArgMax")))) {
                    if (perPixel && s.node().getOpType().equals("Softmax")
                            && intAttribute(s.node(), "axis", opset >= 13 ? -1 : 1) != 1) {
                        throw new OnnxFormatException(describe(s.node()) + " must be over the channels (axis 1)");
                    }
                    expectInput(s, current);
                    current = s.output();
                    next++;
                }
                String what = perPixel ? "the segmentation logits" : "the classifier";
                if (next < ops.size()) {
                    throw new OnnxFormatException(describe(node(ops.get(next))) + " comes after " + what);
                }
                if (graph.getOutputCount() != 1 || !resolve(graph.getOutput(0).getName()).equals(current)) {
                    throw new OnnxFormatException("graph output is not the output '" + current + "' of " + what);
                }
                return spec.create(new NetworkSpec.Parameters<RuntimeException>() {
                    @Override
                    public Conv2d conv(ConvSpec conv) {
                        return loaded.get(conv.name());
                    }

                    @Override
                    public Dense dense(DenseSpec dense) {
                        return classifier;
                    }
                });
            }

            private Object take(String expected) throws OnnxFormatException {
                if (next >= ops.size()) {
                    throw new OnnxFormatException("graph ends where MobileNetV2 expects " + expected);
                }
                return ops.get(next++);
            }

            private void expectInput(SimpleOp op, String value) throws OnnxFormatException {
                if (op.inputs().isEmpty() || !op.inputs().get(0).equals(value)) {
                    throw new OnnxFormatException(describe(op.node()) + " should read '" + value + "'");
                }
            }

            private String conv(ConvSpec expected, String in, Shape inShape) throws OnnxFormatException {
                Object op = take("convolution " + expected.name());
                if (!(op instanceof ConvOp c)) {
                    throw new OnnxFormatException(describe(node(op)) + " found where MobileNetV2 has convolution "
                            + expected.name());
                }
                String where = describe(c.node) + " (MobileNetV2 " + expected.name() + ")";
                if (!c.input.equals(in)) {
                    throw new OnnxFormatException(where + " reads '" + c.input + "', expected '" + in + "'");
                }
                Padding.Axis rows = expected.resolve(inShape.height());
                Padding.Axis cols = expected.resolve(inShape.width());
                long[] pads = {rows.before(), cols.before(), rows.after(), cols.after()};
                if (!Arrays.equals(c.weightShape, TorchLayout.convWeightShape(expected)) || c.stride != expected.stride()
                        || c.dilation != expected.dilation() || c.group != expected.groups()) {
                    throw new OnnxFormatException(where + " has weight " + Arrays.toString(c.weightShape) + " stride "
                            + c.stride + " group " + c.group + ", expected " + expected);
                }
                if (!Arrays.equals(c.pads, pads)) {
                    throw new OnnxFormatException(where + " has pads " + Arrays.toString(c.pads) + ", expected "
                            + Arrays.toString(pads) + " (" + expected.padding() + " at " + inShape + ")");
                }
                if (c.activation != expected.activation()) {
                    throw new OnnxFormatException(where + " is followed by " + c.activation + ", expected "
                            + expected.activation());
                }
                long[] channels = {expected.outChannels()};
                float[] bias = c.bias == null ? null : vector(c.bias, c.node, channels);
                BatchNorm bn = null;
                if (c.batchNorm != null) {
                    NodeProto n = c.batchNorm;
                    bn = new BatchNorm(vector(constant(n, 1), n, channels), vector(constant(n, 2), n, channels),
                            vector(constant(n, 3), n, channels), vector(constant(n, 4), n, channels),
                            batchNormEpsilon(n));
                }
                loaded.put(expected.name(), WeightLayout.OIHW.conv(expected, floats(c.weight, c.node), bias, bn));
                return c.output;
            }

            private void block(BlockSpec block, Shape in) throws OnnxFormatException {
                String blockInput = current;
                String expanded = block.expand() == null ? blockInput : conv(block.expand(), blockInput, in);
                if (block.expand() != null) {
                    values.put(block.expand().name(), expanded);
                }
                Shape expandedShape = block.expandedShape(in);
                String y = conv(block.depthwise(), expanded, expandedShape);
                if (block.hasExpansionResidual()) {
                    y = residual(block.name(), expanded, y);
                }
                y = conv(block.project(), y, block.depthwise().outputShape(expandedShape));
                if (block.hasBottleneckResidual()) {
                    y = residual(block.name(), blockInput, y);
                }
                current = y;
            }

            private String residual(String blockName, String a, String b) throws OnnxFormatException {
                Object op = take("the shortcut Add of " + blockName);
                if (!(op instanceof SimpleOp s) || !s.node().getOpType().equals("Add")) {
                    throw new OnnxFormatException(describe(node(op)) + " found where MobileNetV2 adds the shortcut of "
                            + blockName);
                }
                if (!s.inputs().equals(List.of(a, b)) && !s.inputs().equals(List.of(b, a))) {
                    throw new OnnxFormatException(describe(s.node()) + " adds " + s.inputs() + ", expected '" + a
                            + "' and '" + b + "' (shortcut of " + blockName + ")");
                }
                return s.output();
            }

            private void pool(GlobalAveragePool pool) throws OnnxFormatException {
                Object op = take("global average pooling");
                if (!(op instanceof SimpleOp s) || !(s.node().getOpType().equals("GlobalAveragePool")
                        || s.node().getOpType().equals("ReduceMean"))) {
                    throw new OnnxFormatException(describe(node(op)) + " found where MobileNetV2 pools (" + pool.name() + ")");
                }
                expectInput(s, current);
                current = s.output();
                if (next < ops.size() && ops.get(next) instanceof SimpleOp f
                        && (f.node().getOpType().equals("Flatten") || f.node().getOpType().equals("Reshape"))) {
                    expectInput(f, current);
                    current = f.output();
                    next++;
                }
            }

            /** The image pooling: GlobalAveragePool when the window is the whole unpadded map, else AveragePool. */
            private void averagePool(AveragePool pool, Shape in) throws OnnxFormatException {
                Object op = take("average pooling " + pool.name());
                Padding.Axis rows = pool.rows(in.height());
                Padding.Axis cols = pool.columns(in.width());
                long[] pads = {rows.before(), cols.before(), rows.after(), cols.after()};
                boolean whole = pool.kernelHeight() == in.height() && pool.kernelWidth() == in.width()
                        && rows.output() == 1 && cols.output() == 1 && Arrays.equals(pads, new long[4]);
                if (!(op instanceof SimpleOp s) || !(s.node().getOpType().equals("AveragePool")
                        || (whole && s.node().getOpType().equals("GlobalAveragePool")))) {
                    throw new OnnxFormatException(describe(node(op)) + " found where DeepLabv3 pools (" + pool.name() + ")");
                }
                expectInput(s, current);
                if (s.node().getOpType().equals("AveragePool")) {
                    long[] kernel = intsAttribute(s.node(), "kernel_shape", new long[0]);
                    long[] strides = intsAttribute(s.node(), "strides", new long[] {1, 1});
                    long[] got = intsAttribute(s.node(), "pads", new long[4]);
                    if (!Arrays.equals(kernel, new long[] {pool.kernelHeight(), pool.kernelWidth()})
                            || strides[0] != pool.stride() || !Arrays.equals(got, pads)) {
                        throw new OnnxFormatException(describe(s.node()) + " has kernel " + Arrays.toString(kernel)
                                + " stride " + strides[0] + " pads " + Arrays.toString(got) + ", expected "
                                + pool.kernelHeight() + "x" + pool.kernelWidth() + " stride " + pool.stride() + " pads "
                                + Arrays.toString(pads) + " (" + pool.name() + " at " + in + ")");
                    }
                }
                current = s.output();
            }

            private void concat(Concat concat, List<String> inputs) throws OnnxFormatException {
                Object op = take("concatenation " + concat.name());
                if (!(op instanceof SimpleOp s) || !s.node().getOpType().equals("Concat")) {
                    throw new OnnxFormatException(describe(node(op)) + " found where DeepLabv3 concatenates ("
                            + concat.name() + ")");
                }
                if (!s.inputs().equals(inputs)) {
                    throw new OnnxFormatException(describe(s.node()) + " concatenates " + s.inputs() + ", expected "
                            + inputs + " (" + concat.name() + ")");
                }
                current = s.output();
            }

            private void resize(ResizeBilinear resize) throws OnnxFormatException {
                Object op = take("bilinear resize " + resize.name());
                if (!(op instanceof ResizeOp r)) {
                    throw new OnnxFormatException(describe(node(op)) + " found where DeepLabv3 resizes (" + resize.name() + ")");
                }
                if (!r.input().equals(current)) {
                    throw new OnnxFormatException(describe(r.node()) + " reads '" + r.input() + "', expected '" + current + "'");
                }
                if (r.height() != resize.height() || r.width() != resize.width() || r.alignCorners() != resize.alignCorners()
                        || r.halfPixelCenters() != resize.halfPixelCenters()) {
                    throw new OnnxFormatException(describe(r.node()) + " resizes to " + r.height() + "x" + r.width()
                            + (r.alignCorners() ? " aligning corners" : r.halfPixelCenters() ? " with half-pixel centres" : "")
                            + ", expected " + resize);
                }
                current = r.output();
            }

            private void dense(DenseSpec expected) throws OnnxFormatException {
                Object op = take("the classifier");
                if (!(op instanceof DenseOp d)) {
                    throw new OnnxFormatException(describe(node(op)) + " found where MobileNetV2 has its classifier");
                }
                if (!d.input.equals(current)) {
                    throw new OnnxFormatException(describe(d.node) + " reads '" + d.input + "', expected '" + current + "'");
                }
                if (d.bias == null) {
                    throw new OnnxFormatException(describe(d.node) + " has no bias");
                }
                long in = expected.inFeatures();
                long out = expected.outFeatures();
                float[] w = floats(d.weight, d.node);
                if (!Arrays.equals(dims(d.weight, d.node), d.outIn ? new long[] {out, in} : new long[] {in, out})) {
                    throw new OnnxFormatException(describe(d.node) + " weight " + Arrays.toString(dims(d.weight, d.node))
                            + " does not fit " + in + " -> " + out);
                }
                float[] b = floats(d.bias, d.node);
                long[] biasDims = dims(d.bias, d.node);
                if (b.length != out || !(biasDims.length == 1 || (biasDims.length == 2 && biasDims[0] == 1))) {
                    throw new OnnxFormatException(describe(d.node) + " bias " + Arrays.toString(biasDims) + " does not fit "
                            + out + " classes");
                }
                // Gemm with transB and PyTorch's Linear store [out][in] (OIHW of a 1x1 kernel); MatMul [in][out].
                classifier = (d.outIn ? WeightLayout.OIHW : WeightLayout.HWIO).dense(expected, w, b);
                current = d.output;
            }
        }

        private static NodeProto node(Object op) {
            if (op instanceof ConvOp c) {
                return c.node;
            }
            if (op instanceof DenseOp d) {
                return d.node;
            }
            if (op instanceof ResizeOp r) {
                return r.node();
            }
            return ((SimpleOp) op).node();
        }

        private float[] vector(TensorProto t, NodeProto node, long[] shape) throws OnnxFormatException {
            if (!Arrays.equals(dims(t, node), shape)) {
                throw new OnnxFormatException(describe(node) + ": tensor '" + t.getName() + "' has shape "
                        + Arrays.toString(dims(t, node)) + ", expected " + Arrays.toString(shape));
            }
            return floats(t, node);
        }
    }

    // ---- tensors and attributes, validated against hostile input ----

    private static long[] dims(TensorProto t, NodeProto node) throws OnnxFormatException {
        long[] dims = new long[t.getDimsCount()];
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) {
                throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' has negative dims");
            }
            n = dims[i] == 0 ? 0 : n > Integer.MAX_VALUE / dims[i] ? Long.MAX_VALUE : n * dims[i];
        }
        if (n > Integer.MAX_VALUE / 8) {
            throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' is too large");
        }
        return dims;
    }

    private static int elements(TensorProto t, NodeProto node) throws OnnxFormatException {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName()
                    + "' uses external data, which is not supported");
        }
        int n = 1;
        for (long d : dims(t, node)) {
            n *= (int) d;
        }
        return n;
    }

    static float[] floats(TensorProto t, NodeProto node) throws OnnxFormatException {
        int n = elements(t, node);
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' has data type "
                    + t.getDataType() + ", expected float32 (1)");
        }
        if (!t.getRawData().isEmpty()) {
            ByteString raw = t.getRawData();
            if (raw.size() != (long) n * Float.BYTES) {
                throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' has "
                        + raw.size() + " bytes of data, its shape needs " + (long) n * Float.BYTES);
            }
            float[] out = new float[n];
            raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        if (t.getFloatDataCount() != n) {
            throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' has "
                    + t.getFloatDataCount() + " values, its shape needs " + n);
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = t.getFloatData(i);
        }
        return out;
    }

    static long[] longs(TensorProto t, NodeProto node) throws OnnxFormatException {
        int n = elements(t, node);
        if (t.getDataType() != TensorProto.DataType.INT64_VALUE) {
            throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' must be int64");
        }
        if (!t.getRawData().isEmpty()) {
            if (t.getRawData().size() != (long) n * Long.BYTES) {
                throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' has the wrong data size");
            }
            long[] out = new long[n];
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().get(out);
            return out;
        }
        if (t.getInt64DataCount() != n) {
            throw new OnnxFormatException(Reader.describe(node) + ": tensor '" + t.getName() + "' has the wrong data size");
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = t.getInt64Data(i);
        }
        return out;
    }

    private static TensorProto constantValue(NodeProto node) throws OnnxFormatException {
        for (AttributeProto a : node.getAttributeList()) {
            switch (a.getName()) {
                case "value":
                    return a.getT();
                case "value_float":
                    return TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(a.getF()).build();
                case "value_floats":
                    return TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
                            .addDims(a.getFloatsCount()).addAllFloatData(a.getFloatsList()).build();
                case "value_int":
                    return TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(a.getI()).build();
                case "value_ints":
                    return TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
                            .addDims(a.getIntsCount()).addAllInt64Data(a.getIntsList()).build();
                default:
                    break;
            }
        }
        throw new OnnxFormatException(Reader.describe(node) + " has no supported value attribute");
    }

    /** A BatchNormalization node's epsilon (ONNX's default is torch's 1e-5). */
    private static float batchNormEpsilon(NodeProto batchNorm) throws OnnxFormatException {
        return floatAttribute(batchNorm, "epsilon", TORCH_EPSILON);
    }

    private static AttributeProto attribute(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    /** The attribute {@code name} of {@code node}, checked to be of {@code type}; null when absent. */
    private static AttributeProto typedAttribute(NodeProto node, String name, AttributeProto.AttributeType type,
                                                 String what) throws OnnxFormatException {
        AttributeProto a = attribute(node, name);
        if (a != null && a.getType() != type) {
            throw new OnnxFormatException(Reader.describe(node) + ": attribute " + name + " must be " + what);
        }
        return a;
    }

    private static long intAttribute(NodeProto node, String name, long fallback) throws OnnxFormatException {
        AttributeProto a = typedAttribute(node, name, AttributeProto.AttributeType.INT, "an int");
        return a == null ? fallback : a.getI();
    }

    private static float floatAttribute(NodeProto node, String name, float fallback) throws OnnxFormatException {
        AttributeProto a = typedAttribute(node, name, AttributeProto.AttributeType.FLOAT, "a float");
        return a == null ? fallback : a.getF();
    }

    private static long[] intsAttribute(NodeProto node, String name, long[] fallback) throws OnnxFormatException {
        AttributeProto a = typedAttribute(node, name, AttributeProto.AttributeType.INTS, "a list of ints");
        if (a == null) {
            return fallback;
        }
        long[] out = new long[a.getIntsCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.getInts(i);
        }
        return out;
    }

    private static String stringAttribute(NodeProto node, String name, String fallback) throws OnnxFormatException {
        AttributeProto a = typedAttribute(node, name, AttributeProto.AttributeType.STRING, "a string");
        return a == null ? fallback : a.getS().toStringUtf8();
    }
}
