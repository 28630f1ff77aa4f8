package dev.mnv2.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
    @TempDir
    Path dir;

    private ImageFolder folder;
    private final Transform augment = Transform.builder(16, 16).randomCropWithPadding(4).horizontalFlip(0.5)
            .colorJitter(0.3, 0.3, 0.3).build();

    @BeforeEach
    void makeFolder() throws Exception {
        folder = ImageFolder.open(TestFolders.folder(dir.resolve("data"), 7, 16, "a", "b", "c"));
    }

    /** Every batch of an epoch, copied: labels, indices and every image value. */
    private static List<String> epochDigest(DataLoader loader, int epoch) {
        List<String> digest = new ArrayList<>();
        DataLoader.Epoch batches = loader.epoch(epoch);
        while (batches.hasNext()) {
            DataLoader.Batch b = batches.next();
            digest.add(b.count() + " " + Arrays.toString(Arrays.copyOf(b.labels(), b.count())) + " "
                    + Arrays.toString(Arrays.copyOf(b.indices(), b.count())) + " "
                    + Arrays.toString(Arrays.copyOf(b.images(), b.count() * b.imageSize())));
        }
        return digest;
    }

    private DataLoader.Builder loader() {
        return DataLoader.builder(folder).batchSize(4).shuffle(42).transform(augment);
    }

    @Test
    void batchesDoNotDependOnTheNumberOfWorkersOrTheCache() {
        List<String> one;
        try (DataLoader loader = loader().workers(1).build()) {
            one = epochDigest(loader, 3);
        }
        try (DataLoader loader = loader().workers(3).prefetch(5).cacheDecoded(true).build()) {
            assertEquals(one, epochDigest(loader, 3));
            assertEquals(one, epochDigest(loader, 3), "cached epoch");
            assertNotEquals(one, epochDigest(loader, 4), "another epoch, another order and augmentation");
        }
        assertEquals(6, one.size(), "21 images in batches of 4");
        assertTrue(one.get(5).startsWith("1 "), "the last batch holds the remainder");
    }

    @Test
    void everySampleAppearsOnceAnEpochAndLabelsMatchTheFolder() {
        try (DataLoader loader = loader().workers(2).build()) {
            List<Integer> seen = new ArrayList<>();
            DataLoader.Epoch epoch = loader.epoch(0);
            while (epoch.hasNext()) {
                DataLoader.Batch b = epoch.next();
                assertEquals(4 * 16 * 16 * 3, b.images().length);
                assertEquals(b.count(), b.tensor().batch());
                if (b.count() == 4) {
                    assertTrue(b.tensor().data() == b.images(), "a full batch's tensor is the loader's array");
                }
                for (int n = 0; n < b.count(); n++) {
                    seen.add(b.indices()[n]);
                    assertEquals(folder.sample(b.indices()[n]).label(), b.labels()[n]);
                }
            }
            assertNotEquals(seen.stream().sorted().toList(), seen, "shuffled");
            assertEquals(java.util.stream.IntStream.range(0, 21).boxed().toList(), seen.stream().sorted().toList());
            assertTrue(epoch.secondsWaited() >= 0);
            assertArrayEquals(loader.order(0), seen.stream().mapToInt(i -> i).toArray());
        }
    }

    @Test
    void dropLastLeavesOutThePartialBatchAndNoShuffleKeepsTheFolderOrder() {
        try (DataLoader loader = DataLoader.builder(folder).batchSize(4).dropLast(true).transform(augment).build()) {
            assertEquals(5, loader.batches());
            List<String> digest = epochDigest(loader, 0);
            assertEquals(5, digest.size());
            assertTrue(digest.get(0).contains("[0, 1, 2, 3]"), digest.get(0));
        }
    }

    @Test
    void buffersAreReusedOnceWarm() {
        try (DataLoader loader = loader().workers(1).prefetch(2).build()) {
            epochDigest(loader, 0);
            List<float[]> arrays = new ArrayList<>();
            DataLoader.Epoch epoch = loader.epoch(1);
            while (epoch.hasNext()) {
                arrays.add(epoch.next().images());
            }
            assertTrue(arrays.stream().distinct().count() <= 3, "at most prefetch + 1 arrays");
        }
    }

    private Path corruptOne() throws Exception {
        Path bad = folder.sample(5).path();
        Files.write(bad, Arrays.copyOf(Files.readAllBytes(bad), 60)); // a PNG cut short
        return bad;
    }

    @Test
    void skipReportsAnUnreadableImageOnceByPathAndGoesOn() throws Exception {
        Path bad = corruptOne();
        List<DataLoader.SkippedImage> reported = new ArrayList<>();
        try (DataLoader loader = loader().workers(2).unreadable(DataLoader.Unreadable.SKIP)
                .onSkipped(reported::add).build()) {
            int images = 0;
            for (int e = 0; e < 2; e++) {
                DataLoader.Epoch epoch = loader.epoch(e);
                while (epoch.hasNext()) {
                    DataLoader.Batch b = epoch.next();
                    images += b.count();
                    for (int n = 0; n < b.count(); n++) {
                        assertNotEquals(5, b.indices()[n]);
                    }
                }
            }
            assertEquals(40, images);
            assertEquals(1, reported.size(), reported.toString());
            assertEquals(bad, reported.get(0).path());
            assertTrue(reported.get(0).message().startsWith(bad.toString()), reported.get(0).message());
            assertEquals(reported, loader.skipped());
        }
    }

    @Test
    void failStopsTheEpochWithAOneLineErrorNamingTheFile() throws Exception {
        Path bad = corruptOne();
        try (DataLoader loader = loader().workers(3).build()) {
            DataLoader.Epoch epoch = loader.epoch(0);
            DatasetException e = assertThrows(DatasetException.class, () -> {
                while (epoch.hasNext()) {
                    epoch.next();
                }
            });
            assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            assertFalse(epoch.hasNext());
        }
    }

    @Test
    void closeMidEpochStopsTheWorkersPromptly() throws Exception {
        // Enough large images that the workers are still busy when close() comes.
        ImageFolder big = ImageFolder.open(TestFolders.folder(dir.resolve("big"), 40, 256, "x", "y"));
        Transform slow = Transform.builder(224, 224).randomResizedCrop().colorJitter(0.4, 0.4, 0.4).build();
        DataLoader loader = DataLoader.builder(big).batchSize(8).shuffle(1).workers(2).prefetch(4).transform(slow)
                .build();
        DataLoader.Epoch epoch = loader.epoch(0);
        epoch.next();
        assertTimeoutPreemptively(Duration.ofSeconds(10), loader::close);
        assertThrows(DatasetException.class, epoch::next);
        assertThrows(DatasetException.class, () -> loader.epoch(1));
        // Every loader in these tests is closed, so any live worker thread would be a leak.
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("mnv2-data-") && t.isAlive()), "worker threads still alive");
    }
}
