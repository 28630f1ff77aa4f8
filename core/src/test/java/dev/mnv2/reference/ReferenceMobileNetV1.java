package dev.mnv2.reference;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Activation;
import dev.mnv2.model.Dense;
import dev.mnv2.model.MobileNetV1Config;
import dev.mnv2.model.Network;
import dev.mnv2.reference.ReferenceMobileNetV2.Conv;

/**
 * MobileNetV1 from Howard et al. (2017), Table 1, written independently of the code under test: a 3×3
 * stride-2 conv, then depthwise separable pairs (3×3 depthwise, 1×1 pointwise, each with batch norm and
 * ReLU6), pooling, the classifier. As in the reference implementation, the last depthwise has stride 1 and
 * widths are truncated, never below 8 channels.
 */
public final class ReferenceMobileNetV1 {
    private ReferenceMobileNetV1() {}

    /** Table 1's depthwise separable rows {c, n, s}: output channels, repeats, first stride. */
    static final int[][] SEPARABLE = {{64, 1, 1}, {128, 2, 2}, {256, 2, 2}, {512, 6, 2}, {1024, 2, 2}};

    static int channels(int base, double alpha) {
        return Math.max(8, (int) (base * alpha));
    }

    public static Tensor forward(Network network, Tensor x) {
        if (!(network.config() instanceof MobileNetV1Config config)) {
            throw new IllegalArgumentException("not a MobileNetV1: " + network.config());
        }
        NamedParameters parameters = new NamedParameters(network);
        double eps = config.batchNormEpsilon();
        int in = channels(32, config.width());
        Tensor y = ReferenceMobileNetV2.conv(new Conv("features.0.0", 3, in, 3, 2, 1, Activation.RELU6), parameters,
                x, config.padding(), eps);
        int index = 1;
        for (int[] row : SEPARABLE) {
            int out = channels(row[0], config.width());
            for (int i = 0; i < row[1]; i++) {
                String name = "features." + index++;
                Conv depthwise = new Conv(name + ".depthwise", in, in, 3, i == 0 ? row[2] : 1, in, Activation.RELU6);
                Conv pointwise = new Conv(name + ".pointwise", in, out, 1, 1, 1, Activation.RELU6);
                y = ReferenceMobileNetV2.conv(depthwise, parameters, y, config.padding(), eps);
                y = ReferenceMobileNetV2.conv(pointwise, parameters, y, config.padding(), eps);
                in = out;
            }
        }
        y = Reference.globalAveragePool(y);
        Dense fc = parameters.dense("classifier.1");
        return Reference.dense(y, fc.weight(), fc.bias(), config.classes());
    }
}
