package dev.mnv2.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

/**
 * Regression guards, not correctness checks: the top 5 classes and scores this code gave for both published
 * TFLite models on both shared photos with the default preprocessing (87.5 % central crop, the models' own
 * pixel scaling), measured from this code with
 * {@code MNV2_MODELS=../shared/models ./mnv2 classify --model NAME --top 5 --format json
 * ../shared/images/cat.bmp ../shared/images/cat_720p.jpg}. A change to decoding, preprocessing, import or
 * execution that moves any score by more than {@link #TOLERANCE} fails them; when such a change is meant,
 * measure again and update these. The publisher's thresholds (index 286 with at least 0.7 and 0.6, in
 * {@code PretrainedModelTest}) remain the correctness checks.
 */
public final class PublishedModelGoldens {
    private PublishedModelGoldens() {}

    public static final double TOLERANCE = 1e-4;

    /** Top 5 of {@code model} (a known model name) on {@code image} (relative to $MNV2_DATA), best first. */
    public record Golden(String model, String image, int[] indices, double[] scores) {}

    public static final String TF1_UINT8 = "mobilenet_v2_1.0_224_quant";
    public static final String TF2_INT8 = "tf2_mobilenet_v2_1.0_224_ptq";
    public static final String CAT = "images/cat.bmp";
    public static final String CAT_720P = "images/cat_720p.jpg";

    public static final List<Golden> ALL = List.of(
            new Golden(TF1_UINT8, CAT, new int[] {286, 282, 283, 729, 479},
                    new double[] {0.762037, 0.107394, 0.079297, 0.004103, 0.002187}),
            new Golden(TF1_UINT8, CAT_720P, new int[] {286, 282, 283, 729, 479},
                    new double[] {0.739563, 0.114871, 0.093999, 0.004000, 0.002186}),
            new Golden(TF2_INT8, CAT, new int[] {286, 282, 283, 288, 420},
                    new double[] {0.612748, 0.150519, 0.084465, 0.003679, 0.003297}),
            new Golden(TF2_INT8, CAT_720P, new int[] {286, 282, 283, 288, 729},
                    new double[] {0.553045, 0.164287, 0.112472, 0.004164, 0.003721}));

    /** The goldens of one model, in the order of {@link #ALL}. */
    public static List<Golden> of(String model) {
        return ALL.stream().filter(g -> g.model().equals(model)).toList();
    }

    /** Fails unless {@code indices} are the golden ones and every score is within {@link #TOLERANCE}. */
    public static void assertTop5(Golden golden, int[] indices, double[] scores) {
        String what = golden.model() + " on " + golden.image();
        assertArrayEquals(golden.indices(), indices, what + ": top-5 indices");
        for (int i = 0; i < golden.scores().length; i++) {
            assertEquals(golden.scores()[i], scores[i], TOLERANCE, what + ": score of " + golden.indices()[i]);
        }
    }
}
