package dev.mnv2.data;

import dev.mnv2.exec.Tensor;
import dev.mnv2.image.ImageReadException;
import dev.mnv2.model.Shape;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * Batches of an {@link ImageFolder} through a {@link Transform}, decoded and transformed by worker threads
 * ahead of the consumer. Deterministic: an epoch's order is a function of (seed, epoch) and each sample's
 * augmentation of (seed, epoch, sample index), so the batches are the same whatever the number of workers
 * or their timing. Each worker fills a whole batch; a {@link Batch}'s arrays are reused, so a batch is valid
 * until the next call of {@code next()} or, for an epoch's last batch, until another epoch starts.
 *
 * <pre>{@code
 * try (DataLoader loader = DataLoader.builder(ImageFolder.open(dir)).batchSize(128).shuffle(42)
 *         .transform(train).workers(2).cacheDecoded(true).build()) {
 *     for (int e = 0; e < epochs; e++) {
 *         DataLoader.Epoch epoch = loader.epoch(e);
 *         while (epoch.hasNext()) {
 *             DataLoader.Batch batch = epoch.next();   // batch.images(): count x H x W x 3, batch.labels()
 *         }
 *         double waited = epoch.secondsWaited();       // time next() blocked on the workers
 *     }
 * }
 * }</pre>
 *
 * An image that cannot be read either fails the epoch ({@link Unreadable#FAIL}: the consumer's
 * {@code next()} throws a {@link DatasetException} naming it) or is left out of its batch and reported
 * once, by path, to the {@link Builder#onSkipped} listener on the consumer's thread ({@link Unreadable#SKIP}).
 */
public final class DataLoader implements AutoCloseable {
    /** What an unreadable image does. */
    public enum Unreadable { SKIP, FAIL }

    /** An image left out, and why (the decoder's one-line message, which names the file). */
    public record SkippedImage(Path path, String message) {}

    /**
     * One batch: {@code count} images at {@code images[n * imageSize ..]} (NHWC, {@code height × width × 3}
     * each), their labels and their sample indices in the folder. The arrays are the loader's and hold
     * {@code batchSize} entries; only the first {@code count} are this batch's (fewer in a last or skipping batch).
     */
    public record Batch(float[] images, int[] labels, int[] indices, int count, int height, int width,
                        List<SkippedImage> skipped) {
        public int imageSize() {
            return height * width * 3;
        }

        /**
         * The {@code count} images as a tensor: the loader's array itself when the batch is full (valid as
         * long as the batch), a copy of its first {@code count} images otherwise.
         */
        public Tensor tensor() {
            if (count == 0) {
                throw new IllegalStateException("a batch without images has no tensor (all were skipped)");
            }
            Shape shape = new Shape(height, width, 3);
            int values = count * imageSize();
            return new Tensor(count, shape, values == images.length ? images : Arrays.copyOf(images, values));
        }
    }

    private static final Object UNREADABLE = new Object();

    private final ImageFolder folder;
    private final Transform transform;
    private final int batchSize;
    private final Long seed;
    private final int prefetch;
    private final boolean dropLast;
    private final Unreadable unreadable;
    private final Consumer<SkippedImage> onSkipped;
    private final AtomicReferenceArray<Object> cache;
    private final ConcurrentHashMap<Integer, SkippedImage> unreadableImages = new ConcurrentHashMap<>();
    private final ExecutorService workers;
    private final List<Thread> workerThreads = Collections.synchronizedList(new ArrayList<>());
    private final List<Buffers> spare = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;
    private long nanosWaited;

    private DataLoader(Builder b) {
        this.folder = b.folder;
        this.transform = b.transform;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.prefetch = b.prefetch > 0 ? b.prefetch : 2 * b.workers;
        this.dropLast = b.dropLast;
        this.unreadable = b.unreadable;
        this.onSkipped = b.onSkipped;
        this.cache = b.cacheDecoded ? new AtomicReferenceArray<>(folder.size()) : null;
        AtomicInteger number = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(b.workers, task -> {
            Thread t = new Thread(task, "mnv2-data-" + number.incrementAndGet());
            t.setDaemon(true);
            workerThreads.add(t);
            return t;
        });
    }

    public static Builder builder(ImageFolder folder) {
        return new Builder(folder);
    }

    public ImageFolder folder() {
        return folder;
    }

    public Transform transform() {
        return transform;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch. */
    public int batches() {
        return dropLast ? folder.size() / batchSize : (folder.size() + batchSize - 1) / batchSize;
    }

    /** The images left out so far, in the folder's order. */
    public List<SkippedImage> skipped() {
        return unreadableImages.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .map(java.util.Map.Entry::getValue).toList();
    }

    /** Seconds the consumer has spent blocked in {@code next()} over all epochs. */
    public synchronized double secondsWaited() {
        return nanosWaited / 1e9;
    }

    private synchronized void addWaited(long nanos) {
        nanosWaited += nanos;
    }

    /**
     * The sample indices of epoch {@code epoch} in order: the folder's order without a shuffle seed,
     * otherwise a permutation drawn from (seed, epoch).
     */
    public int[] order(int epoch) {
        int[] order = new int[folder.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (seed != null) {
            SplittableRandom random = new SplittableRandom(Seeds.mix(seed, epoch, -1));
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /**
     * Starts epoch {@code epoch}: workers begin on its first batches at once. Starting another epoch before
     * this one is consumed leaves this one's batches to finish in the background.
     */
    public Epoch epoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        ensureOpen();
        return new Epoch(epoch);
    }

    private void ensureOpen() {
        if (closed) {
            throw new DatasetException("data loader of " + folder.root() + " is closed");
        }
    }

    /** Stops the workers, also in the middle of an epoch (they stop between two images). */
    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            workers.awaitTermination(10, TimeUnit.SECONDS);
            // A terminated pool's threads may still be on their way out; once close returns none is left.
            synchronized (workerThreads) {
                for (Thread t : workerThreads) {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Buffers(float[] images, int[] labels, int[] indices) {}

    private Buffers takeBuffers() {
        synchronized (spare) {
            if (!spare.isEmpty()) {
                return spare.remove(spare.size() - 1);
            }
        }
        return new Buffers(new float[batchSize * transform.imageSize()], new int[batchSize], new int[batchSize]);
    }

    /** Fills one batch from {@code order[from .. to)}; runs on a worker. */
    private Batch fill(int epoch, int[] order, int from, int to, Buffers buffers) {
        int size = transform.imageSize();
        int count = 0;
        List<SkippedImage> skipped = new ArrayList<>(0);
        for (int k = from; k < to; k++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new DatasetException("data loader of " + folder.root() + " was closed");
            }
            int index = order[k];
            RgbImage image = decoded(index, skipped);
            if (image == null) {
                continue;
            }
            SplittableRandom random = new SplittableRandom(Seeds.mix(seed == null ? 0 : seed, epoch, index));
            transform.apply(image, random, buffers.images(), count * size);
            buffers.labels()[count] = folder.sample(index).label();
            buffers.indices()[count] = index;
            count++;
        }
        return new Batch(buffers.images(), buffers.labels(), buffers.indices(), count, transform.height(),
                transform.width(), skipped);
    }

    /** The decoded image of sample {@code index}, or null when it is unreadable and skipped. */
    private RgbImage decoded(int index, List<SkippedImage> skipped) {
        SkippedImage known = unreadableImages.get(index);
        if (known != null) {
            return null;
        }
        if (cache != null) {
            Object cached = cache.get(index);
            if (cached instanceof RgbImage image) {
                return image;
            }
        }
        Path path = folder.sample(index).path();
        try {
            RgbImage image = RgbImage.read(path, transform.decodeWidth(), transform.decodeHeight());
            if (cache != null) {
                cache.set(index, image);
            }
            return image;
        } catch (ImageReadException e) {
            String message = e.getMessage() != null && e.getMessage().contains(path.toString())
                    ? e.getMessage() : path + ": " + e.getMessage();
            if (unreadable == Unreadable.FAIL) {
                throw new DatasetException(message, e);
            }
            SkippedImage s = new SkippedImage(path, message);
            if (unreadableImages.putIfAbsent(index, s) == null) {
                skipped.add(s);
            }
            return null;
        }
    }

    /** The batches of one epoch, in order; decoding runs up to the prefetch depth ahead of {@link #next()}. */
    public final class Epoch implements Iterator<Batch> {
        private final int epoch;
        private final int[] order;
        private final int batchCount;
        private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
        private final ArrayDeque<Buffers> pendingBuffers = new ArrayDeque<>();
        private Buffers held;
        private int submitted;
        private int delivered;
        private long nanosWaited;

        private Epoch(int epoch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.batchCount = batches();
            while (submitted < batchCount && pending.size() < prefetch) {
                submit();
            }
        }

        private void submit() {
            int from = submitted * batchSize;
            int to = Math.min(order.length, from + batchSize);
            Buffers buffers = takeBuffers();
            pending.add(workers.submit(() -> fill(epoch, order, from, to, buffers)));
            pendingBuffers.add(buffers);
            submitted++;
        }

        public int epochNumber() {
            return epoch;
        }

        /** Batches in this epoch. */
        public int batchCount() {
            return batchCount;
        }

        /** Seconds {@link #next()} has blocked waiting for the workers in this epoch. */
        public double secondsWaited() {
            return nanosWaited / 1e9;
        }

        @Override
        public boolean hasNext() {
            return delivered < batchCount;
        }

        /**
         * The next batch, waiting for it if the workers are behind; the previous batch's arrays are reused
         * from here on. Throws the {@link DatasetException} a worker met (an unreadable image under FAIL).
         */
        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch " + epoch + " has " + batchCount + " batches");
            }
            ensureOpen();
            if (held != null) {
                spare.add(held);
                held = null;
            }
            if (submitted < batchCount) {
                submit();
            }
            Future<Batch> future = pending.poll();
            Buffers buffers = pendingBuffers.poll();
            long start = System.nanoTime();
            Batch batch;
            try {
                batch = future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DatasetException("interrupted while waiting for a batch of " + folder.root());
            } catch (ExecutionException e) {
                delivered = batchCount; // the epoch ends here
                cancelPending();
                Throwable cause = e.getCause();
                if (cause instanceof DatasetException d) {
                    throw new DatasetException(d.getMessage(), d);
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw new DatasetException(folder.root() + ": data loading failed: " + cause, cause);
            } catch (java.util.concurrent.CancellationException e) {
                throw new DatasetException("data loader of " + folder.root() + " was closed");
            } finally {
                long waited = System.nanoTime() - start;
                nanosWaited += waited;
                addWaited(waited);
            }
            held = buffers;
            delivered++;
            if (delivered == batchCount) {
                spare.add(held); // valid until the next epoch's workers take it
                held = null;
            }
            if (onSkipped != null) {
                batch.skipped().forEach(onSkipped);
            }
            return batch;
        }

        private void cancelPending() {
            for (Future<Batch> f : pending) {
                f.cancel(true);
            }
            pending.clear();
            pendingBuffers.clear();
        }
    }

    /** Options of a {@link DataLoader}. */
    public static final class Builder {
        private final ImageFolder folder;
        private Transform transform;
        private int batchSize = 32;
        private Long seed;
        private int workers = 1;
        private int prefetch;
        private boolean dropLast;
        private Unreadable unreadable = Unreadable.FAIL;
        private boolean cacheDecoded;
        private Consumer<SkippedImage> onSkipped;

        private Builder(ImageFolder folder) {
            this.folder = Objects.requireNonNull(folder, "folder");
        }

        /** Images per batch (default 32). */
        public Builder batchSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + size);
            }
            this.batchSize = size;
            return this;
        }

        /**
         * Shuffles every epoch with a permutation of (seed, epoch); also seeds the augmentations. Without
         * it, the folder's order, and augmentations seeded by 0.
         */
        public Builder shuffle(long seed) {
            this.seed = seed;
            return this;
        }

        /** The transform every image goes through (required). */
        public Builder transform(Transform transform) {
            this.transform = Objects.requireNonNull(transform, "transform");
            return this;
        }

        /** Decoding threads (default 1). */
        public Builder workers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be at least 1, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /** Batches decoded ahead of the consumer (default twice the workers). */
        public Builder prefetch(int batches) {
            if (batches < 1) {
                throw new IllegalArgumentException("prefetch must be at least 1 batch, got " + batches);
            }
            this.prefetch = batches;
            return this;
        }

        /** Leaves out the last batch when it is smaller than the batch size (default false). */
        public Builder dropLast(boolean drop) {
            this.dropLast = drop;
            return this;
        }

        /** Skip or fail on an unreadable image (default FAIL). */
        public Builder unreadable(Unreadable policy) {
            this.unreadable = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Keeps every decoded image in memory (3 bytes a pixel; CIFAR-10's 50,000 training images are 150 MB),
         * so epochs after the first skip decoding.
         */
        public Builder cacheDecoded(boolean cache) {
            this.cacheDecoded = cache;
            return this;
        }

        /** Told of each skipped image once, on the consumer's thread, with the batch it was left out of. */
        public Builder onSkipped(Consumer<SkippedImage> listener) {
            this.onSkipped = listener;
            return this;
        }

        public DataLoader build() {
            if (transform == null) {
                throw new IllegalStateException("a data loader needs a transform");
            }
            return new DataLoader(this);
        }
    }
}
