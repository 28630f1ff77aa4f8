package dev.mnv2.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.mnv2.model.Activation;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.Dense;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.Padding;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a batch-norm-folded mnv2 network as a TFLite flatbuffer, so tests can make models of any width,
 * resolution and class count. {@link Graph#TF1} lays it out as the TF1 converter does (SAME convolutions
 * with fused activations, ADD, AVERAGE_POOL_2D, 1x1 logits conv, RESHAPE, SOFTMAX); {@link Graph#KERAS} as
 * Keras does (explicit PAD before VALID stride-2 depthwise convolutions, MEAN, FULLY_CONNECTED, SOFTMAX).
 * A {@link DeepLabV3} network is written as the published segmentation model is: dilated depthwise
 * convolutions, AVERAGE_POOL_2D, CONCATENATION, RESIZE_BILINEAR and a final ARG_MAX.
 * Weights are stored as float32, as float16 behind DEQUANTIZE ops, or as per-channel symmetric int8.
 */
final class TfliteWriter {
    /**
     * TF1 and Keras fuse activations into convolutions; UNFUSED writes each as a separate RELU6 operator;
     * TF1_QUANTIZED declares uint8 activations (input (p - 128) / 128) and leaves every RELU6 to the
     * [0, 6] range of its output's quantisation, as TOCO does when it drops a redundant activation.
     */
    enum Graph { TF1, KERAS, UNFUSED, TF1_QUANTIZED }

    /** INT8: symmetric per output channel, as TF2; UINT8: asymmetric per tensor with int32 biases, as TF1. */
    enum Weights { FLOAT32, FLOAT16, INT8, UINT8 }

    private final Graph graph;
    private final Weights weightFormat;
    private final FlatBufferBuilder fb = new FlatBufferBuilder(1 << 16);
    private final List<Integer> buffers = new ArrayList<>();
    private final List<Integer> tensors = new ArrayList<>();
    private final List<Integer> operators = new ArrayList<>();
    private final List<Integer> opcodes = new ArrayList<>();
    private final List<Integer> opcodeIndex = new ArrayList<>();

    private TfliteWriter(Graph graph, Weights weightFormat) {
        this.graph = graph;
        this.weightFormat = weightFormat;
        buffers.add(buffer(new byte[0])); // buffer 0 is the empty sentinel, as TFLite writes it
    }

    /** The flatbuffer of {@code network} (its batch norms must be folded), with labels appended as a zip. */
    static byte[] write(Network network) {
        return write(network, Graph.TF1, Weights.FLOAT32);
    }

    static byte[] write(Network network, Graph graph, Weights weights) {
        byte[] flat = new TfliteWriter(graph, weights).model(network);
        if (network.labels().isEmpty()) {
            return flat;
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(flat);
            ByteArrayOutputStream zipped = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(zipped)) {
                zip.putNextEntry(new ZipEntry("labels.txt"));
                zip.write(String.join("\n", network.labels()).getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
            out.write(zipped.toByteArray());
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] model(Network network) {
        Shape shape = network.input();
        int input = graph == Graph.TF1_QUANTIZED ? quantizedActivation("input", shape, 1f / 128, 128)
                : activation("input", shape);
        int current = input;
        Map<String, Integer> tensorOf = new HashMap<>();
        tensorOf.put(Network.INPUT, input);
        for (Node node : network.nodes()) {
            Layer layer = node.layer();
            current = tensorOf.get(node.inputs().get(0));
            shape = network.shape(node.inputs().get(0));
            Shape outShape = network.shape(node.name());
            if (layer instanceof AveragePool pool) {
                int out = activation(pool.name(), outShape);
                operator(Schema.AVERAGE_POOL_2D, new int[] {current}, out, Schema.POOL_2D_OPTIONS,
                        poolOptions(pool.kernelHeight(), pool.kernelWidth()));
                current = out;
            } else if (layer instanceof Concat) {
                int[] ins = node.inputs().stream().mapToInt(tensorOf::get).toArray();
                int out = activation(layer.name(), outShape);
                operator(Schema.CONCATENATION, ins, out, Schema.CONCATENATION_OPTIONS, concatOptions());
                current = out;
            } else if (layer instanceof ResizeBilinear r) {
                int size = constant(r.name() + "/size", Schema.INT32, new int[] {2}, ints(r.height(), r.width()));
                int out = activation(r.name(), outShape);
                operator(Schema.RESIZE_BILINEAR, new int[] {current, size}, out, Schema.RESIZE_BILINEAR_OPTIONS,
                        resizeOptions(r.alignCorners(), r.halfPixelCenters()));
                current = out;
            } else if (layer instanceof Conv2d conv) {
                current = conv(conv, current, shape);
                shape = conv.outputShape(shape);
            } else if (layer instanceof InvertedResidual block) {
                int blockInput = current;
                Shape blockShape = shape;
                if (block.expand() != null) {
                    current = conv(block.expand(), current, shape);
                    shape = block.expand().outputShape(shape);
                }
                current = conv(block.depthwise(), current, shape);
                shape = block.depthwise().outputShape(shape);
                current = conv(block.project(), current, shape);
                shape = block.project().outputShape(shape);
                if (block.hasBottleneckResidual()) {
                    int sum = activation(block.name() + "/add", shape);
                    operator(Schema.ADD, new int[] {current, blockInput}, sum, Schema.ADD_OPTIONS, addOptions());
                    current = sum;
                }
                if (!blockShape.equals(shape) && block.hasBottleneckResidual()) {
                    throw new IllegalStateException("residual over a shape change");
                }
            } else if (layer instanceof GlobalAveragePool && graph == Graph.KERAS) {
                int axes = constant("pool/axes", Schema.INT32, new int[] {2}, ints(1, 2));
                int out = tensor("pool", Schema.FLOAT32, new int[] {1, shape.channels()}, 0);
                operator(Schema.MEAN, new int[] {current, axes}, out, Schema.REDUCER_OPTIONS, reducerOptions());
                current = out;
                shape = new Shape(1, 1, shape.channels());
            } else if (layer instanceof GlobalAveragePool) {
                Shape pooled = new Shape(1, 1, shape.channels());
                int out = activation("pool", pooled);
                operator(Schema.AVERAGE_POOL_2D, new int[] {current}, out, Schema.POOL_2D_OPTIONS,
                        poolOptions(shape.height(), shape.width()));
                current = out;
                shape = pooled;
            } else if (layer instanceof Dense dense) {
                current = logits(dense, current);
            }
            tensorOf.put(node.name(), current);
        }
        if (network.outputs().equals(List.of(DeepLabV3.OUTPUT))) {
            Shape logits = network.outputShape();
            int axis = constant("argmax/axis", Schema.INT32, new int[] {}, ints(3));
            int classes = tensor("argmax", Schema.INT64, new int[] {1, logits.height(), logits.width()}, 0);
            operator(Schema.ARG_MAX, new int[] {current, axis}, classes, Schema.ARG_MAX_OPTIONS, argMaxOptions());
            return finish(input, classes);
        }
        int classes = network.classes();
        int flat = current;
        if (graph == Graph.TF1) {
            int newShape = constant("logits/shape", Schema.INT32, new int[] {2}, ints(1, classes));
            flat = tensor("logits/flat", Schema.FLOAT32, new int[] {1, classes}, 0);
            operator(Schema.RESHAPE, new int[] {current, newShape}, flat, 0, 0);
        }
        int probabilities = tensor("probabilities", Schema.FLOAT32, new int[] {1, classes}, 0);
        operator(Schema.SOFTMAX, new int[] {flat}, probabilities, Schema.SOFTMAX_OPTIONS, softmaxOptions());

        return finish(input, probabilities);
    }

    /**
     * A hostile file: the input feeds a chain of {@code length} QUANTIZE operators whose last one writes
     * back into the input, a cycle no real converter produces.
     */
    static byte[] cyclic(int length) {
        TfliteWriter w = new TfliteWriter(Graph.TF1, Weights.FLOAT32);
        int[] shape = {1, 32, 32, 3};
        int input = w.tensor("input", Schema.FLOAT32, shape, 0);
        int current = input;
        for (int i = 0; i < length; i++) {
            int next = i == length - 1 ? input : w.tensor("q" + i, Schema.FLOAT32, shape, 0);
            w.operator(Schema.QUANTIZE, new int[] {current}, next, 0, 0);
            current = next;
        }
        return w.finish(input, input);
    }

    private byte[] finish(int input, int output) {
        int subgraph = subgraph(input, output);
        int[] codes = opcodes.stream().mapToInt(this::operatorCode).toArray();
        int codesVector = fb.createVectorOfTables(codes);
        int subgraphs = fb.createVectorOfTables(new int[] {subgraph});
        int description = fb.createString("mnv2 test writer");
        int buffersVector = fb.createVectorOfTables(buffers.stream().mapToInt(Integer::intValue).toArray());
        fb.startTable(5);
        fb.addInt(0, 3, 0);
        fb.addOffset(1, codesVector, 0);
        fb.addOffset(2, subgraphs, 0);
        fb.addOffset(3, description, 0);
        fb.addOffset(4, buffersVector, 0);
        fb.finish(fb.endTable(), Schema.FILE_IDENTIFIER);
        return fb.sizedByteArray();
    }

    private int conv(Conv2d conv, int input, Shape in) {
        if (conv.batchNorm() != null || conv.groups() != 1 && !conv.isDepthwise()) {
            throw new IllegalArgumentException(conv.name() + ": fold batch norms first");
        }
        Shape outShape = conv.outputShape(in);
        int k = conv.kernel();
        float[] w = conv.weight();
        float[] stored;
        int[] weightShape;
        if (conv.isDepthwise()) {
            stored = w; // HWIO with I = 1 is TFLite's [1, k, k, C]
            weightShape = new int[] {1, k, k, conv.outChannels()};
        } else {
            int o = conv.outChannels();
            int i = conv.inChannels();
            stored = new float[w.length];
            for (int co = 0; co < o; co++) {
                for (int tap = 0; tap < k * k; tap++) {
                    for (int ci = 0; ci < i; ci++) {
                        stored[(co * k * k + tap) * i + ci] = w[(tap * i + ci) * o + co];
                    }
                }
            }
            weightShape = new int[] {o, k, k, i};
        }
        int weights = weights(conv.name() + "/weights", weightShape, stored, conv.isDepthwise() ? 3 : 0);
        float[] bias = conv.bias() == null ? new float[conv.outChannels()] : conv.bias();
        int biasTensor = bias(conv.name() + "/bias", bias);
        int act = activationCode(conv.activation());
        int out;
        if (graph == Graph.TF1_QUANTIZED) {
            out = switch (conv.activation()) {
                case RELU6 -> quantizedActivation(conv.name(), outShape, 6f / 255, 0);
                case RELU -> quantizedActivation(conv.name(), outShape, 0.1f, 0);
                // The first projection's calibrated range starts at 0, as a linear layer's may by chance.
                case IDENTITY -> quantizedActivation(conv.name(), outShape, 0.2f, conv.name().equals("features.1.conv.1") ? 0 : 128);
            };
            act = Schema.ACT_NONE;
        } else {
            out = activation(conv.name(), outShape);
        }
        int activated = out;
        if (graph == Graph.UNFUSED && act != Schema.ACT_NONE) {
            activated = activation(conv.name() + "/relu6", outShape);
            act = Schema.ACT_NONE;
        }
        if (conv.isDepthwise()) {
            int padding = Schema.SAME;
            if (graph == Graph.KERAS && conv.stride() > 1) {
                // Keras: ZeroPadding2D with the SAME amounts, then a VALID depthwise convolution.
                Padding.Axis rows = conv.resolve(in.height());
                Padding.Axis cols = conv.resolve(in.width());
                int pads = constant(conv.name() + "/pads", Schema.INT32, new int[] {4, 2},
                        ints(0, 0, rows.before(), rows.after(), cols.before(), cols.after(), 0, 0));
                int padded = activation(conv.name() + "/padded", new Shape(in.height() + rows.before() + rows.after(),
                        in.width() + cols.before() + cols.after(), in.channels()));
                operator(Schema.PAD, new int[] {input, pads}, padded, 0, 0);
                input = padded;
                padding = Schema.VALID;
            }
            operator(Schema.DEPTHWISE_CONV_2D, new int[] {input, weights, biasTensor}, out,
                    Schema.DEPTHWISE_CONV_2D_OPTIONS, depthwiseOptions(conv.stride(), conv.dilation(), act, padding));
        } else {
            operator(Schema.CONV_2D, new int[] {input, weights, biasTensor}, out, Schema.CONV_2D_OPTIONS,
                    convOptions(conv.stride(), act));
        }
        if (activated != out) {
            operator(Schema.RELU6, new int[] {out}, activated, 0, 0);
        }
        return activated;
    }

    private int logits(Dense dense, int input) {
        int in = dense.inFeatures();
        int out = dense.outFeatures();
        float[] stored = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                stored[o * in + i] = dense.weight()[i * out + o];
            }
        }
        int bias = bias("logits/bias", dense.bias());
        if (graph == Graph.KERAS) {
            int weights = weights("logits/weights", new int[] {out, in}, stored, 0);
            int result = tensor("logits", Schema.FLOAT32, new int[] {1, out}, 0);
            operator(Schema.FULLY_CONNECTED, new int[] {input, weights, bias}, result, Schema.FULLY_CONNECTED_OPTIONS,
                    fullyConnectedOptions());
            return result;
        }
        int weights = weights("logits/weights", new int[] {out, 1, 1, in}, stored, 0);
        int result = activation("logits", new Shape(1, 1, out));
        operator(Schema.CONV_2D, new int[] {input, weights, bias}, result, Schema.CONV_2D_OPTIONS,
                convOptions(1, Schema.ACT_NONE));
        return result;
    }

    private static int activationCode(Activation a) {
        return switch (a) {
            case IDENTITY -> Schema.ACT_NONE;
            case RELU -> Schema.ACT_RELU;
            case RELU6 -> Schema.ACT_RELU6;
        };
    }

    private int convOptions(int stride, int activation) {
        fb.startTable(4);
        fb.addInt(1, stride, 0);
        fb.addInt(2, stride, 0);
        fb.addByte(3, (byte) activation, 0);
        return fb.endTable();
    }

    private int depthwiseOptions(int stride, int dilation, int activation, int padding) {
        fb.startTable(7);
        fb.addByte(0, (byte) padding, Schema.SAME);
        fb.addInt(1, stride, 0);
        fb.addInt(2, stride, 0);
        fb.addInt(3, 1, 0);
        fb.addByte(4, (byte) activation, 0);
        fb.addInt(5, dilation, 1);
        fb.addInt(6, dilation, 1);
        return fb.endTable();
    }

    private int concatOptions() {
        fb.startTable(2);
        fb.addInt(0, 3, 0);
        return fb.endTable();
    }

    private int resizeOptions(boolean alignCorners, boolean halfPixelCenters) {
        fb.startTable(4);
        fb.addBoolean(2, alignCorners, false);
        fb.addBoolean(3, halfPixelCenters, false);
        return fb.endTable();
    }

    private int argMaxOptions() {
        fb.startTable(1);
        fb.addByte(0, (byte) Schema.INT64, 0);
        return fb.endTable();
    }

    private int poolOptions(int h, int w) {
        fb.startTable(6);
        fb.addByte(0, (byte) Schema.VALID, 0);
        fb.addInt(1, 1, 0);
        fb.addInt(2, 1, 0);
        fb.addInt(3, w, 0);
        fb.addInt(4, h, 0);
        return fb.endTable();
    }

    private int reducerOptions() {
        fb.startTable(1);
        return fb.endTable();
    }

    private int fullyConnectedOptions() {
        fb.startTable(1);
        return fb.endTable();
    }

    private int addOptions() {
        fb.startTable(1);
        return fb.endTable();
    }

    private int softmaxOptions() {
        fb.startTable(1);
        fb.addFloat(0, 1f, 0f);
        return fb.endTable();
    }

    private void operator(int code, int[] inputs, int output, int optionsType, int options) {
        int index = opcodes.indexOf(code);
        if (index < 0) {
            index = opcodes.size();
            opcodes.add(code);
        }
        int in = intVector(inputs);
        int out = intVector(new int[] {output});
        fb.startTable(5);
        fb.addInt(0, index, 0);
        fb.addOffset(1, in, 0);
        fb.addOffset(2, out, 0);
        if (options != 0) {
            fb.addByte(3, (byte) optionsType, 0);
            fb.addOffset(4, options, 0);
        }
        operators.add(fb.endTable());
    }

    private int operatorCode(int code) {
        fb.startTable(4);
        fb.addByte(0, (byte) Math.min(code, 127), 0);
        fb.addInt(2, 1, 1);
        fb.addInt(3, code, 0);
        return fb.endTable();
    }

    private int subgraph(int input, int output) {
        int tensorVector = fb.createVectorOfTables(tensors.stream().mapToInt(Integer::intValue).toArray());
        int in = intVector(new int[] {input});
        int out = intVector(new int[] {output});
        int ops = fb.createVectorOfTables(operators.stream().mapToInt(Integer::intValue).toArray());
        int name = fb.createString("main");
        fb.startTable(5);
        fb.addOffset(0, tensorVector, 0);
        fb.addOffset(1, in, 0);
        fb.addOffset(2, out, 0);
        fb.addOffset(3, ops, 0);
        fb.addOffset(4, name, 0);
        return fb.endTable();
    }

    private int activation(String name, Shape shape) {
        return tensor(name, Schema.FLOAT32, new int[] {1, shape.height(), shape.width(), shape.channels()}, 0);
    }

    /** A weight tensor in the writer's weight format; {@code channelAxis} is the per-channel int8 axis. */
    private int weights(String name, int[] shape, float[] values, int channelAxis) {
        switch (weightFormat) {
            case FLOAT32 -> {
                return constant(name, Schema.FLOAT32, shape, floats(values));
            }
            case FLOAT16 -> {
                ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : values) {
                    b.putShort(floatToHalf(v));
                }
                int stored = constant(name + "/fp16", Schema.FLOAT16, shape, b.array());
                int dequantized = tensor(name, Schema.FLOAT32, shape, 0);
                operator(Schema.DEQUANTIZE, new int[] {stored}, dequantized, 0, 0);
                return dequantized;
            }
            case UINT8 -> {
                float min = 0;
                float max = 0;
                for (float v : values) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                float scale = max > min ? (max - min) / 255 : 1;
                long zero = Math.round(-min / scale);
                byte[] q = new byte[values.length];
                for (int i = 0; i < values.length; i++) {
                    q[i] = (byte) Math.max(0, Math.min(255, Math.round(values[i] / scale) + zero));
                }
                buffers.add(buffer(q));
                return tensor(name, Schema.UINT8, shape, buffers.size() - 1,
                        quantization(new float[] {scale}, new long[] {zero}, 0));
            }
            default -> {
                int channels = shape[channelAxis];
                int inner = 1;
                for (int d = channelAxis + 1; d < shape.length; d++) {
                    inner *= shape[d];
                }
                float[] scale = new float[channels];
                for (int i = 0; i < values.length; i++) {
                    int c = (i / inner) % channels;
                    scale[c] = Math.max(scale[c], Math.abs(values[i]) / 127f);
                }
                byte[] q = new byte[values.length];
                for (int i = 0; i < values.length; i++) {
                    float s = scale[(i / inner) % channels];
                    q[i] = (byte) (s == 0 ? 0 : Math.round(values[i] / s));
                }
                buffers.add(buffer(q));
                return tensor(name, Schema.INT8, shape, buffers.size() - 1,
                        quantization(scale, new long[channels], channelAxis));
            }
        }
    }

    /** Biases: float32, or int32 with their own scale when the weights are uint8 (as TF1 stores them). */
    private int bias(String name, float[] values) {
        if (weightFormat != Weights.UINT8) {
            return constant(name, Schema.FLOAT32, new int[] {values.length}, floats(values));
        }
        float largest = 0;
        for (float v : values) {
            largest = Math.max(largest, Math.abs(v));
        }
        float scale = largest > 0 ? largest / (1 << 20) : 1e-6f;
        int[] q = new int[values.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = Math.round(values[i] / scale);
        }
        buffers.add(buffer(ints(q)));
        return tensor(name, Schema.INT32, new int[] {values.length}, buffers.size() - 1,
                quantization(new float[] {scale}, new long[] {0}, 0));
    }

    private int quantizedActivation(String name, Shape shape, float scale, long zero) {
        return tensor(name, Schema.UINT8, new int[] {1, shape.height(), shape.width(), shape.channels()}, 0,
                quantization(new float[] {scale}, new long[] {zero}, 0));
    }

    private int quantization(float[] scale, long[] zeroPoint, int axis) {
        fb.startVector(4, scale.length, 4);
        for (int i = scale.length - 1; i >= 0; i--) {
            fb.addFloat(scale[i]);
        }
        int scales = fb.endVector();
        fb.startVector(8, zeroPoint.length, 8);
        for (int i = zeroPoint.length - 1; i >= 0; i--) {
            fb.addLong(zeroPoint[i]);
        }
        int zeros = fb.endVector();
        fb.startTable(7);
        fb.addOffset(2, scales, 0);
        fb.addOffset(3, zeros, 0);
        fb.addInt(6, axis, 0);
        return fb.endTable();
    }

    /** IEEE 754 binary16 nearest to {@code value} (normal range; the test weights are nowhere near overflow). */
    static short floatToHalf(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        float magnitude = Math.abs(value);
        if (magnitude < 0x1p-14f) { // subnormal half: multiples of 2^-24
            return (short) (sign | Math.round(magnitude * 0x1p24f));
        }
        int exponent = Math.getExponent(magnitude);
        int mantissa = Math.round((magnitude / (float) Math.scalb(1.0, exponent) - 1f) * 1024f);
        if (mantissa == 1024) {
            mantissa = 0;
            exponent++;
        }
        return (short) (sign | ((exponent + 15) << 10) | mantissa);
    }

    private int constant(String name, int type, int[] shape, byte[] data) {
        buffers.add(buffer(data));
        return tensor(name, type, shape, buffers.size() - 1);
    }

    private int tensor(String name, int type, int[] shape, int buffer) {
        return tensor(name, type, shape, buffer, 0);
    }

    private int tensor(String name, int type, int[] shape, int buffer, int quantization) {
        int shapeVector = intVector(shape);
        int nameString = fb.createString(name);
        fb.startTable(5);
        fb.addOffset(0, shapeVector, 0);
        fb.addByte(1, (byte) type, 0);
        fb.addInt(2, buffer, 0);
        fb.addOffset(3, nameString, 0);
        if (quantization != 0) {
            fb.addOffset(4, quantization, 0);
        }
        tensors.add(fb.endTable());
        return tensors.size() - 1;
    }

    private int buffer(byte[] data) {
        int vector = data.length == 0 ? 0 : fb.createByteVector(data);
        fb.startTable(1);
        if (vector != 0) {
            fb.addOffset(0, vector, 0);
        }
        return fb.endTable();
    }

    private int intVector(int[] values) {
        fb.startVector(4, values.length, 4);
        for (int i = values.length - 1; i >= 0; i--) {
            fb.addInt(values[i]);
        }
        return fb.endVector();
    }

    private static byte[] floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    private static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return Arrays.copyOf(b.array(), b.capacity());
    }
}
