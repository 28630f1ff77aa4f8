package dev.mnv2.tflite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The main subgraph of a TFLite file, parsed and structurally validated: every offset, length and index
 * checked, every constant buffer's size matched against its tensor's shape and type, every quantisation
 * parameter vector matched against the quantised dimension. Tensor data is not copied.
 */
final class TfliteGraph {
    /** TFLite's schema version; older and newer major versions are laid out differently. */
    static final long SCHEMA_VERSION = 3;

    record Quantization(float[] scale, long[] zeroPoint, int dimension) {
        boolean perChannel() {
            return scale.length > 1;
        }
    }

    /** @param data the constant contents (little-endian), or null for an activation */
    record TensorInfo(int index, String name, int type, int[] shape, ByteBuffer data, Quantization quantization) {
        long elements() {
            long n = 1;
            for (int d : shape) {
                n = Math.min(n * d, 1L << 40); // saturate: no real tensor comes near, and it cannot overflow
            }
            return n;
        }

        boolean constant() {
            return data != null;
        }

        String describe() {
            return "tensor #" + index + " '" + name + "' " + Schema.typeName(type) + Arrays.toString(shape);
        }
    }

    record Op(int index, int code, String customCode, int[] inputs, int[] outputs, int optionsType,
              Schema.Options options) {
        String name() {
            return code == Schema.CUSTOM ? "CUSTOM(" + customCode + ")" : Schema.operatorName(code);
        }

        String describe() {
            return "operator #" + index + " (" + name() + ")";
        }
    }

    final String description;
    final List<TensorInfo> tensors;
    final List<Op> ops;
    final int[] inputs;
    final int[] outputs;

    private TfliteGraph(String description, List<TensorInfo> tensors, List<Op> ops, int[] inputs, int[] outputs) {
        this.description = description;
        this.tensors = tensors;
        this.ops = ops;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    static TfliteGraph parse(ByteBuffer file) throws TfliteFormatException {
        ByteBuffer bytes = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.position() != 0) {
            bytes = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        }
        if (bytes.limit() < 8) {
            throw new TfliteFormatException("file of " + bytes.limit() + " bytes is too short to be a TFLite model");
        }
        byte[] id = new byte[4];
        bytes.duplicate().position(4).get(id);
        String identifier = new String(id, StandardCharsets.ISO_8859_1);
        if (!identifier.equals(Schema.FILE_IDENTIFIER)) {
            throw new TfliteFormatException("not a TFLite model: file identifier is '" + printable(identifier)
                    + "', expected '" + Schema.FILE_IDENTIFIER + "'");
        }
        CheckedTable.Source source = new CheckedTable.Source(bytes);
        Schema.Model model = new Schema.Model().bind(source, Integer.toUnsignedLong(bytes.getInt(0)), "model");
        long version = model.version();
        if (version != SCHEMA_VERSION) {
            throw new TfliteFormatException("TFLite schema version " + version + " is not supported (expected "
                    + SCHEMA_VERSION + ")");
        }
        String description = model.description();

        long[] codePositions = model.operatorCodes();
        int[] codes = new int[codePositions.length];
        String[] customCodes = new String[codePositions.length];
        for (int i = 0; i < codes.length; i++) {
            Schema.OperatorCode code = new Schema.OperatorCode().bind(source, codePositions[i], "operator_codes[" + i + "]");
            codes[i] = code.builtinCode();
            customCodes[i] = codes[i] == Schema.CUSTOM ? code.customCode() : "";
        }

        long[] bufferPositions = model.buffers();
        long[] subgraphs = model.subgraphs();
        if (subgraphs.length == 0) {
            throw new TfliteFormatException("model has no subgraph");
        }
        Schema.SubGraph graph = new Schema.SubGraph().bind(source, subgraphs[0], "subgraphs[0]");

        long[] tensorPositions = graph.tensors();
        List<TensorInfo> tensors = new ArrayList<>(tensorPositions.length);
        for (int i = 0; i < tensorPositions.length; i++) {
            Schema.Tensor t = new Schema.Tensor().bind(source, tensorPositions[i], "tensors[" + i + "]");
            tensors.add(tensor(i, t, bufferPositions, source));
        }

        int[] inputs = graph.inputs();
        int[] outputs = graph.outputs();
        checkIndices(inputs, tensors.size(), "subgraph inputs", false);
        checkIndices(outputs, tensors.size(), "subgraph outputs", false);

        long[] opPositions = graph.operators();
        List<Op> ops = new ArrayList<>(opPositions.length);
        for (int i = 0; i < opPositions.length; i++) {
            String where = "operators[" + i + "]";
            Schema.Operator op = new Schema.Operator().bind(source, opPositions[i], where);
            long opcode = op.opcodeIndex();
            if (opcode >= codes.length) {
                throw new TfliteFormatException(where + ": opcode index " + opcode + " but the model has "
                        + codes.length + " operator codes");
            }
            int[] in = op.inputs();
            int[] out = op.outputs();
            checkIndices(in, tensors.size(), where + " inputs", true);
            checkIndices(out, tensors.size(), where + " outputs", false);
            ops.add(new Op(i, codes[(int) opcode], customCodes[(int) opcode], in, out, op.optionsType(), op.options()));
        }
        return new TfliteGraph(description, List.copyOf(tensors), List.copyOf(ops), inputs, outputs);
    }

    private static TensorInfo tensor(int index, Schema.Tensor t, long[] bufferPositions, CheckedTable.Source source)
            throws TfliteFormatException {
        String where = "tensors[" + index + "]";
        int[] shape = t.shape();
        for (int d : shape) {
            if (d < 0) {
                throw new TfliteFormatException(where + ": negative dimension in shape " + Arrays.toString(shape));
            }
        }
        int type = t.type();
        String name = t.name();
        long bufferIndex = t.buffer();
        if (bufferIndex >= bufferPositions.length) {
            throw new TfliteFormatException(where + " '" + name + "': buffer index " + bufferIndex
                    + " but the model has " + bufferPositions.length + " buffers");
        }
        Schema.Buffer buffer = new Schema.Buffer().bind(source, bufferPositions[(int) bufferIndex],
                "buffers[" + bufferIndex + "]");
        ByteBuffer data = buffer.data();
        long offset = buffer.offset();
        if (offset > 1) {
            long size = buffer.size();
            if (size < 0 || offset + size > source.bytes.limit() || offset + size < 0) {
                throw new TfliteFormatException("buffers[" + bufferIndex + "]: external data at " + offset + " of "
                        + size + " bytes lies outside the " + source.bytes.limit() + "-byte file");
            }
            data = CheckedTable.slice(source.bytes, (int) offset, (int) size);
        }
        TensorInfo partial = new TensorInfo(index, name, type, shape, data.remaining() == 0 ? null : data, null);
        if (partial.constant()) {
            int size = Schema.typeSize(type);
            long needed = partial.elements() * size;
            if (size > 0 && needed != data.remaining()) {
                throw new TfliteFormatException(partial.describe() + " holds " + data.remaining()
                        + " bytes, its shape and type need " + needed);
            }
            if (t.sparse()) {
                throw new TfliteFormatException(partial.describe() + " is sparse, which is not supported");
            }
        }
        Schema.Quantization q = t.quantization();
        Quantization quantization = q == null ? null : quantization(partial, q);
        return new TensorInfo(index, name, type, shape, partial.data(), quantization);
    }

    private static Quantization quantization(TensorInfo t, Schema.Quantization q) throws TfliteFormatException {
        float[] scale = q.scale();
        long[] zeroPoint = q.zeroPoint();
        int dimension = q.quantizedDimension();
        if (scale.length == 0) {
            return null;
        }
        if (zeroPoint.length != scale.length && zeroPoint.length != 0) {
            throw new TfliteFormatException(t.describe() + ": " + scale.length + " quantisation scales but "
                    + zeroPoint.length + " zero points");
        }
        if (scale.length > 1) {
            if (dimension < 0 || dimension >= t.shape().length || t.shape()[dimension] != scale.length) {
                throw new TfliteFormatException(t.describe() + ": " + scale.length
                        + " per-channel scales do not match quantised dimension " + dimension);
            }
        }
        for (float s : scale) {
            if (!(s >= 0) || Float.isInfinite(s)) {
                throw new TfliteFormatException(t.describe() + ": invalid quantisation scale " + s);
            }
        }
        return new Quantization(scale, zeroPoint.length == 0 ? new long[scale.length] : zeroPoint, dimension);
    }

    private static void checkIndices(int[] indices, int count, String where, boolean optional)
            throws TfliteFormatException {
        for (int i : indices) {
            if (i >= count || i < (optional ? -1 : 0)) {
                throw new TfliteFormatException(where + ": tensor index " + i + " but the subgraph has " + count
                        + " tensors");
            }
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return b.toString();
    }
}
