package dev.mnv2.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Tensor;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.PixelScaling;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TransformTest {
    /** Scaling that leaves 8-bit values as they are, so tests see pixels. */
    private static final PixelScaling RAW = new PixelScaling(0f, 1f);

    private static final RgbImage IMAGE = RgbImage.of(TestFolders.image(40, 30, 11));

    private static float[] apply(Transform t, RgbImage image, long seed) {
        float[] out = new float[t.imageSize() + 5];
        out[0] = out[1] = -7f;
        t.apply(image, new SplittableRandom(seed), out, 2);
        assertEquals(-7f, out[1], "writes start at the offset");
        return java.util.Arrays.copyOfRange(out, 2, 2 + t.imageSize());
    }

    @Test
    void evaluationIsClassifysPreprocessing() {
        ImagePreprocessor classify = ImagePreprocessor.builder(24, 20).scaling(PixelScaling.IMAGENET).build();
        Tensor expected = classify.toTensor(TestFolders.image(40, 30, 11));
        Transform eval = Transform.evaluation(24, 20, ImagePreprocessor.DEFAULT_CENTRAL_CROP, PixelScaling.IMAGENET);
        assertArrayEquals(expected.data(), apply(eval, IMAGE, 1));
    }

    @Test
    void plainResizeOfAnImageAtTheTargetSizeIsTheIdentity() {
        float[] out = apply(Transform.builder(30, 40).scaling(RAW).build(), IMAGE, 1);
        for (int i = 0; i < out.length; i++) {
            assertEquals(IMAGE.rgb()[i] & 0xFF, out[i], "value " + i);
        }
    }

    @Test
    void flipWithProbabilityOneMirrorsEachRow() {
        float[] plain = apply(Transform.builder(30, 40).scaling(RAW).build(), IMAGE, 1);
        float[] flipped = apply(Transform.builder(30, 40).horizontalFlip(1).scaling(RAW).build(), IMAGE, 1);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(plain[(y * 40 + 39 - x) * 3 + c], flipped[(y * 40 + x) * 3 + c]);
                }
            }
        }
        float[] never = apply(Transform.builder(30, 40).horizontalFlip(0).scaling(RAW).build(), IMAGE, 1);
        assertArrayEquals(plain, never);
    }

    @Test
    void flipWithHalfProbabilityFlipsAboutHalfTheSamples() {
        Transform t = Transform.builder(30, 40).horizontalFlip(0.5).scaling(RAW).build();
        float[] plain = apply(Transform.builder(30, 40).scaling(RAW).build(), IMAGE, 1);
        int flipped = 0;
        for (int seed = 0; seed < 200; seed++) {
            flipped += java.util.Arrays.equals(plain, apply(t, IMAGE, seed)) ? 0 : 1;
        }
        assertTrue(flipped > 70 && flipped < 130, flipped + " of 200 flipped");
    }

    @Test
    void paddedRandomCropShiftsTheImageWithinThePaddingAndFillsZeros() {
        RgbImage square = RgbImage.of(TestFolders.image(16, 16, 5));
        Transform t = Transform.builder(16, 16).randomCropWithPadding(4).scaling(RAW).build();
        boolean sawZeroBorder = false;
        for (int seed = 0; seed < 50; seed++) {
            float[] out = apply(t, square, seed);
            int[] shift = findShift(square, out);
            assertTrue(shift != null, "seed " + seed + ": output is not a shifted copy");
            assertTrue(Math.abs(shift[0]) <= 4 && Math.abs(shift[1]) <= 4);
            sawZeroBorder |= shift[0] != 0 || shift[1] != 0;
        }
        assertTrue(sawZeroBorder);
    }

    /** The (dx, dy) for which out(x, y) = image(x + dx, y + dy) inside and 0 outside, or null. */
    private static int[] findShift(RgbImage image, float[] out) {
        int n = image.width();
        for (int dy = -4; dy <= 4; dy++) {
            for (int dx = -4; dx <= 4; dx++) {
                boolean ok = true;
                for (int y = 0; y < n && ok; y++) {
                    for (int x = 0; x < n && ok; x++) {
                        int sx = x + dx;
                        int sy = y + dy;
                        for (int c = 0; c < 3; c++) {
                            float expected = sx < 0 || sy < 0 || sx >= n || sy >= n ? 0 : image.get(sx, sy, c);
                            ok &= out[(y * n + x) * 3 + c] == expected;
                        }
                    }
                }
                if (ok) {
                    return new int[] {dx, dy};
                }
            }
        }
        return null;
    }

    @Test
    void randomResizedCropAndJitterGiveTheShapeAndRangeAndDependOnlyOnTheSeed() {
        Transform t = Transform.builder(12, 12).randomResizedCrop().horizontalFlip(0.5).colorJitter(0.4, 0.4, 0.4)
                .scaling(PixelScaling.MINUS_ONE_TO_ONE).build();
        assertEquals(12 * 12 * 3, t.imageSize());
        boolean differs = false;
        float[] first = apply(t, IMAGE, 0);
        for (int seed = 0; seed < 100; seed++) {
            float[] out = apply(t, IMAGE, seed);
            assertArrayEquals(out, apply(t, IMAGE, seed), "same seed, same values");
            for (float v : out) {
                assertTrue(v >= -1f && v <= 1f, "value " + v + " outside [-1, 1]");
            }
            differs |= !java.util.Arrays.equals(first, out);
        }
        assertTrue(differs);
    }

    @Test
    void randomResizedCropOfTheFullScaleAndRatioIsAResizeOfTheWholeImage() {
        RgbImage square = RgbImage.of(TestFolders.image(20, 20, 3));
        Transform whole = Transform.builder(10, 10).randomResizedCrop(1, 1, 1, 1).scaling(RAW).build();
        assertArrayEquals(apply(Transform.builder(10, 10).scaling(RAW).build(), square, 0), apply(whole, square, 9));
    }

    @Test
    void jitterWithZeroStrengthChangesNothing() {
        float[] plain = apply(Transform.builder(30, 40).scaling(RAW).build(), IMAGE, 1);
        float[] jittered = apply(Transform.builder(30, 40).colorJitter(0, 0, 0).scaling(RAW).build(), IMAGE, 1);
        for (int i = 0; i < plain.length; i++) {
            assertEquals(plain[i], jittered[i], 1e-3f);
        }
    }

    @Test
    void badOptionsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Transform.builder(0, 4));
        assertThrows(IllegalArgumentException.class, () -> Transform.builder(4, 4).randomResizedCrop(0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Transform.builder(4, 4).horizontalFlip(2));
        IllegalStateException two = assertThrows(IllegalStateException.class,
                () -> Transform.builder(4, 4).randomCropWithPadding(4).centralCrop(0.5));
        assertFalse(two.getMessage().isBlank());
    }
}
