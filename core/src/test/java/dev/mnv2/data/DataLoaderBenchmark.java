package dev.mnv2.data;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Throughput of the data loader on CIFAR-10 train at 32×32 with crop + flip, batch 128: the first epoch
 * (decoding every JPEG) and a second one from the decoded cache.
 *
 * <pre>
 * mvn -q -pl core test-compile &amp;&amp; java -cp core/target/classes:core/target/test-classes \
 *     dev.mnv2.data.DataLoaderBenchmark ../shared/datasets/cifar10/train 1
 * </pre>
 * (arguments: the folder, the number of workers).
 */
public final class DataLoaderBenchmark {
    private DataLoaderBenchmark() {}

    public static void main(String[] args) {
        Path root = Path.of(args.length > 0 ? args[0] : "../shared/datasets/cifar10/train");
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        ImageFolder folder = ImageFolder.open(root);
        Transform train = Transform.builder(32, 32).randomCropWithPadding(4).horizontalFlip(0.5).build();
        try (DataLoader loader = DataLoader.builder(folder).batchSize(128).shuffle(1).transform(train)
                .workers(workers).cacheDecoded(true).build()) {
            for (int e = 0; e < 3; e++) {
                long start = System.nanoTime();
                long images = 0;
                DataLoader.Epoch epoch = loader.epoch(e);
                while (epoch.hasNext()) {
                    images += epoch.next().count();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "epoch %d (%s): %d images in %.2f s = %.0f images/s, %d worker(s)%n",
                        e, e == 0 ? "decoding" : "cached", images, seconds, images / seconds, workers);
            }
        }
    }
}
