package dev.mnv2.bench;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One network, batch and padding that both trainers are given: seeded random weights (batch-norm statistics
 * included), seeded random images in [-1, 1) and labels, no dropout (two engines cannot draw the same masks).
 *
 * @param cifar the CIFAR-10 variant ({@link MobileNetV2Config.Variant#CIFAR}: stem and the 24-channel stage at
 *     stride 1, so a 32×32 image ends in a 4×4 map instead of 1×1)
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
        return MobileNetV2.builder().width(width).resolution(resolution).classes(classes).padding(padding)
                .variant(cifar ? MobileNetV2Config.Variant.CIFAR : MobileNetV2Config.Variant.IMAGENET)
                .dropout(0).seed(seed).build();
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
