package dev.mnv2.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.image.ImageSegmenter;
import dev.mnv2.image.Images;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.image.SegmentationMap;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.DeepLabV3Config;
import dev.mnv2.model.Shape;
import dev.mnv2.testing.SharedData;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The published Mobile DeepLabv3 (PASCAL VOC, uint8) segments the shared bird photo as the publisher's own
 * test requires: (pixels equal) / (2N − pixels equal) against the mask, its value 255 counted as class 0,
 * above 0.90, running the dequantised weights in float32.
 */
class PretrainedSegmentationTest {
    private static final String MODEL = "deeplabv3_mnv2_pascal_quant.tflite";

    @Test
    void architectureIsReadFromTheFile() throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model(MODEL));
        DeepLabV3Config config = (DeepLabV3Config) model.network().config();
        assertEquals(1.0, config.width());
        assertEquals(16, config.backbone().outputStride());
        assertEquals(21, config.classes());
        assertEquals(256, config.headChannels());
        assertTrue(config.alignCorners());
        assertEquals(new PixelScaling(128f, 128f), model.input().scaling());
        assertEquals(new Shape(33, 33, 320), model.network().shape("features.17"));
        assertEquals(new Shape(513, 513, 21), model.network().outputShape());
        long dilated = model.network().convolutions().stream().filter(c -> c.dilation() == 2).count();
        assertEquals(3, dilated, "blocks 14-16's depthwise convs are dilated by 2");
        assertTrue(model.network().convolutions().stream().mapToInt(Conv2d::outChannels).max().orElse(0) < 1280,
                "no 1280-channel conv");
    }

    @Test
    void birdIsSegmentedAboveThePublishersThreshold() throws Exception {
        TfliteModel model = TfliteModels.load(SharedData.model(MODEL));
        BufferedImage photo = Images.read(SharedData.data("images/bird_segmentation.bmp"));
        Raster mask = ImageIO.read(SharedData.data("images/bird_segmentation_mask.bmp").toFile()).getRaster();
        assertEquals(513, photo.getWidth());
        assertEquals(513, photo.getHeight());
        SegmentationMap map;
        try (ImageSegmenter segmenter = ImageSegmenter.create(model.loaded())) {
            map = segmenter.segment(photo);
        }
        long equal = 0;
        long n = (long) map.height() * map.width();
        for (int y = 0; y < map.height(); y++) {
            for (int x = 0; x < map.width(); x++) {
                int label = mask.getSample(x, y, 0);
                if (map.at(y, x) == (label == 255 ? 0 : label)) {
                    equal++;
                }
            }
        }
        double score = equal / (double) (2 * n - equal);
        System.out.printf("%s on bird_segmentation.bmp: %d of %d pixels equal, metric %.4f (publisher's bar 0.90)%n",
                MODEL, equal, n, score);
        assertTrue(score > 0.90, "metric " + score);
    }
}
