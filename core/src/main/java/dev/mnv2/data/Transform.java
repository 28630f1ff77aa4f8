package dev.mnv2.data;

import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.PixelScaling;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Turns a decoded image into a model input: height × width × 3 NHWC float32 values written into a caller's
 * array at an offset. One geometric step (a random resized crop, a padded random crop, or classify's
 * central crop and resize, which is the default), then pixel steps in the order added (horizontal flip,
 * colour jitter) on 8-bit-range values, then the {@link PixelScaling}. All randomness comes from the
 * generator passed in, so a sample's result is a function of that generator's seed. Immutable and
 * thread-safe.
 *
 * <pre>{@code
 * Transform cifarTrain = Transform.builder(32, 32).randomCropWithPadding(4).horizontalFlip(0.5)
 *         .scaling(PixelScaling.IMAGENET).build();
 * Transform imagenetTrain = Transform.builder(224, 224).randomResizedCrop().horizontalFlip(0.5)
 *         .colorJitter(0.4, 0.4, 0.4).build();
 * Transform eval = Transform.evaluation(224, 224, ImagePreprocessor.DEFAULT_CENTRAL_CROP, PixelScaling.IMAGENET);
 * }</pre>
 */
public final class Transform {
    /** How the output's pixels are taken from the image (before pixel steps). */
    private interface Geometry {
        void apply(RgbImage image, SplittableRandom random, float[] out, int offset);
    }

    /** An in-place step on height × width × 3 values in [0, 255]. */
    private interface PixelStep {
        void apply(float[] values, int offset, SplittableRandom random);
    }

    private final int height;
    private final int width;
    private final Geometry geometry;
    private final List<PixelStep> steps;
    private final PixelScaling scaling;
    private final String description;

    private Transform(Builder b) {
        this.height = b.height;
        this.width = b.width;
        this.geometry = b.geometry != null ? b.geometry : centralCrop(height, width, 1.0);
        this.steps = List.copyOf(b.steps);
        this.scaling = b.scaling;
        this.description = String.join(" + ", b.names.isEmpty() ? List.of("resize") : b.names);
    }

    public static Builder builder(int height, int width) {
        return new Builder(height, width);
    }

    /**
     * {@code classify}'s evaluation input: central crop of {@code centralCrop} of each side, resize, scaling,
     * through {@link ImagePreprocessor} itself. With a crop of 1 an image already height × width passes
     * unchanged but for the scaling.
     */
    public static Transform evaluation(int height, int width, double centralCrop, PixelScaling scaling) {
        return builder(height, width).centralCrop(centralCrop).scaling(scaling).build();
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Values written per image: height × width × 3. */
    public int imageSize() {
        return height * width * 3;
    }

    public PixelScaling scaling() {
        return scaling;
    }

    /**
     * Decoded size to ask {@link dev.mnv2.image.Images#read(java.nio.file.Path, int, int)} for: a large file
     * is decoded subsampled to no less than {@link ImagePreprocessor#DECODE_OVERSAMPLING} times the output
     * on each side, as classify decodes it, which still leaves about one source pixel per output pixel in
     * the smallest Inception crop (a quarter of each side).
     */
    public int decodeWidth() {
        return ImagePreprocessor.DECODE_OVERSAMPLING * width;
    }

    public int decodeHeight() {
        return ImagePreprocessor.DECODE_OVERSAMPLING * height;
    }

    /** Writes {@link #imageSize()} values for {@code image} at {@code out[offset ..]}. */
    public void apply(RgbImage image, SplittableRandom random, float[] out, int offset) {
        geometry.apply(image, random, out, offset);
        for (PixelStep step : steps) {
            step.apply(out, offset, random);
        }
        int end = offset + imageSize();
        for (int i = offset, c = 0; i < end; i++, c = c == 2 ? 0 : c + 1) {
            out[i] = scaling.apply(c, out[i]);
        }
    }

    @Override
    public String toString() {
        return description + " to " + height + "x" + width;
    }

    private static Geometry centralCrop(int height, int width, double fraction) {
        ImagePreprocessor preprocessor = ImagePreprocessor.builder(height, width).centralCrop(fraction).build();
        return (image, random, out, offset) -> preprocessor.resizeInto(image, out, offset);
    }

    /** Inception's crop: a random area fraction and aspect ratio, tried 10 times, else the central crop. */
    private static Geometry randomResizedCrop(int height, int width, double minScale, double maxScale, double minRatio, double maxRatio) {
        double logMin = Math.log(minRatio);
        double logMax = Math.log(maxRatio);
        return (image, random, out, offset) -> {
            int w = image.width();
            int h = image.height();
            double area = (double) w * h;
            for (int attempt = 0; attempt < 10; attempt++) {
                double target = area * (minScale + (maxScale - minScale) * random.nextDouble());
                double ratio = Math.exp(logMin + (logMax - logMin) * random.nextDouble());
                int cropW = (int) Math.round(Math.sqrt(target * ratio));
                int cropH = (int) Math.round(Math.sqrt(target / ratio));
                if (cropW >= 1 && cropW <= w && cropH >= 1 && cropH <= h) {
                    int top = random.nextInt(h - cropH + 1);
                    int left = random.nextInt(w - cropW + 1);
                    ImagePreprocessor.resizeRegion(image, left, top, cropW, cropH, height, width, out, offset);
                    return;
                }
            }
            // As torchvision: the whole image, cut to the nearest allowed aspect ratio, centred.
            double imageRatio = (double) w / h;
            int cropW = w;
            int cropH = h;
            if (imageRatio < minRatio) {
                cropH = Math.max(1, (int) Math.round(w / minRatio));
            } else if (imageRatio > maxRatio) {
                cropW = Math.max(1, (int) Math.round(h * maxRatio));
            }
            ImagePreprocessor.resizeRegion(image, (w - cropW) / 2, (h - cropH) / 2, cropW, cropH, height, width,
                    out, offset);
        };
    }

    /**
     * CIFAR's crop: the image (resized to the output size first if it is not that size) padded with
     * {@code padding} black pixels on every side, and an output-sized window at a random offset.
     */
    private static Geometry paddedRandomCrop(int height, int width, int padding) {
        ImagePreprocessor resize = ImagePreprocessor.builder(height, width).centralCrop(1.0).build();
        return (image, random, out, offset) -> {
            int dx = random.nextInt(2 * padding + 1) - padding;
            int dy = random.nextInt(2 * padding + 1) - padding;
            RgbImage source = image;
            if (image.width() != width || image.height() != height) {
                float[] resized = new float[height * width * 3];
                resize.resizeInto(image, resized, 0);
                byte[] bytes = new byte[resized.length];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (int) resized[i];
                }
                source = new RgbImage(width, height, bytes);
            }
            byte[] rgb = source.rgb();
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                for (int x = 0; x < width; x++) {
                    int sx = x + dx;
                    int o = offset + (y * width + x) * 3;
                    if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
                        out[o] = out[o + 1] = out[o + 2] = 0f;
                    } else {
                        int s = (sy * width + sx) * 3;
                        out[o] = rgb[s] & 0xFF;
                        out[o + 1] = rgb[s + 1] & 0xFF;
                        out[o + 2] = rgb[s + 2] & 0xFF;
                    }
                }
            }
        };
    }

    private static PixelStep horizontalFlip(int height, int width, double probability) {
        return (values, offset, random) -> {
            if (random.nextDouble() >= probability) {
                return;
            }
            for (int y = 0; y < height; y++) {
                int row = offset + y * width * 3;
                for (int l = 0, r = width - 1; l < r; l++, r--) {
                    for (int c = 0; c < 3; c++) {
                        float t = values[row + 3 * l + c];
                        values[row + 3 * l + c] = values[row + 3 * r + c];
                        values[row + 3 * r + c] = t;
                    }
                }
            }
        };
    }

    /**
     * torchvision's ColorJitter without hue: brightness, contrast and saturation factors drawn uniformly
     * from [max(0, 1 - s), 1 + s] and applied in that order (a fixed order keeps one draw per step),
     * clamping to [0, 255] after each; contrast blends with the image's mean gray, saturation with each
     * pixel's gray (ITU-R 601 luma, as PIL).
     */
    private static PixelStep colorJitter(int height, int width, double brightness, double contrast, double saturation) {
        int n = height * width;
        return (values, offset, random) -> {
            float b = factor(random, brightness);
            float c = factor(random, contrast);
            float s = factor(random, saturation);
            int end = offset + 3 * n;
            for (int i = offset; i < end; i++) {
                values[i] = clamp(values[i] * b);
            }
            double graySum = 0;
            for (int i = offset; i < end; i += 3) {
                graySum += gray(values, i);
            }
            float mean = (float) (graySum / n);
            for (int i = offset; i < end; i++) {
                values[i] = clamp(mean + (values[i] - mean) * c);
            }
            for (int i = offset; i < end; i += 3) {
                float g = gray(values, i);
                for (int k = 0; k < 3; k++) {
                    values[i + k] = clamp(g + (values[i + k] - g) * s);
                }
            }
        };
    }

    private static float factor(SplittableRandom random, double strength) {
        double lo = Math.max(0, 1 - strength);
        return (float) (lo + (1 + strength - lo) * random.nextDouble());
    }

    private static float gray(float[] v, int i) {
        return 0.299f * v[i] + 0.587f * v[i + 1] + 0.114f * v[i + 2];
    }

    private static float clamp(float v) {
        return Math.min(255f, Math.max(0f, v));
    }

    /** Options of a {@link Transform}; at most one geometric step. */
    public static final class Builder {
        private final int height;
        private final int width;
        private Geometry geometry;
        private final List<PixelStep> steps = new ArrayList<>();
        private final List<String> names = new ArrayList<>();
        private PixelScaling scaling = PixelScaling.MINUS_ONE_TO_ONE;

        private Builder(int height, int width) {
            if (height <= 0 || width <= 0) {
                throw new IllegalArgumentException("output size must be positive, got " + height + "x" + width);
            }
            this.height = height;
            this.width = width;
        }

        private Builder geometry(String name, Geometry step) {
            if (geometry != null) {
                throw new IllegalStateException("a transform takes one crop, already has " + names.get(0));
            }
            geometry = step;
            names.add(0, name);
            return this;
        }

        /** Central crop of {@code fraction} of each side and resize, as classify (the default with 1: resize only). */
        public Builder centralCrop(double fraction) {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("central crop must be in (0, 1], got " + fraction);
            }
            return geometry("central crop " + fraction, Transform.centralCrop(height, width, fraction));
        }

        /** Inception's random resized crop with torchvision's defaults: area 8 %–100 %, aspect ratio 3/4–4/3. */
        public Builder randomResizedCrop() {
            return randomResizedCrop(0.08, 1.0, 3.0 / 4, 4.0 / 3);
        }

        /** A random crop of area fraction in [minScale, maxScale] and aspect ratio in [minRatio, maxRatio], resized. */
        public Builder randomResizedCrop(double minScale, double maxScale, double minRatio, double maxRatio) {
            if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1 && minRatio > 0 && minRatio <= maxRatio)) {
                throw new IllegalArgumentException("random resized crop needs 0 < minScale <= maxScale <= 1 and "
                        + "0 < minRatio <= maxRatio, got scale " + minScale + ".." + maxScale + ", ratio "
                        + minRatio + ".." + maxRatio);
            }
            return geometry("random resized crop", Transform.randomResizedCrop(height, width, minScale, maxScale, minRatio, maxRatio));
        }

        /** CIFAR's crop: pad {@code padding} zero pixels on each side, take an output-sized window at random. */
        public Builder randomCropWithPadding(int padding) {
            if (padding < 0) {
                throw new IllegalArgumentException("padding must be >= 0, got " + padding);
            }
            return geometry("random crop padded " + padding, Transform.paddedRandomCrop(height, width, padding));
        }

        /** Mirrors the image left to right with {@code probability}. */
        public Builder horizontalFlip(double probability) {
            if (!(probability >= 0 && probability <= 1)) {
                throw new IllegalArgumentException("flip probability must be in [0, 1], got " + probability);
            }
            steps.add(Transform.horizontalFlip(height, width, probability));
            names.add("flip " + probability);
            return this;
        }

        /** Random brightness, contrast and saturation, each factor in [max(0, 1 - s), 1 + s]. */
        public Builder colorJitter(double brightness, double contrast, double saturation) {
            for (double s : new double[] {brightness, contrast, saturation}) {
                if (!(s >= 0 && Double.isFinite(s))) {
                    throw new IllegalArgumentException("colour jitter strengths must be finite and >= 0, got " + s);
                }
            }
            steps.add(Transform.colorJitter(height, width, brightness, contrast, saturation));
            names.add("colour jitter");
            return this;
        }

        /** Pixel scaling applied last (default: [-1, 1]). */
        public Builder scaling(PixelScaling pixelScaling) {
            this.scaling = Objects.requireNonNull(pixelScaling, "scaling");
            return this;
        }

        public Transform build() {
            return new Transform(this);
        }
    }
}
