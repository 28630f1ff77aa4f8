package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.ImageClassifier;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.Images;
import dev.mnv2.testing.SharedData;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large photo classified from its subsampled decode ({@link ImagePreprocessor#read}, at least
 * {@link ImagePreprocessor#DECODE_OVERSAMPLING} times the input size) scores as from the whole decode.
 * The large photos are cat_720p.jpg scaled up (bicubic) to 4K and to 48 megapixels.
 */
class SubsampledPhotoTest {
    private static final int EGYPTIAN_CAT = 286;

    @TempDir
    Path dir;

    @Test
    void subsampledLargePhotosScoreAsTheWholeDecode() throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"));
        Path cat = SharedData.data("images/cat_720p.jpg");
        BufferedImage original = ImageIO.read(cat.toFile());
        try (ImageClassifier classifier = ImageClassifier.create(model.loaded())) {
            float[] small = scores(classifier, cat);
            assertEquals(small[0], small[1], "a 1280x720 photo is not subsampled");
            for (int[] size : new int[][] {{3840, 2160}, {8000, 6000}}) {
                Path large = dir.resolve("cat_" + size[0] + "x" + size[1] + ".jpg");
                writeJpeg(scaled(original, size[0], size[1]), large);
                float[] score = scores(classifier, large);
                assertTrue(Math.abs(score[1] - score[0]) <= 0.02, "score change " + (score[1] - score[0]));
            }
        }
    }

    /** Egyptian-cat scores from the whole decode and from the subsampled one; both must rank it first. */
    private static float[] scores(ImageClassifier classifier, Path photo) throws Exception {
        BufferedImage whole = Images.read(photo);
        BufferedImage subsampled = classifier.preprocessor().read(photo);
        float[] score = new float[2];
        int i = 0;
        for (BufferedImage image : new BufferedImage[] {whole, subsampled}) {
            var top = classifier.classify(image, 1).get(0);
            assertEquals(EGYPTIAN_CAT, top.index(), photo + ": " + top);
            score[i++] = top.score();
        }
        System.out.printf("%s: whole %dx%d %.4f, subsampled %dx%d %.4f, change %+.4f%n", photo.getFileName(),
                whole.getWidth(), whole.getHeight(), score[0], subsampled.getWidth(), subsampled.getHeight(), score[1],
                score[1] - score[0]);
        return score;
    }

    private static BufferedImage scaled(BufferedImage image, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(image, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    private static void writeJpeg(BufferedImage image, Path file) throws Exception {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.9f);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
