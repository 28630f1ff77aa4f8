package dev.mnv2.exec;

import static dev.mnv2.exec.KernelsTest.randomConv;

import dev.mnv2.model.Activation;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.model.Shortcut;
import dev.mnv2.reference.Reference;
import dev.mnv2.testing.RandomData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Inverted residual blocks, fused into row tiles in memory-efficient mode and layer by layer otherwise,
 * against the naive reference: strides, dilation, both paddings, t = 1, every shortcut, and shapes that make
 * a band span many tiles (the kept overlap rows) or split into several bands (the recomputed ones).
 */
class InvertedResidualTest {

    @ParameterizedTest(name = "{0}x{1}x{2} t{3} -> {4}, s{5} d{6} pad {7} {8} {9}")
    @CsvSource({
        // h, w, in, t, out, stride, dilation, padding (-1 = SAME), shortcut, projection activation
        "13, 13, 8, 6, 8, 1, 1, -1, BOTTLENECK, IDENTITY",
        "12, 12, 8, 6, 16, 2, 1, -1, BOTTLENECK, IDENTITY",
        "13, 11, 8, 6, 16, 2, 1, -1, BOTTLENECK, IDENTITY",
        "12, 12, 16, 1, 8, 1, 1, -1, BOTTLENECK, IDENTITY",
        "11, 11, 8, 3, 8, 1, 2, -1, BOTTLENECK, IDENTITY",
        "9, 9, 16, 6, 16, 1, 2, -1, BOTTLENECK, IDENTITY",   // DeepLab's dilated blocks at output stride 16
        "12, 10, 8, 6, 16, 1, 4, -1, BOTTLENECK, IDENTITY",  // and at output stride 8
        "9, 9, 8, 6, 8, 1, 2, 2, BOTTLENECK, IDENTITY",
        "12, 12, 8, 6, 8, 1, 1, -1, EXPANSION, IDENTITY",
        "12, 12, 8, 1, 8, 1, 1, -1, EXPANSION, IDENTITY",
        "10, 10, 8, 6, 8, 1, 1, -1, NONE, RELU6",
        "9, 9, 8, 6, 8, 2, 1, 1, BOTTLENECK, IDENTITY",
        "9, 9, 8, 6, 8, 1, 1, 1, BOTTLENECK, IDENTITY",
        "41, 3, 8, 6, 8, 1, 1, -1, BOTTLENECK, IDENTITY",
        "40, 2, 8, 6, 12, 2, 1, -1, BOTTLENECK, IDENTITY",
        "7, 7, 24, 6, 24, 1, 1, -1, BOTTLENECK, IDENTITY"})
    void blockMatchesReference(int h, int w, int in, int t, int out, int stride, int dilation, int pad,
                               Shortcut shortcut, Activation projection) {
        Padding padding = pad < 0 ? Padding.same() : Padding.symmetric(pad);
        int hidden = in * t;
        long seed = h * 1000L + w * 10L + t;
        Conv2d expand = t == 1 ? null
                : randomConv(in, hidden, 1, 1, 1, 1, Padding.valid(), Activation.RELU6, false, true, seed);
        Conv2d depthwise = randomConv(hidden, hidden, 3, stride, dilation, hidden, padding, Activation.RELU6, false,
                true, seed + 1);
        Conv2d project = randomConv(hidden, out, 1, 1, 1, 1, Padding.valid(), projection, false, true, seed + 2);
        InvertedResidual block = new InvertedResidual("block", t, expand, depthwise, project, shortcut);
        // Scaled so that the expansion's ReLU6 bound decides many values.
        Tensor x = KernelsTest.scaled(RandomData.tensor(2, new Shape(h, w, in), seed), KernelsTest.INPUT_GAIN);
        Tensor expected = Reference.invertedResidual(block, x);
        KernelsTest.assertEveryPathMatches(block, x, expected, 1e-4 * KernelsTest.largest(expected));
    }
}
