package dev.mnv2.experiment;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The accuracy–cost trade-off of the paper's Fig. 5, over the reference implementation's 22 width × resolution
 * variants: their published ImageNet top-1 ({@link PublishedVariants}) against the MACs mnv2 counts for the
 * same network and the batch-1 latency measured here (median of timed runs after warm-up, random weights: the
 * arithmetic does not depend on their values).
 */
public final class TradeoffExperiment {
    /**
     * One variant: the published row, mnv2's MAC count and parameter count (without batch norms, 1001 classes:
     * what the reference table counts), and the measured latency (median and each run's).
     */
    public record Point(PublishedVariants.Variant published, long macs, long parameters, double medianMs,
                        double[] runsMs) {}

    private final List<PublishedVariants.Variant> variants;
    private final int threads;
    private final int warmup;
    private final int runs;

    private TradeoffExperiment(Builder b) {
        this.variants = List.copyOf(b.variants);
        this.threads = b.threads;
        this.warmup = b.warmup;
        this.runs = b.runs;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds, counts and times each variant in turn; {@code log} hears a line per variant. */
    public List<Point> run(Consumer<String> log) {
        List<Point> points = new ArrayList<>();
        for (PublishedVariants.Variant v : variants) {
            Network network = MobileNetV2.create(MobileNetV2.builder().width(v.width()).resolution(v.resolution())
                    .classes(1001).config());
            float[] image = new float[Math.toIntExact(network.input().elements())];
            SplittableRandom random = new SplittableRandom(v.resolution());
            for (int i = 0; i < image.length; i++) {
                image[i] = (float) (2 * random.nextDouble() - 1);
            }
            double[] times = new double[runs];
            try (Predictor predictor = Predictor.builder(network).threads(threads).build()) {
                Tensor input = new Tensor(1, network.input(), image);
                for (int i = 0; i < warmup; i++) {
                    predictor.forward(input);
                }
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    predictor.forward(input);
                    times[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            double[] sorted = times.clone();
            Arrays.sort(sorted);
            double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
            Point p = new Point(v, network.macs(), network.parametersWithoutBatchNorm(), median, times);
            points.add(p);
            log.accept(String.format(java.util.Locale.ROOT, "%s: %.1f ms", v.name(), median));
        }
        return points;
    }

    /** Options; the defaults: all 22 variants, 1 thread, 5 warm-up and 15 timed runs each. */
    public static final class Builder {
        private List<PublishedVariants.Variant> variants = PublishedVariants.ALL;
        private int threads = 1;
        private int warmup = 5;
        private int runs = 15;

        private Builder() {}

        public Builder variants(List<PublishedVariants.Variant> list) {
            Objects.requireNonNull(list, "variants");
            if (list.isEmpty()) {
                throw new IllegalArgumentException("no variants given");
            }
            this.variants = List.copyOf(list);
            return this;
        }

        public Builder threads(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + count);
            }
            this.threads = count;
            return this;
        }

        public Builder warmup(int count) {
            if (count < 0) {
                throw new IllegalArgumentException("warm-up runs must be >= 0, got " + count);
            }
            this.warmup = count;
            return this;
        }

        public Builder runs(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("timed runs must be at least 1, got " + count);
            }
            this.runs = count;
            return this;
        }

        public TradeoffExperiment build() {
            return new TradeoffExperiment(this);
        }
    }
}
