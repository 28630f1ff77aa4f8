package dev.mnv2.interop;

import dev.mnv2.load.WeightLayout;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Network;
import java.util.Arrays;

/**
 * PyTorch's module structure, shared by the ONNX and safetensors formats (batch-norm names are {@link dev.mnv2.model.ConvSpec#batchNormName}'s): conv weight
 * shapes in OIHW order ({@code [out][in/groups][kh][kw]}, depthwise {@code [C][1][k][k]}; the permutations
 * are {@link WeightLayout#OIHW}'s), and the identity batch norms a folded network gets.
 */
public final class TorchLayout {
    private TorchLayout() {}

    /**
     * {@code network} in torchvision's module structure, where every convolution is followed by a
     * BatchNorm2d and has no bias; same outputs. A folded convolution (bias, no batch norm) gets the identity
     * batch norm γ = 1, β = its bias (0 without one), mean 0, variance 1 − ε: any reader that normalises with {@code epsilon}
     * computes (x − 0) / √(1 − ε + ε) + β = x + bias, and folding it again gives back the same weights and
     * bias to the bit (the scale rounds to exactly 1f). A convolution with both a bias and a batch norm has its
     * bias moved into the running mean, BN(x + b) being BN(x) with mean μ − b.
     */
    public static Network withBatchNorms(Network network, float epsilon) {
        return network.mapConvolutions(conv -> {
            BatchNorm bn = conv.batchNorm();
            float[] bias = conv.bias();
            if (bias == null && bn != null) {
                return conv;
            }
            if (bn == null) {
                int c = conv.outChannels();
                float[] variance = new float[c];
                Arrays.fill(variance, 1f - epsilon);
                float[] gamma = new float[c];
                Arrays.fill(gamma, 1f);
                bn = new BatchNorm(gamma, bias == null ? new float[c] : bias.clone(), new float[c], variance, epsilon);
            } else {
                float[] mean = bn.mean().clone();
                for (int o = 0; o < mean.length; o++) {
                    mean[o] -= bias[o];
                }
                bn = new BatchNorm(bn.gamma(), bn.beta(), mean, bn.variance(), bn.epsilon());
            }
            return new Conv2d(conv.name(), conv.inChannels(), conv.outChannels(), conv.kernel(), conv.stride(),
                    conv.dilation(), conv.groups(), conv.padding(), conv.activation(), conv.weight(), null, bn);
        });
    }

    /** Shape of {@code conv}'s weight in OIHW order ({@link WeightLayout#OIHW}). */
    public static long[] convWeightShape(ConvSpec conv) {
        return new long[] {conv.outChannels(), conv.inPerGroup(), conv.kernel(), conv.kernel()};
    }
}
