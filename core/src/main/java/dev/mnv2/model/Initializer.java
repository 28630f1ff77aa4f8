package dev.mnv2.model;

import java.util.SplittableRandom;

/** Seeded random parameters, for tests, benchmarks and training from scratch. */
public final class Initializer {
    private Initializer() {}

    /**
     * Fills {@code network}'s parameters in place and returns it: He-normal conv weights (fan-in),
     * fully connected weights N(0, 1/in), and batch-norm statistics drawn around the identity so that folding
     * and normalisation are exercised rather than trivially the identity.
     */
    public static Network randomize(Network network, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Conv2d conv : network.convolutions()) {
            double std = Math.sqrt(2.0 / (conv.kernel() * conv.kernel() * conv.inPerGroup()));
            fillNormal(conv.weight(), std, random);
            if (conv.bias() != null) {
                fillNormal(conv.bias(), 0.05, random);
            }
            BatchNorm bn = conv.batchNorm();
            if (bn != null) {
                for (int c = 0; c < bn.channels(); c++) {
                    bn.gamma()[c] = (float) (0.6 + 0.8 * random.nextDouble());
                    bn.beta()[c] = (float) (0.1 * gaussian(random));
                    bn.mean()[c] = (float) (0.1 * gaussian(random));
                    bn.variance()[c] = (float) (0.6 + 0.8 * random.nextDouble());
                }
            }
        }
        for (Layer layer : network.layers()) {
            if (layer instanceof Dense dense) {
                fillNormal(dense.weight(), 1.0 / Math.sqrt(dense.inFeatures()), random);
                fillNormal(dense.bias(), 0.01, random);
            }
        }
        return network;
    }

    /**
     * torchvision's initialisation of MobileNetV2 for training from scratch, in place: conv weights He-normal
     * over the fan-out ({@code out · k · k}, as {@code kaiming_normal_(mode="fan_out")}), conv biases 0,
     * batch norms the identity (γ 1, β 0, mean 0, variance 1), classifier weights N(0, 0.01) and biases 0.
     */
    public static Network torchvision(Network network, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Conv2d conv : network.convolutions()) {
            fillNormal(conv.weight(), Math.sqrt(2.0 / (conv.outChannels() * conv.kernel() * conv.kernel())), random);
            if (conv.bias() != null) {
                java.util.Arrays.fill(conv.bias(), 0f);
            }
            BatchNorm bn = conv.batchNorm();
            if (bn != null) {
                java.util.Arrays.fill(bn.gamma(), 1f);
                java.util.Arrays.fill(bn.beta(), 0f);
                java.util.Arrays.fill(bn.mean(), 0f);
                java.util.Arrays.fill(bn.variance(), 1f);
            }
        }
        for (Layer layer : network.layers()) {
            if (layer instanceof Dense dense) {
                fillNormal(dense.weight(), 0.01, random);
                java.util.Arrays.fill(dense.bias(), 0f);
            }
        }
        return network;
    }

    static void fillNormal(float[] values, double std, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (std * gaussian(random));
        }
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
