package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.proto.OnnxProto.GraphProto;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import dev.mnv2.onnx.proto.OnnxProto.NodeProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorProto;
import dev.mnv2.onnx.proto.OnnxProto.AttributeProto;
import dev.mnv2.onnx.proto.OnnxProto.StringStringEntryProto;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Corrupted and hostile ONNX files end in OnnxFormatException, never another exception or an OOM. */
class HostileOnnxTest {
    private static final Network NETWORK = MobileNetV2.builder().width(0.1).resolution(32).classes(3).seed(8).build();
    private static final ModelProto MODEL = OnnxExporter.builder().build().toModel(NETWORK);

    /** The import error of {@code model}, which an explicit check must have caught, not the backstop. */
    static String error(ModelProto model) {
        String message = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(model)).getMessage();
        assertFalse(message.startsWith(OnnxImporter.UNCHECKED), "slipped past the checks: " + message);
        return message;
    }

    static ModelProto editInitializer(String name, UnaryOperator<TensorProto.Builder> edit) {
        GraphProto.Builder g = MODEL.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(name)) {
                g.setInitializer(i, edit.apply(g.getInitializer(i).toBuilder()));
            }
        }
        return MODEL.toBuilder().setGraph(g).build();
    }

    /** {@code model} with metadata entry {@code key} set to {@code value} (added if absent). */
    static ModelProto withMetadata(ModelProto model, String key, String value) {
        ModelProto.Builder b = model.toBuilder().clearMetadataProps();
        boolean found = false;
        for (StringStringEntryProto e : model.getMetadataPropsList()) {
            found |= e.getKey().equals(key);
            b.addMetadataProps(e.getKey().equals(key) ? e.toBuilder().setValue(value).build() : e);
        }
        if (!found) {
            b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
        }
        return b.build();
    }

    /** {@code model} with the nodes {@code edit} changes. */
    static ModelProto editNodes(ModelProto model, UnaryOperator<NodeProto> edit) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            g.setNode(i, edit.apply(g.getNode(i)));
        }
        return model.toBuilder().setGraph(g).build();
    }

    static NodeProto withEpsilon(NodeProto node, float epsilon) {
        if (!node.getOpType().equals("BatchNormalization")) {
            return node;
        }
        NodeProto.Builder b = node.toBuilder().clearAttribute();
        b.addAttribute(AttributeProto.newBuilder().setName("epsilon").setType(AttributeProto.AttributeType.FLOAT).setF(epsilon));
        return b.build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "NaN", "-Infinity", "Infinity", "x"})
    void badBatchNormEpsilonInMetadataIsTheFormatException(String epsilon) {
        String e = error(withMetadata(MODEL, "batchNormEpsilon", epsilon));
        assertTrue(e.contains("batchNormEpsilon") || e.contains("batch-norm epsilon"), e);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2147483647", "-5", "0", "1e9", "65537"})
    void absurdInputSizeInMetadataIsTheFormatException(String size) {
        String e = error(withMetadata(MODEL, "inputHeight", size));
        assertTrue(e.contains("inputHeight") || e.contains("resolution"), e);
        e = error(withMetadata(withoutMetadata(symbolicInput(MODEL)), "resolution", size));
        assertTrue(e.contains("resolution"), e);
    }

    @ParameterizedTest
    @ValueSource(longs = {8193, 1L << 16, Integer.MAX_VALUE, 1L << 40})
    void absurdInputSizeInTheGraphIsTheFormatException(long size) {
        GraphProto.Builder g = MODEL.getGraph().toBuilder();
        var input = g.getInput(0).toBuilder();
        var shape = input.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        shape.setDim(2, shape.getDim(2).toBuilder().setDimValue(size));
        ModelProto hostile = withoutMetadata(MODEL.toBuilder().setGraph(g.setInput(0, input)).build());
        String e = error(hostile);
        assertTrue(e.contains("input 'input' of " + size + "x32 is outside"), e);
    }

    /** The backstop at the importer's entry: a runtime exception no check caught still ends as the format one. */
    @Test
    void anUncheckedFailureIsStillTheFormatException() {
        IllegalStateException gap = new IllegalStateException("a check the importer lacks");
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.guarded(() -> {
            throw gap;
        }));
        assertTrue(e.getMessage().startsWith(OnnxImporter.UNCHECKED) && e.getMessage().contains(gap.getMessage()));
        assertSame(gap, e.getCause());
    }

    static ModelProto withoutMetadata(ModelProto model) {
        return model.toBuilder().clearMetadataProps().build();
    }

    /** The input's height and width made symbolic, so that only metadata can say the resolution. */
    static ModelProto symbolicInput(ModelProto model) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        var input = g.getInput(0).toBuilder();
        var shape = input.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        shape.setDim(2, shape.getDim(2).toBuilder().setDimParam("height"));
        shape.setDim(3, shape.getDim(3).toBuilder().setDimParam("width"));
        return model.toBuilder().setGraph(g.setInput(0, input)).build();
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, -1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY})
    void badBatchNormalizationEpsilonAttributeIsTheFormatException(float epsilon) {
        ModelProto unfolded = OnnxExporter.builder().foldBatchNorm(false).build().toModel(NETWORK);
        ModelProto hostile = editNodes(unfolded, n -> withEpsilon(n, epsilon));
        assertTrue(error(hostile).contains("epsilon"), error(hostile));
        assertTrue(error(withoutMetadata(hostile)).contains("epsilon"), error(withoutMetadata(hostile)));
    }

    /**
     * The first shortcut Add made to add one tensor to itself: its second operand replaced by the first, and
     * also with the projection writing its result under the block input's name, so that the tensor the
     * importer expects on both sides is the same one.
     */
    @Test
    void shortcutAddOfOneTensorWithItselfIsTheFormatException() {
        NodeProto add = MODEL.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Add")).findFirst()
                .orElseThrow();
        String blockInput = add.getInput(0);
        String projection = add.getInput(1);
        ModelProto sameOperand = editNodes(MODEL, n -> n.equals(add) ? n.toBuilder().setInput(1, blockInput).build() : n);
        ModelProto renamedProjection = editNodes(sameOperand, n -> n.getOutput(0).equals(projection)
                ? n.toBuilder().setOutput(0, blockInput).build() : n);
        assertTrue(error(sameOperand).contains("Add"), error(sameOperand));
        assertTrue(error(withoutMetadata(sameOperand)).contains("Add"), error(withoutMetadata(sameOperand)));
        assertTrue(error(renamedProjection).contains("already defined"), error(renamedProjection));
        assertTrue(error(withoutMetadata(renamedProjection)).contains("already defined"));
    }

    @Test
    void hostileTensorsAreRejected() {
        String w = "features.4.conv.1.0.weight";
        assertTrue(error(editInitializer(w, t -> t.setDims(0, 1L << 40))).contains("too large"));
        assertTrue(error(editInitializer(w, t -> t.setDims(0, -3))).contains("negative"));
        assertTrue(error(editInitializer(w, t -> t.setRawData(t.getRawData().substring(4)))).contains("bytes of data"));
        assertTrue(error(editInitializer(w, t -> t.setDataType(TensorProto.DataType.DOUBLE_VALUE))).contains("float32"));
        assertTrue(error(editInitializer(w, t -> t.setDataLocation(TensorProto.DataLocation.EXTERNAL))).contains("external"));
        assertTrue(error(editInitializer(w, t -> t.setDims(1, 2))).contains("features.4.conv.1.0"));
        assertTrue(error(MODEL.toBuilder().clearGraph().build()).contains("no graph"));
        assertTrue(error(MODEL.toBuilder().clearOpsetImport().build()).contains("opset"));
    }

    @Test
    void fuzzedFilesEitherImportOrFailWithTheFormatException() {
        byte[] valid = MODEL.toByteArray();
        SplittableRandom random = new SplittableRandom(4711);
        int rejected = 0;
        int iterations = 1500;
        for (int i = 0; i < iterations; i++) {
            byte[] bytes;
            if (i % 4 == 0) {
                bytes = Arrays.copyOf(valid, random.nextInt(valid.length));
            } else {
                bytes = valid.clone();
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    bytes[random.nextInt(bytes.length)] ^= (byte) (1 + random.nextInt(255));
                }
            }
            try {
                OnnxImporter.fromBytes(bytes);
            } catch (OnnxFormatException e) {
                assertFalse(e.getMessage().startsWith(OnnxImporter.UNCHECKED), "iteration " + i + ": " + e.getMessage());
                rejected++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("iteration " + i + " ended in " + e, e);
            }
        }
        System.out.println("ONNX fuzz: " + rejected + " of " + iterations + " corrupted files rejected, the rest "
                + "changed only weight bytes, names or metadata and still formed a valid model");
        assertTrue(rejected > iterations / 4);
    }

    /** Byte flips inside single nodes and their attributes, where the structural checks are exercised. */
    @Test
    void fuzzedNodesEitherImportOrFailWithTheFormatException() {
        SplittableRandom random = new SplittableRandom(99);
        GraphProto graph = MODEL.getGraph();
        int rejected = 0;
        int parsed = 0;
        for (int i = 0; i < 3000; i++) {
            int index = random.nextInt(graph.getNodeCount());
            byte[] node = graph.getNode(index).toByteArray();
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                node[random.nextInt(node.length)] ^= (byte) (1 + random.nextInt(255));
            }
            NodeProto mutated;
            try {
                mutated = NodeProto.parseFrom(node);
            } catch (InvalidProtocolBufferException e) {
                continue;
            }
            parsed++;
            ModelProto model = MODEL.toBuilder().setGraph(graph.toBuilder().setNode(index, mutated)).build();
            try {
                OnnxImporter.fromModel(model);
            } catch (OnnxFormatException e) {
                assertFalse(e.getMessage().startsWith(OnnxImporter.UNCHECKED), "iteration " + i + ": " + e.getMessage());
                rejected++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("iteration " + i + " (node " + graph.getNode(index).getName() + ") ended in " + e, e);
            }
        }
        System.out.println("ONNX node fuzz: " + rejected + " of " + parsed + " mutated nodes rejected, the rest changed "
                + "only names or doc strings");
        assertTrue(rejected > parsed / 2);
    }
}
