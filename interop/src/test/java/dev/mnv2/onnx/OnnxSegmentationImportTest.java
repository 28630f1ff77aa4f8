package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.ArgMax;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import dev.mnv2.onnx.proto.OnnxProto.NodeProto;
import dev.mnv2.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Exported Mobile DeepLabv3 graphs read back onto {@link DeepLabV3} with bit-identical logits, and what is refused. */
class OnnxSegmentationImportTest {
    private static Network small() {
        return DeepLabV3.builder().width(0.35).resolution(65).classes(4).headChannels(16).seed(2).build();
    }

    private static void assertSameLogits(Network expected, Network actual) {
        Tensor images = OnnxRuntimeAgreementTest.randomImages(2, expected.input(), 31);
        assertArrayEquals(OnnxSegmentationRuntimeTest.mnv2Logits(expected, images).data(),
                OnnxSegmentationRuntimeTest.mnv2Logits(actual, images).data(), 0f, "logits must be bit-identical");
    }

    @Test
    void foldedExportReimportsWithIdenticalLogits() throws Exception {
        Network network = small().withLabels(List.of("background", "bird", "cat", "dog"));
        Network imported = OnnxImporter.fromBytes(OnnxExporter.builder().build().toBytes(network)).network();
        assertEquals(network.config(), imported.config());
        assertEquals(network.labels(), imported.labels());
        assertEquals(network.outputs(), imported.outputs());
        assertSameLogits(network, imported);
    }

    @Test
    void unfoldedHalfPixelOutputStride8WithSoftmaxReimports() throws Exception {
        Network network = DeepLabV3.builder().width(0.5).resolution(72, 56).outputStride(8).alignCorners(false)
                .padding(Padding.symmetric(1)).classes(3).headChannels(24).seed(8).build();
        byte[] onnx = OnnxExporter.builder().foldBatchNorm(false).softmax(true).build().toBytes(network);
        Network imported = OnnxImporter.fromBytes(onnx).network();
        assertEquals(network.config(), imported.config());
        assertEquals(network.convolutions().get(5).batchNorm().mean()[0],
                imported.convolutions().get(5).batchNorm().mean()[0]);
        assertSameLogits(network, imported);
    }

    /** A network ending in the segmentation task's ArgMax exports int64 classes; reading it back drops the task. */
    @Test
    void argMaxEndedGraphExportsClassesAndReimportsToLogits() throws Exception {
        Network network = small();
        ModelProto model = OnnxExporter.builder().build().toModel(network.then(new ArgMax("argmax")));
        assertEquals(OnnxExporter.CLASSES, model.getGraph().getOutput(0).getName());
        assertEquals(TensorProto.DataType.INT64_VALUE,
                model.getGraph().getOutput(0).getType().getTensorType().getElemType());
        assertEquals("4", metadata(model, "classes"), "classes counts the logits' channels");
        Network imported = OnnxImporter.fromModel(model).network();
        assertEquals(List.of(DeepLabV3.OUTPUT), imported.outputs());
        assertSameLogits(network, imported);
    }

    @Test
    void segmentationGraphWithoutMnv2MetadataIsRefusedByName() {
        ModelProto model = OnnxExporter.builder().build().toModel(small()).toBuilder().clearMetadataProps().build();
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(model));
        assertTrue(e.getMessage().contains("segmentation graph") && e.getMessage().contains("deeplabv3_mobilenet_v2"),
                e.getMessage());
    }

    @Test
    void metadataThatDoesNotFitTheGraphIsRefused() {
        ModelProto model = withMetadata(OnnxExporter.builder().build().toModel(small()), "width", "1.0");
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(model));
        assertTrue(e.getMessage().contains("metadata does not match the graph"), e.getMessage());
        ModelProto huge = withMetadata(OnnxExporter.builder().build().toModel(small()), "headChannels", "2000000000");
        e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(huge));
        assertTrue(e.getMessage().contains("metadata does not match the graph"), e.getMessage());
        for (String[] entry : new String[][] {{"inputHeight", "100000"}, {"outputStride", "4"},
                {"alignCorners", "maybe"}, {"headChannels", "x"}}) {
            ModelProto bad = withMetadata(OnnxExporter.builder().build().toModel(small()), entry[0], entry[1]);
            e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(bad));
            assertTrue(e.getMessage().startsWith("bad configuration in metadata")
                    || e.getMessage().startsWith("metadata does not match the graph"), e.getMessage());
        }
        ModelProto align = withMetadata(OnnxExporter.builder().build().toModel(small()), "alignCorners", "false");
        e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(align));
        assertTrue(e.getMessage().contains("Resize") && e.getMessage().contains("aligning corners"), e.getMessage());
    }

    @Test
    void resizesOtherThanTflitesBilinearAreRefused() {
        ModelProto base = OnnxExporter.builder().build().toModel(small());
        for (String[] change : new String[][] {{"mode", "nearest"}, {"coordinate_transformation_mode", "pytorch_half_pixel"},
                {"coordinate_transformation_mode", "tf_crop_and_resize"}}) {
            ModelProto model = mapNodes(base, n -> n.getOpType().equals("Resize") ? replaceAttribute(n, change[0], change[1]) : n);
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(model));
            assertTrue(e.getMessage().contains("(Resize)") && e.getMessage().contains(change[1]), e.getMessage());
        }
        ModelProto otherSource = mapNodes(base, n -> n.getName().equals(DeepLabV3.OUTPUT + ".batch_channels")
                ? n.toBuilder().setInput(0, OnnxExporter.INPUT).build() : n);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(otherSource));
        assertTrue(e.getMessage().contains("batch and channels from 'input'"), e.getMessage());
    }

    @Test
    void concatInAnotherOrderIsRefused() {
        ModelProto model = mapNodes(OnnxExporter.builder().build().toModel(small()), n -> n.getName().equals("classifier.0.concat")
                ? n.toBuilder().setInput(0, n.getInput(1)).setInput(1, n.getInput(0)).build() : n);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(model));
        assertTrue(e.getMessage().contains("classifier.0.concat"), e.getMessage());
    }

    /** Byte flips in the head's nodes (pooling, Concat, Shape, Resize): imported, or refused by an explicit check. */
    @Test
    void fuzzedHeadNodesEitherImportOrFailWithTheFormatException() {
        ModelProto base = OnnxExporter.builder().build().toModel(DeepLabV3.builder().width(0.1).resolution(33)
                .classes(2).headChannels(8).seed(1).build());
        List<Integer> head = new ArrayList<>();
        for (int i = 0; i < base.getGraph().getNodeCount(); i++) {
            if (!base.getGraph().getNode(i).getName().startsWith("features")) {
                head.add(i);
            }
        }
        SplittableRandom random = new SplittableRandom(513);
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < 1500; i++) {
            int index = head.get(random.nextInt(head.size()));
            byte[] node = base.getGraph().getNode(index).toByteArray();
            for (int f = 1 + random.nextInt(3); f > 0; f--) {
                node[random.nextInt(node.length)] ^= (byte) (1 + random.nextInt(255));
            }
            NodeProto mutated;
            try {
                mutated = NodeProto.parseFrom(node);
            } catch (InvalidProtocolBufferException e) {
                continue;
            }
            parsed++;
            ModelProto model = base.toBuilder().setGraph(base.getGraph().toBuilder().setNode(index, mutated)).build();
            try {
                OnnxImporter.fromModel(model);
            } catch (OnnxFormatException e) {
                assertFalse(e.getMessage().startsWith(OnnxImporter.UNCHECKED), "iteration " + i + ": " + e.getMessage());
                rejected++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("iteration " + i + " (node " + base.getGraph().getNode(index).getName()
                        + ") ended in " + e, e);
            }
        }
        System.out.println("ONNX DeepLabv3 head fuzz: " + rejected + " of " + parsed + " mutated nodes rejected, the "
                + "rest changed only names or doc strings");
        assertTrue(rejected > parsed / 2);
    }

    private static String metadata(ModelProto model, String key) {
        return model.getMetadataPropsList().stream().filter(e -> e.getKey().equals(key)).findFirst().orElseThrow()
                .getValue();
    }

    private static ModelProto withMetadata(ModelProto model, String key, String value) {
        ModelProto.Builder b = model.toBuilder();
        for (int i = 0; i < b.getMetadataPropsCount(); i++) {
            if (b.getMetadataProps(i).getKey().equals(key)) {
                b.setMetadataProps(i, StringStringEntryProto.newBuilder().setKey(key).setValue(value));
            }
        }
        return b.build();
    }

    private static ModelProto mapNodes(ModelProto model, UnaryOperator<NodeProto> f) {
        ModelProto.Builder b = model.toBuilder();
        for (int i = 0; i < b.getGraph().getNodeCount(); i++) {
            b.getGraphBuilder().setNode(i, f.apply(b.getGraph().getNode(i)));
        }
        return b.build();
    }

    private static NodeProto replaceAttribute(NodeProto node, String name, String value) {
        NodeProto.Builder b = node.toBuilder();
        for (int i = 0; i < b.getAttributeCount(); i++) {
            if (b.getAttribute(i).getName().equals(name)) {
                b.setAttribute(i, OnnxExporter.stringAttribute(name, value));
            }
        }
        return b.build();
    }
}
