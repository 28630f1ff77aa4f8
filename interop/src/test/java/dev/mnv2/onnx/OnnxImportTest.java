package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shortcut;
import dev.mnv2.onnx.proto.OnnxProto.AttributeProto;
import dev.mnv2.onnx.proto.OnnxProto.GraphProto;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import dev.mnv2.onnx.proto.OnnxProto.NodeProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorShapeProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImportTest {
    @TempDir
    Path dir;

    static float[][] logits(Network network) {
        Tensor images = OnnxRuntimeAgreementTest.randomImages(2, network.input(), 77);
        try (Predictor p = Predictor.create(network)) {
            return p.logits(images);
        }
    }

    static void assertSameLogits(Network expected, Network actual) {
        float[][] a = logits(expected);
        float[][] b = logits(actual);
        for (int n = 0; n < a.length; n++) {
            assertArrayEquals(a[n], b[n], 0f, "logits must be bit-identical");
        }
    }

    @Test
    void foldedExportReimportsWithIdenticalFoldedWeightsAndLogits() throws Exception {
        Network network = MobileNetV2.builder().width(0.5).resolution(96).classes(10).seed(5).build()
                .withLabels(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        Path file = dir.resolve("m.onnx");
        OnnxExporter.builder().build().write(network, file);
        Network imported = OnnxImporter.read(file).network();
        assertEquals(network.config(), imported.config());
        assertEquals(network.labels(), imported.labels());
        List<Conv2d> folded = network.foldBatchNorm().convolutions();
        List<Conv2d> read = imported.convolutions();
        for (int i = 0; i < folded.size(); i++) {
            assertArrayEquals(folded.get(i).weight(), read.get(i).weight(), folded.get(i).name());
            assertArrayEquals(folded.get(i).bias(), read.get(i).bias(), folded.get(i).name());
            assertNull(read.get(i).batchNorm());
        }
        assertArrayEquals(network.classifier().weight(), imported.classifier().weight());
        assertSameLogits(network, imported);
    }

    @Test
    void unfoldedExportKeepsBatchNormsExactly() throws Exception {
        Network network = MobileNetV2.builder().width(0.35).resolution(64, 80).classes(4).seed(6)
                .bottleneck("relu6").shortcut(Shortcut.EXPANSION).expansion(3).build();
        Network imported = OnnxImporter.fromBytes(OnnxExporter.builder().foldBatchNorm(false).build().toBytes(network)).network();
        assertEquals(network.config(), imported.config());
        List<Conv2d> a = network.convolutions();
        List<Conv2d> b = imported.convolutions();
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).weight(), b.get(i).weight());
            assertEquals(a.get(i).batchNorm().epsilon(), b.get(i).batchNorm().epsilon());
            assertArrayEquals(a.get(i).batchNorm().gamma(), b.get(i).batchNorm().gamma());
            assertArrayEquals(a.get(i).batchNorm().mean(), b.get(i).batchNorm().mean());
            assertArrayEquals(a.get(i).batchNorm().variance(), b.get(i).batchNorm().variance());
        }
        assertSameLogits(network, imported);
    }

    /** Keeping batch norms of a folded network (any TFLite import) writes identity ones, as safetensors does. */
    @Test
    void foldedNetworkExportedWithBatchNormsGetsIdentityBatchNormalizationNodes() throws Exception {
        Network folded = MobileNetV2.builder().width(0.35).resolution(64).classes(4).seed(7).build().foldBatchNorm();
        ModelProto model = OnnxExporter.builder().foldBatchNorm(false).build().toModel(folded);
        List<NodeProto> nodes = model.getGraph().getNodeList();
        int convs = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).getOpType().equals("Conv")) {
                convs++;
                assertEquals(2, nodes.get(i).getInputCount(), nodes.get(i).getName() + " has no bias");
                assertEquals("BatchNormalization", nodes.get(i + 1).getOpType(), nodes.get(i).getName());
            }
        }
        assertEquals(folded.convolutions().size(), convs);
        Network imported = OnnxImporter.fromModel(model).network();
        assertEquals(1f, imported.convolutions().get(0).batchNorm().gamma()[0]);
        assertSameLogits(folded, imported);
    }

    @Test
    void softmaxEndedGraphImportsToo() throws Exception {
        Network network = MobileNetV2.builder().width(0.35).resolution(32).classes(3).seed(1).build();
        Network imported = OnnxImporter.fromBytes(OnnxExporter.builder().softmax(true).build().toBytes(network)).network();
        assertSameLogits(network, imported);
    }

    /**
     * What torch.onnx.export writes for torchvision's mobilenet_v2: no mnv2 metadata, fixed batch 1, values
     * and nodes named by module path ({@code /features/features.3/Add_output_0}), folded weights under
     * generated names ({@code onnx::Conv_0}), Clip bounds as Constant nodes (as attributes with opset 9),
     * Gemm with explicit alpha, beta and transB, and the input listed again among the initializers' inputs
     * as old exporters did ({@code keep_initializers_as_inputs}).
     */
    static ModelProto torchvisionStyle(ModelProto exported, int opset, boolean fixedBatch) {
        GraphProto g = exported.getGraph();
        GraphProto.Builder out = g.toBuilder().clearNode().clearInitializer();
        java.util.Map<String, String> renamed = new java.util.HashMap<>();
        int counter = 0;
        for (TensorProto t : g.getInitializerList()) {
            if (t.getName().startsWith("relu6")) {
                continue;
            }
            String name = t.getName().startsWith("classifier") ? t.getName() : "onnx::Conv_" + counter++;
            renamed.put(t.getName(), name);
            out.addInitializer(t.toBuilder().setName(name));
            out.addInput(dev.mnv2.onnx.proto.OnnxProto.ValueInfoProto.newBuilder().setName(name)
                    .setType(OnnxExporter.valueInfo("x", 1).getType()));
        }
        for (NodeProto n : g.getNodeList()) {
            String path = "/" + n.getName().replace('.', '/') + "/" + n.getOpType();
            String output = n.getOutput(0).equals(OnnxExporter.LOGITS) ? n.getOutput(0) : path + "_output_0";
            renamed.put(n.getOutput(0), output);
            NodeProto.Builder b = n.toBuilder().setName(path).setOutput(0, output).clearInput();
            if (n.getOpType().equals("Clip")) {
                b.addInput(renamed.get(n.getInput(0)));
                if (opset < 11) {
                    b.addAttribute(AttributeProto.newBuilder().setName("min").setType(AttributeProto.AttributeType.FLOAT).setF(0));
                    b.addAttribute(AttributeProto.newBuilder().setName("max").setType(AttributeProto.AttributeType.FLOAT).setF(6));
                } else {
                    out.addNode(constant(path + "/Constant_output_0", 0f));
                    out.addNode(constant(path + "/Constant_1_output_0", 6f));
                    b.addInput(path + "/Constant_output_0").addInput(path + "/Constant_1_output_0");
                }
            } else {
                for (String input : n.getInputList()) {
                    b.addInput(renamed.getOrDefault(input, input));
                }
            }
            if (n.getOpType().equals("Gemm")) {
                b.addAttribute(AttributeProto.newBuilder().setName("alpha").setType(AttributeProto.AttributeType.FLOAT).setF(1));
                b.addAttribute(AttributeProto.newBuilder().setName("beta").setType(AttributeProto.AttributeType.FLOAT).setF(1));
            }
            out.addNode(b);
        }
        if (fixedBatch) {
            var input = out.getInput(0).toBuilder();
            input.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
                    .setDim(0, TensorShapeProto.Dimension.newBuilder().setDimValue(1));
            out.setInput(0, input);
        }
        return exported.toBuilder().clearMetadataProps().setProducerName("pytorch").setGraph(out)
                .setOpsetImport(0, exported.getOpsetImport(0).toBuilder().setVersion(opset)).build();
    }

    static NodeProto constant(String name, float value) {
        return NodeProto.newBuilder().setOpType("Constant").setName(name).addOutput(name)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(TensorProto.newBuilder().setDataType(1).addFloatData(value)))
                .build();
    }

    @Test
    void torchvisionStyleGraphsAreInferredAsSymmetricPaddedMobileNetV2() throws Exception {
        Network network = MobileNetV2.builder().width(0.75).resolution(128).classes(12).seed(8)
                .padding(Padding.symmetric(1)).batchNormEpsilon(1e-5f).build();
        ModelProto exported = OnnxExporter.builder().build().toModel(network);
        for (int opset : new int[] {9, 13}) {
            Network imported = OnnxImporter.fromModel(torchvisionStyle(exported, opset, true)).network();
            MobileNetV2Config config = (MobileNetV2Config) imported.config();
            assertEquals(0.75, config.width());
            assertEquals(128, config.inputHeight());
            assertEquals(12, config.classes());
            assertEquals(Padding.symmetric(1), config.padding());
            assertSameLogits(network, imported);
        }
    }

    @Test
    void tensorflowSamePaddingIsRecognisedFromAsymmetricPadsWithoutMetadata() throws Exception {
        Network network = MobileNetV2.builder().width(1.0).resolution(96).classes(5).seed(2).build();
        Network imported = OnnxImporter.fromModel(torchvisionStyle(OnnxExporter.builder().build().toModel(network), 13, false)).network();
        assertEquals(Padding.same(), ((MobileNetV2Config) imported.config()).padding());
        assertEquals(96, imported.input().height());
        assertSameLogits(network, imported);
    }

    static String importError(ModelProto model) {
        return assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(model)).getMessage();
    }

    static ModelProto editNodes(ModelProto model, UnaryOperator<NodeProto> edit) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            g.setNode(i, edit.apply(g.getNode(i)));
        }
        return model.toBuilder().setGraph(g).build();
    }

    @Test
    void graphsThatAreNotMobileNetV2AreRejectedNamingTheNode() {
        Network network = MobileNetV2.builder().width(0.35).resolution(32).classes(3).seed(1).build();
        ModelProto model = OnnxExporter.builder().build().toModel(network);
        String e = importError(editNodes(model, n -> n.getName().equals("features.5.conv.1.0.relu6")
                ? n.toBuilder().setOpType("Sigmoid").clearInput().addInput(n.getInput(0)).build() : n));
        assertTrue(e.contains("unsupported operator") && e.contains("features.5.conv.1.0.relu6") && e.contains("Sigmoid"), e);
        e = importError(editNodes(model, n -> n.getName().equals("features.3.add")
                ? n.toBuilder().setInput(0, "features.2.conv.1.0.relu6").build() : n));
        assertTrue(e.contains("features.3.add"), e);
        e = importError(editNodes(model, n -> n.getName().equals("features.7.conv.0.0")
                ? n.toBuilder().setAttribute(1, OnnxExporter.ints("strides", 2, 2)).build() : n));
        assertTrue(e.contains("features.7.conv.0.0"), e);
        e = importError(editNodes(model, n -> n.getName().equals("features.1.conv.0.0")
                ? n.toBuilder().setAttribute(3, OnnxExporter.ints("pads", 0, 0, 0, 0)).build() : n));
        assertTrue(e.contains("features.1.conv.0.0") && e.contains("pads"), e);
        e = importError(editNodes(model, n -> n.getOpType().equals("Conv") && n.getName().equals("features.0.0")
                ? n.toBuilder().setDomain("com.microsoft").build() : n));
        assertTrue(e.contains("features.0.0") && e.contains("domain"), e);
        GraphProto.Builder g = model.getGraph().toBuilder();
        g.addNode(NodeProto.newBuilder().setOpType("Relu").setName("extra").addInput("logits").addOutput("extra"));
        e = importError(model.toBuilder().setGraph(g).build());
        assertTrue(e.contains("extra"), e);
        e = importError(model.toBuilder().addMetadataProps(model.getMetadataProps(0).toBuilder()).build()
                .toBuilder().setMetadataProps(1, model.getMetadataProps(1).toBuilder().setValue("9.5")).build());
        assertTrue(e.contains("metadata does not match"), e);
    }

    @Test
    void unreadableFileIsTheFormatException() throws Exception {
        Path file = dir.resolve("junk.onnx");
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02});
        String e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.read(file)).getMessage();
        assertTrue(e.startsWith(file.toString()), e);
    }
}
