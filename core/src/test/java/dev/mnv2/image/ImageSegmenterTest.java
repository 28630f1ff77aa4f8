package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Activation;
import dev.mnv2.model.ArgMax;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ImageSegmenterTest {
    private static final int RED = 0xE02010;
    private static final int GREEN = 0x10E020;
    private static final int BLUE = 0x2010E0;

    /**
     * A 40×64-input "segmenter" whose logits are the scaled pixel itself (a 1×1 identity convolution), so
     * its classes are the dominant colour channel: 0 red, 1 green, 2 blue, and a map that is the photo's
     * colours at the photo's place shows that the way in and the way back agree.
     */
    private static Network colourChannels() {
        float[] identity = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        Conv2d conv = new Conv2d("logits", 3, 3, 1, 1, 1, 1, Padding.valid(), Activation.IDENTITY, identity, null, null);
        return new Network(MobileNetV2.builder().resolution(40, 64).config(), new Shape(40, 64, 3),
                List.of(new Node(conv, List.of(Network.INPUT), null)), List.of("logits"), List.of("red", "green", "blue"));
    }

    /** Red up to a tenth of the photo, green up to nine tenths, then blue: vertical or horizontal bands. */
    private static BufferedImage bands(int width, int height, boolean vertical) {
        BufferedImage photo = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int length = vertical ? width : height;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                photo.setRGB(x, y, new int[] {RED, GREEN, BLUE}[band(vertical ? x : y, length)]);
            }
        }
        return photo;
    }

    private static int band(int at, int length) {
        return 10 * at < length ? 0 : 10 * at < 9 * length ? 1 : 2;
    }

    /**
     * Larger, smaller and exactly the input's size, wider and taller than it: every pixel away from a band's
     * edge has its band's class. The narrow outer bands would be lost to a central crop, or shifted by any
     * misplaced mapping.
     */
    @Test
    void theMapHasThePhotosSizeAndItsClassesWhereThePhotoHasThem() {
        try (ImageSegmenter segmenter = ImageSegmenter.create(colourChannels(), PixelScaling.MINUS_ONE_TO_ONE)) {
            checkBands(segmenter, 300, 200, true);
            checkBands(segmenter, 300, 200, false);
            checkBands(segmenter, 20, 50, false);
            checkBands(segmenter, 64, 40, true);
            checkBands(segmenter, 32, 20, true);
            checkBands(segmenter, 1000, 30, true);
        }
    }

    private static void checkBands(ImageSegmenter segmenter, int width, int height, boolean vertical) {
        SegmentationMap map = segmenter.segment(bands(width, height, vertical));
        assertEquals(width, map.width());
        assertEquals(height, map.height());
        int length = vertical ? width : height;
        Shape content = segmenter.contentShape(height, width);
        // Resizing in and out blurs an edge over about 1.5 input pixels either side: skip those photo pixels.
        double photoPixelsPerInputPixel = vertical ? width / (double) content.width() : height / (double) content.height();
        int margin = (int) Math.ceil(1.5 * photoPixelsPerInputPixel) + 1;
        int firstGreen = (length + 9) / 10;
        int firstBlue = (9 * length + 9) / 10;
        int checked = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int at = vertical ? x : y;
                if (Math.abs(at - firstGreen) <= margin || Math.abs(at - firstBlue) <= margin) {
                    continue;
                }
                assertEquals(band(at, length), map.at(y, x), width + "x" + height + " at (" + y + ", " + x + ")");
                checked++;
            }
        }
        assertTrue(checked > width * height / 2, checked + " pixels checked of " + width * height);
    }

    @Test
    void thePhotoIsFittedWholeAtTheTopLeftAndTheRestIsTheMeanPixel() {
        BufferedImage photo = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 200; y++) {
            for (int x = 0; x < 300; x++) {
                photo.setRGB(x, y, 0xC8C8C8);
            }
        }
        try (ImageSegmenter segmenter = ImageSegmenter.create(colourChannels(), PixelScaling.MINUS_ONE_TO_ONE)) {
            assertEquals(new Shape(40, 60, 3), segmenter.contentShape(200, 300));
            assertEquals(new Shape(40, 16, 3), segmenter.contentShape(50, 20));
            assertEquals(new Shape(40, 64, 3), segmenter.contentShape(400, 640));
            assertEquals(new Shape(1, 64, 3), segmenter.contentShape(1, 5000));
            Tensor input = segmenter.letterbox(photo, segmenter.contentShape(200, 300));
            float gray = (200 - 127.5f) / 127.5f;
            for (int y = 0; y < 40; y++) {
                for (int x = 0; x < 64; x++) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(x < 60 ? gray : 0f, input.get(0, y, x, c), "(" + y + ", " + x + ", " + c + ")");
                    }
                }
            }
        }
    }

    /** At the input's own size the mapping is the identity: the map is the in-graph ArgMax of the logits. */
    @Test
    void aPhotoOfTheInputsSizeGetsTheArgMaxOfTheNetwork() {
        Network network = DeepLabV3.builder().width(0.35).resolution(65).classes(5).seed(3).build();
        BufferedImage photo = new BufferedImage(65, 65, BufferedImage.TYPE_INT_RGB);
        SplittableRandom random = new SplittableRandom(11);
        for (int y = 0; y < 65; y++) {
            for (int x = 0; x < 65; x++) {
                photo.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        SegmentationMap map;
        try (ImageSegmenter segmenter = ImageSegmenter.create(network, PixelScaling.MINUS_ONE_TO_ONE)) {
            map = segmenter.segment(photo);
        }
        Tensor input = ImagePreprocessor.builder(65, 65).centralCrop(1).build().toTensor(photo);
        Tensor argmax;
        try (Predictor predictor = Predictor.create(network.then(new ArgMax("argmax")))) {
            argmax = predictor.forward(input);
        }
        int[] expected = IntStream.range(0, 65 * 65).map(i -> (int) argmax.data()[i]).toArray();
        assertArrayEquals(expected, map.classes());
        assertTrue(map.present().size() > 1, "random weights should give more than one class: " + map.present());
    }

    @Test
    void labelsAreTheNetworksThenPascalVocsForTwentyOneClasses() {
        Network voc = DeepLabV3.builder().width(0.35).resolution(33).seed(1).build();
        try (ImageSegmenter segmenter = ImageSegmenter.create(voc, PixelScaling.MINUS_ONE_TO_ONE)) {
            assertEquals(PascalVoc.LABELS, segmenter.labels());
        }
        List<String> own = IntStream.range(0, 21).mapToObj(i -> "thing " + i).toList();
        try (ImageSegmenter segmenter = ImageSegmenter.create(voc.withLabels(own), PixelScaling.MINUS_ONE_TO_ONE)) {
            assertEquals(own, segmenter.labels());
        }
        Network three = DeepLabV3.builder().width(0.35).resolution(33).classes(3).seed(1).build();
        try (ImageSegmenter segmenter = ImageSegmenter.create(three, PixelScaling.MINUS_ONE_TO_ONE)) {
            assertEquals(List.of("class 0", "class 1", "class 2"), segmenter.labels());
        }
    }

    @Test
    void aClassifierIsRefused() {
        Network classifier = MobileNetV2.builder().width(0.35).resolution(32).classes(4).seed(1).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageSegmenter.create(classifier, PixelScaling.MINUS_ONE_TO_ONE));
        assertTrue(e.getMessage().contains("not a segmentation network"), e.getMessage());
    }
}
