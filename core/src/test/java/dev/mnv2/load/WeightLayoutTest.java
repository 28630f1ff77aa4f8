package dev.mnv2.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.Activation;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Dense;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.Padding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WeightLayoutTest {
    private static final int K = 3;
    private static final int IN = 2;
    private static final int OUT = 5;
    private static final ConvSpec SPEC = new ConvSpec("c", IN, OUT, K, 1, 1, 1, Padding.same(), Activation.RELU6,
            true, false);

    /** A value that says where it belongs: tap (y, x), input i, output o. */
    private static float code(int y, int x, int i, int o) {
        return 1000 * o + 100 * i + 10 * y + x;
    }

    /** The conv whose weight at every position is its {@link #code}, filled through Conv2d's own index. */
    private static Conv2d coded() {
        Conv2d conv = Conv2d.zeros(SPEC, 1e-5f);
        for (int y = 0; y < K; y++) {
            for (int x = 0; x < K; x++) {
                for (int i = 0; i < IN; i++) {
                    for (int o = 0; o < OUT; o++) {
                        conv.weight()[conv.weightIndex(y, x, i, o)] = code(y, x, i, o);
                    }
                }
            }
        }
        return conv;
    }

    @Test
    void eachLayoutPutsEveryValueWhereItsFormatExpectsIt() {
        float[] oihw = WeightLayout.OIHW.weightOf(coded());
        float[] ohwi = WeightLayout.OHWI.weightOf(coded());
        for (int y = 0; y < K; y++) {
            for (int x = 0; x < K; x++) {
                for (int i = 0; i < IN; i++) {
                    for (int o = 0; o < OUT; o++) {
                        assertEquals(code(y, x, i, o), oihw[((o * IN + i) * K + y) * K + x]);
                        assertEquals(code(y, x, i, o), ohwi[((o * K + y) * K + x) * IN + i]);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WeightLayout.class)
    void aRoundTripThroughAnyLayoutIsExact(WeightLayout layout) {
        Conv2d conv = coded();
        float[] bias = {1, 2, 3, 4, 5};
        Conv2d back = layout.conv(SPEC, layout.weightOf(conv), bias, null);
        assertArrayEquals(conv.weight(), back.weight());
        assertSame(bias, back.bias());
        assertEquals(SPEC, back.spec());
    }

    @Test
    void denseLayersAreTheOneByOneCase() {
        Dense dense = Dense.zeros(new DenseSpec("fc", IN, OUT));
        for (int i = 0; i < IN; i++) {
            for (int o = 0; o < OUT; o++) {
                dense.weight()[i * OUT + o] = code(0, 0, i, o);
            }
        }
        float[] outIn = WeightLayout.OIHW.weightOf(dense);
        for (int i = 0; i < IN; i++) {
            for (int o = 0; o < OUT; o++) {
                assertEquals(code(0, 0, i, o), outIn[o * IN + i]);
            }
        }
        assertArrayEquals(outIn, WeightLayout.OHWI.weightOf(dense));
        assertArrayEquals(dense.weight(), WeightLayout.OIHW.dense(dense.spec(), outIn, new float[OUT]).weight());
    }

    @Test
    void aWeightOfTheWrongSizeNamesTheLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightLayout.OIHW.conv(SPEC, new float[7], null, null));
        assertTrue(e.getMessage().startsWith("c: ") && e.getMessage().contains("90 values, got 7"), e.getMessage());
    }
}
