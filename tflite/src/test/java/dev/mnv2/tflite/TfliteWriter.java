package dev.mnv2.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.mnv2.model.Activation;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a batch-norm-folded mnv2 network as a float32 TFLite flatbuffer laid out the way the TF1 converter
 * writes MobileNetV2 (CONV_2D / DEPTHWISE_CONV_2D with fused activations, ADD, AVERAGE_POOL_2D, 1x1 logits
 * conv, RESHAPE, SOFTMAX), so tests can make models of any width, resolution and class count.
 */
final class TfliteWriter {
    private final FlatBufferBuilder fb = new FlatBufferBuilder(1 << 16);
    private final List<Integer> buffers = new ArrayList<>();
    private final List<Integer> tensors = new ArrayList<>();
    private final List<Integer> operators = new ArrayList<>();
    private final List<Integer> opcodes = new ArrayList<>();
    private final List<Integer> opcodeIndex = new ArrayList<>();

    private TfliteWriter() {
        buffers.add(buffer(new byte[0])); // buffer 0 is the empty sentinel, as TFLite writes it
    }

    /** The flatbuffer of {@code network} (its batch norms must be folded), with labels appended as a zip. */
    static byte[] write(Network network) {
        byte[] flat = new TfliteWriter().model(network);
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
        int input = activation("input", shape);
        int current = input;
        for (Layer layer : network.layers()) {
            if (layer instanceof Conv2d conv) {
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
        }
        int classes = network.classes();
        int newShape = constant("logits/shape", Schema.INT32, new int[] {2}, ints(1, classes));
        int flat = tensor("logits/flat", Schema.FLOAT32, new int[] {1, classes}, 0);
        operator(Schema.RESHAPE, new int[] {current, newShape}, flat, 0, 0);
        int probabilities = tensor("probabilities", Schema.FLOAT32, new int[] {1, classes}, 0);
        operator(Schema.SOFTMAX, new int[] {flat}, probabilities, Schema.SOFTMAX_OPTIONS, softmaxOptions());

        int subgraph = subgraph(input, probabilities);
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
        int weights = constant(conv.name() + "/weights", Schema.FLOAT32, weightShape, floats(stored));
        float[] bias = conv.bias() == null ? new float[conv.outChannels()] : conv.bias();
        int biasTensor = constant(conv.name() + "/bias", Schema.FLOAT32, new int[] {conv.outChannels()}, floats(bias));
        int out = activation(conv.name(), outShape);
        int act = activationCode(conv.activation());
        if (conv.isDepthwise()) {
            operator(Schema.DEPTHWISE_CONV_2D, new int[] {input, weights, biasTensor}, out,
                    Schema.DEPTHWISE_CONV_2D_OPTIONS, depthwiseOptions(conv.stride(), act));
        } else {
            operator(Schema.CONV_2D, new int[] {input, weights, biasTensor}, out, Schema.CONV_2D_OPTIONS,
                    convOptions(conv.stride(), act));
        }
        return out;
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
        int weights = constant("logits/weights", Schema.FLOAT32, new int[] {out, 1, 1, in}, floats(stored));
        int bias = constant("logits/bias", Schema.FLOAT32, new int[] {out}, floats(dense.bias()));
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

    private int depthwiseOptions(int stride, int activation) {
        fb.startTable(5);
        fb.addInt(1, stride, 0);
        fb.addInt(2, stride, 0);
        fb.addInt(3, 1, 0);
        fb.addByte(4, (byte) activation, 0);
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

    private int constant(String name, int type, int[] shape, byte[] data) {
        buffers.add(buffer(data));
        return tensor(name, type, shape, buffers.size() - 1);
    }

    private int tensor(String name, int type, int[] shape, int buffer) {
        int shapeVector = intVector(shape);
        int nameString = fb.createString(name);
        fb.startTable(5);
        fb.addOffset(0, shapeVector, 0);
        fb.addByte(1, (byte) type, 0);
        fb.addInt(2, buffer, 0);
        fb.addOffset(3, nameString, 0);
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
