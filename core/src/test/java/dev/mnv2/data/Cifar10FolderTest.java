package dev.mnv2.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.testing.SharedData;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared CIFAR-10 copy ($MNV2_DATA/datasets/cifar10) opens as an image folder and loads. */
class Cifar10FolderTest {
    static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
            "horse", "ship", "truck");

    @Test
    void trainAndTestHaveTenClassesOfTheUsualSizes() {
        ImageFolder train = ImageFolder.open(SharedData.dataFolder("datasets/cifar10/train"));
        ImageFolder test = ImageFolder.open(SharedData.dataFolder("datasets/cifar10/test"));
        assertEquals(CLASSES, train.classes());
        assertEquals(CLASSES, test.classes());
        assertEquals(50_000, train.size());
        assertEquals(10_000, test.size());
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, test.countPerClass());
    }

    @Test
    void aFewTestImagesLoadAs32By32() {
        ImageFolder test = ImageFolder.open(SharedData.dataFolder("datasets/cifar10/test")).limitPerClass(2, 0);
        Transform identity = Transform.builder(32, 32).scaling(new PixelScaling(0f, 1f)).build();
        try (DataLoader loader = DataLoader.builder(test).batchSize(20).transform(identity).build()) {
            DataLoader.Batch batch = loader.epoch(0).next();
            assertEquals(20, batch.count());
            double mean = 0;
            for (int i = 0; i < batch.count() * batch.imageSize(); i++) {
                mean += batch.images()[i];
            }
            mean /= batch.count() * batch.imageSize();
            System.out.printf("CIFAR-10 test, 20 images: mean pixel %.1f%n", mean);
            org.junit.jupiter.api.Assertions.assertTrue(mean > 60 && mean < 200, "mean pixel " + mean);
        }
    }
}
