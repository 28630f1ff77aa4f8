package dev.mnv2.onnx;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.proto.OnnxProto.GraphProto;
import dev.mnv2.onnx.proto.OnnxProto.ModelProto;
import dev.mnv2.onnx.proto.OnnxProto.TensorProto;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Corrupted and hostile ONNX files end in OnnxFormatException, never another exception or an OOM. */
class HostileOnnxTest {
    private static final Network NETWORK = MobileNetV2.builder().width(0.1).resolution(32).classes(3).seed(8).build();
    private static final ModelProto MODEL = OnnxExporter.builder().build().toModel(NETWORK);

    static String error(ModelProto model) {
        return assertThrows(OnnxFormatException.class, () -> OnnxImporter.fromModel(model)).getMessage();
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
                rejected++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("iteration " + i + " ended in " + e, e);
            }
        }
        System.out.println("ONNX fuzz: " + rejected + " of " + iterations + " corrupted files rejected, the rest "
                + "changed only weight bytes, names or metadata and still formed a valid model");
        assertTrue(rejected > iterations / 4);
    }
}
