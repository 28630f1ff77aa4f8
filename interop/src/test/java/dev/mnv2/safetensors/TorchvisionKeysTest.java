package dev.mnv2.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.safetensors.Safetensors.Contents;
import dev.mnv2.safetensors.Safetensors.TensorInfo;
import dev.mnv2.testing.SharedData;
import dev.mnv2.tflite.TfliteModels;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The file mnv2 writes must have exactly the state_dict of torchvision's {@code mobilenet_v2()}: the key
 * names, order, shapes and dtypes below are written out from torchvision/models/mobilenetv2.py's structure
 * (features[0] = Conv2dNormActivation(3, 32, stride 2); InvertedResidual.conv = [expand
 * Conv2dNormActivation if t != 1, depthwise Conv2dNormActivation, 1x1 Conv2d, BatchNorm2d];
 * features[18] = Conv2dNormActivation(320, 1280, 1); classifier = [Dropout, Linear(1280, 1000)];
 * every BatchNorm2d has weight, bias, running_mean, running_var and an int64 num_batches_tracked).
 */
class TorchvisionKeysTest {
    /** torchvision's inverted residual blocks at width 1.0: {input, expansion t, output} for features.1..17. */
    private static final int[][] BLOCKS = {
        {32, 1, 16},
        {16, 6, 24}, {24, 6, 24},
        {24, 6, 32}, {32, 6, 32}, {32, 6, 32},
        {32, 6, 64}, {64, 6, 64}, {64, 6, 64}, {64, 6, 64},
        {64, 6, 96}, {96, 6, 96}, {96, 6, 96},
        {96, 6, 160}, {160, 6, 160}, {160, 6, 160},
        {160, 6, 320},
    };

    private static Map<String, String> torchvisionStateDict(int classes) {
        Map<String, String> keys = new LinkedHashMap<>();
        convBn(keys, "features.0.0", "features.0.1", 32, 3, 3);
        for (int i = 0; i < BLOCKS.length; i++) {
            int in = BLOCKS[i][0];
            int t = BLOCKS[i][1];
            int out = BLOCKS[i][2];
            int hidden = in * t;
            String p = "features." + (i + 1) + ".conv.";
            int part = 0;
            if (t != 1) {
                convBn(keys, p + part + ".0", p + part + ".1", hidden, in, 1);
                part++;
            }
            convBn(keys, p + part + ".0", p + part + ".1", hidden, 1, 3);
            part++;
            convBn(keys, p + part, p + (part + 1), out, hidden, 1);
        }
        convBn(keys, "features.18.0", "features.18.1", 1280, 320, 1);
        keys.put("classifier.1.weight", "F32[" + classes + ", 1280]");
        keys.put("classifier.1.bias", "F32[" + classes + "]");
        return keys;
    }

    private static void convBn(Map<String, String> keys, String conv, String bn, int out, int inPerGroup, int k) {
        keys.put(conv + ".weight", "F32[" + out + ", " + inPerGroup + ", " + k + ", " + k + "]");
        for (String s : List.of("weight", "bias", "running_mean", "running_var")) {
            keys.put(bn + "." + s, "F32[" + out + "]");
        }
        keys.put(bn + ".num_batches_tracked", "I64[]");
    }

    /** Asserts that {@code network}'s checkpoint has exactly torchvision's state_dict; returns its contents. */
    private static Contents assertTorchvisionStateDict(Network network) throws Exception {
        Contents contents = Safetensors.parse(ByteBuffer.wrap(Checkpoint.toBytes(network)));
        Map<String, String> written = new LinkedHashMap<>();
        for (TensorInfo t : contents.tensors().values()) {
            written.put(t.name(), t.dtype() + Arrays.toString(t.shape()));
        }
        Map<String, String> expected = torchvisionStateDict(network.classes());
        assertEquals(314, expected.size(), "torchvision's mobilenet_v2 state_dict has 314 entries");
        assertEquals(new ArrayList<>(expected.entrySet()), new ArrayList<>(written.entrySet()));
        return contents;
    }

    @Test
    void writtenFileHasExactlyTorchvisionsKeysShapesAndOrder() throws Exception {
        Network network = MobileNetV2.builder().width(1.0).resolution(224).classes(1000).seed(3).build();
        long learnable = 0;
        for (TensorInfo t : assertTorchvisionStateDict(network).tensors().values()) {
            if (!t.name().contains("running_") && !t.name().endsWith("num_batches_tracked")) {
                learnable += t.elements();
            }
        }
        assertEquals(3_504_872, learnable, "torchvision's parameter count");
    }

    /** Folded batch norms are written as identity ones, so the key set stays torchvision's. */
    @Test
    void foldedNetworkHasTorchvisionsKeysToo() throws Exception {
        assertTorchvisionStateDict(MobileNetV2.builder().width(1.0).resolution(224).classes(1000).seed(3).build()
                .foldBatchNorm());
    }

    /** The published TFLite weights (folded, 1001 classes): torchvision's keys, and the same logits back. */
    @Test
    void tfliteSourcedNetworkHasTorchvisionsKeysAndReloadsWithTheSameLogits() throws Exception {
        Network network = TfliteModels.load(SharedData.model("mobilenet_v2_1.0_224_quant.tflite")).network();
        Network reloaded = Checkpoint.fromContents(assertTorchvisionStateDict(network)).network();
        float[][] expected = CheckpointTest.logits(network, 13);
        float[][] actual = CheckpointTest.logits(reloaded, 13);
        for (int n = 0; n < expected.length; n++) {
            assertArrayEquals(expected[n], actual[n], 0f, "image " + n);
        }
    }
}
