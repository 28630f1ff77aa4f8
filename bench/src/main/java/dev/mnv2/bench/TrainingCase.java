package dev.mnv2.bench;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One network, batch and padding that both trainers are given: seeded random weights (batch-norm statistics
 * included), seeded random images in [-1, 1) and labels, no dropout (two engines cannot draw the same masks).
 *
 * @param cifar the CIFAR-10 variant: stem stride 1 and the 24-channel stage (features.2) stride 1, so a 32×32
 *     image ends in a 4×4 map instead of 1×1
 */
record TrainingCase(double width, int resolution, boolean cifar, int classes, int batch, Padding padding) {
    /** The timed cases. */
    static TrainingCase imagenet(double width, int resolution, int batch) {
        return new TrainingCase(width, resolution, false, 1000, batch, Padding.symmetric(1));
    }

    static TrainingCase cifar10(double width, int batch) {
        return new TrainingCase(width, 32, true, 10, batch, Padding.symmetric(1));
    }

    TrainingCase withPadding(Padding other) {
        return new TrainingCase(width, resolution, cifar, classes, batch, other);
    }

    TrainingCase withBatch(int other) {
        return new TrainingCase(width, resolution, cifar, classes, other, padding);
    }

    String label() {
        return String.format(Locale.ROOT, "α %.2f/%d%s b%d %s", width, resolution, cifar ? " cifar" : "", batch,
                padding.tensorflowSame() ? "SAME" : "sym");
    }

    /** The arguments {@link TrainStepTimer} reads back with {@link #parse}. */
    String arguments() {
        return String.format(Locale.ROOT, "%s,%d,%s,%d,%d,%s", width, resolution, cifar, classes, batch,
                padding.tensorflowSame() ? "same" : "symmetric");
    }

    static TrainingCase parse(String text) {
        String[] f = text.split(",");
        if (f.length != 6) {
            throw new IllegalArgumentException("case must be width,resolution,cifar,classes,batch,padding: " + text);
        }
        return new TrainingCase(Double.parseDouble(f[0]), Integer.parseInt(f[1]), Boolean.parseBoolean(f[2]),
                Integer.parseInt(f[3]), Integer.parseInt(f[4]),
                f[5].equals("same") ? Padding.same() : Padding.symmetric(1));
    }

    Network network(long seed) {
        Network network = MobileNetV2.builder().width(width).resolution(resolution).classes(classes).padding(padding)
                .dropout(0).seed(seed).build();
        return cifar ? network.mapConvolutions(TrainingCase::cifarStride) : network;
    }

    /** Stride 1 for the stem and for the depthwise convolution of block 2, the only strided layer of features.2. */
    private static Conv2d cifarStride(Conv2d conv) {
        if (!conv.name().equals("features.0.0") && !conv.name().equals("features.2.conv.1.0")) {
            return conv;
        }
        return new Conv2d(conv.name(), conv.inChannels(), conv.outChannels(), conv.kernel(), 1, conv.dilation(),
                conv.groups(), conv.padding(), conv.activation(), conv.weight(), conv.bias(), conv.batchNorm());
    }

    Tensor images(Network network, long seed) {
        return Images.random(batch, network.input(), seed);
    }

    int[] labels(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = random.nextInt(classes);
        }
        return labels;
    }

    /**
     * Multiply-accumulates of one training step for one image: the forward, then per conv and dense layer the
     * weight gradient (as many MACs again) and the input gradient (again, except for the stem, whose input
     * needs none).
     */
    static long trainingMacs(Network network) {
        long forward = network.macs();
        Conv2d stem = network.convolutions().get(0);
        return 3 * forward - stem.macs(network.input());
    }
}
