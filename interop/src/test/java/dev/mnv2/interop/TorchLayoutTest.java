package dev.mnv2.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TorchLayoutTest {
    private static final Network NETWORK = MobileNetV2.builder().width(0.35).resolution(64).classes(5).seed(21).build();

    static float[][] logits(Network network) {
        SplittableRandom random = new SplittableRandom(3);
        Tensor images = Tensor.zeros(2, network.input());
        for (int i = 0; i < images.data().length; i++) {
            images.data()[i] = (float) (random.nextDouble() * 2 - 1);
        }
        try (Predictor predictor = Predictor.create(network)) {
            return predictor.logits(images);
        }
    }

    /** Identity batch norms: γ 1, β the bias, mean 0, variance 1 − ε, and folding them again changes no bit. */
    @ParameterizedTest
    @ValueSource(floats = {1e-5f, 1e-3f, 0.1f})
    void foldedConvolutionsGetIdentityBatchNormsThatFoldBackToTheBit(float epsilon) {
        Network folded = NETWORK.foldBatchNorm();
        Network restored = TorchLayout.withBatchNorms(folded, epsilon);
        List<Conv2d> before = folded.convolutions();
        List<Conv2d> after = restored.convolutions();
        for (int i = 0; i < before.size(); i++) {
            Conv2d conv = after.get(i);
            BatchNorm bn = conv.batchNorm();
            assertNull(conv.bias(), conv.name());
            assertArrayEquals(before.get(i).weight(), conv.weight(), conv.name());
            assertEquals(epsilon, bn.epsilon());
            assertArrayEquals(before.get(i).bias(), bn.beta(), conv.name());
            for (int c = 0; c < bn.channels(); c++) {
                assertEquals(1f, bn.gamma()[c]);
                assertEquals(0f, bn.mean()[c]);
                assertEquals(1f - epsilon, bn.variance()[c]);
                assertEquals(1f, bn.scale(c), conv.name() + " channel " + c);
            }
            Conv2d refolded = conv.foldBatchNorm();
            assertArrayEquals(before.get(i).weight(), refolded.weight(), conv.name());
            assertArrayEquals(before.get(i).bias(), refolded.bias(), conv.name());
        }
        float[][] expected = logits(folded);
        float[][] actual = logits(restored);
        for (int n = 0; n < expected.length; n++) {
            assertArrayEquals(expected[n], actual[n], 0f);
        }
    }

    @Test
    void aConvolutionBiasBeforeABatchNormMovesIntoTheRunningMean() {
        SplittableRandom random = new SplittableRandom(5);
        Network biased = NETWORK.mapConvolutions(conv -> {
            float[] bias = new float[conv.outChannels()];
            for (int o = 0; o < bias.length; o++) {
                bias[o] = (float) random.nextGaussian();
            }
            return new Conv2d(conv.name(), conv.inChannels(), conv.outChannels(), conv.kernel(), conv.stride(),
                    conv.dilation(), conv.groups(), conv.padding(), conv.activation(), conv.weight(), bias,
                    conv.batchNorm());
        });
        Network moved = TorchLayout.withBatchNorms(biased, 1e-5f);
        for (Conv2d conv : moved.convolutions()) {
            assertNull(conv.bias(), conv.name());
        }
        float[][] expected = logits(biased);
        float[][] actual = logits(moved);
        for (int n = 0; n < expected.length; n++) {
            assertArrayEquals(expected[n], actual[n], 1e-4f);
        }
    }

    @Test
    void aNetworkInTorchvisionsStructureIsLeftAsItIs() {
        assertSame(NETWORK.convolutions().get(3), TorchLayout.withBatchNorms(NETWORK, 1e-5f).convolutions().get(3));
    }
}
