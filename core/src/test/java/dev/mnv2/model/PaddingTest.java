package dev.mnv2.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PaddingTest {
    @Test
    void tensorflowSameIsAsymmetricOnEvenInputsWithStrideTwo() {
        // 224 -> 112 with a 3x3 kernel needs one padded row in total, and TF puts it at the bottom.
        assertEquals(new Padding.Axis(0, 1, 112), Padding.same().resolve(224, 3, 2, 1));
    }

    @Test
    void tensorflowSameIsSymmetricOnOddInputsWithStrideTwo() {
        assertEquals(new Padding.Axis(1, 1, 113), Padding.same().resolve(225, 3, 2, 1));
    }

    @Test
    void tensorflowSameWithStrideOneKeepsTheSize() {
        assertEquals(new Padding.Axis(1, 1, 7), Padding.same().resolve(7, 3, 1, 1));
        assertEquals(new Padding.Axis(2, 2, 9), Padding.same().resolve(9, 3, 1, 2));
        assertEquals(new Padding.Axis(0, 0, 5), Padding.same().resolve(5, 1, 1, 1));
    }

    @Test
    void symmetricPaddingFollowsPyTorch() {
        assertEquals(new Padding.Axis(1, 1, 112), Padding.symmetric(1).resolve(224, 3, 2, 1));
        assertEquals(new Padding.Axis(1, 1, 113), Padding.symmetric(1).resolve(225, 3, 2, 1));
        assertEquals(new Padding.Axis(0, 0, 3), Padding.valid().resolve(7, 3, 2, 1));
    }

    @Test
    void tooSmallInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Padding.valid().resolve(2, 3, 1, 1));
    }
}
