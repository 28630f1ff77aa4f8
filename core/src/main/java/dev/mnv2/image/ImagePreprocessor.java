package dev.mnv2.image;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Turns images into a model's NHWC float input the way the reference evaluation does: central crop
 * (87.5 % of each side by default), resize to the model's resolution, rounding to 8-bit pixels as an
 * 8-bit resized image has, then {@link PixelScaling}. Resizing is bilinear; when shrinking, the triangle
 * filter widens with the scale factor (as PIL's antialiased bilinear does), so a large photo is
 * area-averaged instead of aliased.
 *
 * <pre>{@code
 * ImagePreprocessor pre = ImagePreprocessor.builder(224, 224).scaling(PixelScaling.MINUS_ONE_TO_ONE).build();
 * Tensor input = pre.toTensor(List.of(Images.read(path)));
 * }</pre>
 */
public final class ImagePreprocessor {
    /** The central fraction the reference MobileNet evaluation keeps. */
    public static final double DEFAULT_CENTRAL_CROP = 0.875;

    /**
     * {@link #read(Path)} keeps at least this many source pixels per output pixel across the central crop,
     * so the area-averaging resize still averages a 4×4 patch or more when a large file is subsampled, and
     * the aliasing that keeping every n-th pixel adds stays small next to it.
     */
    public static final int DECODE_OVERSAMPLING = 4;

    private final int height;
    private final int width;
    private final double centralCrop;
    private final PixelScaling scaling;

    private ImagePreprocessor(Builder b) {
        this.height = b.height;
        this.width = b.width;
        this.centralCrop = b.centralCrop;
        this.scaling = b.scaling;
    }

    public static Builder builder(int height, int width) {
        return new Builder(height, width);
    }

    public Shape outputShape() {
        return new Shape(height, width, 3);
    }

    public double centralCrop() {
        return centralCrop;
    }

    public PixelScaling scaling() {
        return scaling;
    }

    /**
     * Reads {@code file} at the size this preprocessor needs: {@link #DECODE_OVERSAMPLING} times the output
     * size before the crop (1024 pixels for 224 and the default crop), so a side twice that or longer is
     * decoded subsampled ({@link Images#read(Path, int, int)}) and memory follows the output size, not the
     * size the file claims.
     */
    public BufferedImage read(Path file) throws ImageReadException {
        return Images.read(file, decodedSize(width), decodedSize(height));
    }

    private int decodedSize(int outputSize) {
        return (int) Math.ceil(DECODE_OVERSAMPLING * outputSize / centralCrop);
    }

    /** A batch tensor of the given images, in order. */
    public Tensor toTensor(List<BufferedImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images given");
        }
        Tensor out = Tensor.zeros(images.size(), outputShape());
        for (int n = 0; n < images.size(); n++) {
            write(images.get(n), out.data(), n * out.imageSize());
        }
        return out;
    }

    public Tensor toTensor(BufferedImage image) {
        return toTensor(List.of(image));
    }

    /** The cropped and resized 8-bit RGB image, before scaling (what the model sees). */
    public BufferedImage resized(BufferedImage image) {
        float[] rgb = resize(image);
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                out.setRGB(x, y, ((int) rgb[i] << 16) | ((int) rgb[i + 1] << 8) | (int) rgb[i + 2]);
            }
        }
        return out;
    }

    private void write(BufferedImage image, float[] out, int offset) {
        float[] rgb = resize(image);
        for (int i = 0; i < rgb.length; i++) {
            out[offset + i] = scaling.apply(i % 3, rgb[i]);
        }
    }

    /**
     * Writes {@code image} cropped and resized as {@link #toTensor} does, before scaling: height × width × 3
     * pixel values, rounded to integers in [0, 255], at {@code out[offset ..]}.
     */
    public void resizeInto(PixelSource image, float[] out, int offset) {
        int srcW = image.width();
        int srcH = image.height();
        // As tf.image.central_crop: the same number of rows dropped at the top and the bottom.
        int top = (int) ((srcH - srcH * centralCrop) / 2);
        int left = (int) ((srcW - srcW * centralCrop) / 2);
        resizeRegion(image, left, top, srcW - 2 * left, srcH - 2 * top, height, width, out, offset);
    }

    private float[] resize(BufferedImage image) {
        float[] out = new float[height * width * 3];
        resizeInto(PixelSource.of(image), out, 0);
        return out;
    }

    /**
     * Resizes the region {@code left, top, cropW × cropH} of {@code image} to {@code outH × outW × 3} pixel
     * values at {@code out[offset ..]}, with this class's antialiased bilinear filter, rounded to integers in
     * [0, 255] as an 8-bit resized image has. A region the size of the output is copied unchanged.
     */
    public static void resizeRegion(PixelSource image, int left, int top, int cropW, int cropH, int outH, int outW,
                                    float[] out, int offset) {
        if (cropW < 1 || cropH < 1 || left < 0 || top < 0 || left + cropW > image.width()
                || top + cropH > image.height()) {
            throw new IllegalArgumentException("region " + left + "," + top + " " + cropW + "x" + cropH
                    + " is not inside the " + image.width() + "x" + image.height() + " image");
        }
        Resampling across = Resampling.of(cropW, outW);
        Resampling down = Resampling.of(cropH, outH);
        // Rows are resized one at a time, so only one source row is ever held as floats.
        int[] argb = new int[cropW];
        float[] row = new float[cropW * 3];
        float[] horizontal = new float[cropH * outW * 3];
        for (int y = 0; y < cropH; y++) {
            image.readRow(top + y, left, cropW, argb);
            for (int x = 0; x < cropW; x++) {
                row[3 * x] = (argb[x] >> 16) & 0xFF;
                row[3 * x + 1] = (argb[x] >> 8) & 0xFF;
                row[3 * x + 2] = argb[x] & 0xFF;
            }
            across.apply(row, 0, 3, horizontal, y * outW * 3, 3);
        }
        for (int x = 0; x < outW; x++) {
            down.apply(horizontal, x * 3, outW * 3, out, offset + x * 3, outW * 3);
        }
        int end = offset + outH * outW * 3;
        for (int i = offset; i < end; i++) {
            out[i] = Math.min(255f, Math.max(0f, Math.round(out[i])));
        }
    }

    /** Triangle-filter weights from {@code in} samples to {@code out}, with pixel centres at i + 0.5. */
    private record Resampling(int[] first, float[][] weights) {
        static Resampling of(int in, int out) {
            double scale = (double) in / out;
            double support = Math.max(scale, 1.0);
            int[] first = new int[out];
            float[][] weights = new float[out][];
            for (int i = 0; i < out; i++) {
                double centre = (i + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(centre - support));
                int hi = Math.min(in - 1, (int) Math.ceil(centre + support));
                float[] w = new float[hi - lo + 1];
                double sum = 0;
                for (int j = lo; j <= hi; j++) {
                    double t = Math.abs((j + 0.5 - centre) / support);
                    double v = Math.max(0, 1 - t);
                    w[j - lo] = (float) v;
                    sum += v;
                }
                if (sum == 0) { // a single source sample exactly between two taps
                    w[Math.min(w.length - 1, (int) (centre - lo))] = 1f;
                    sum = 1;
                }
                for (int j = 0; j < w.length; j++) {
                    w[j] = (float) (w[j] / sum);
                }
                first[i] = lo;
                weights[i] = w;
            }
            return new Resampling(first, weights);
        }

        /** Resamples the 3 channels of one line: element j, channel c at {@code inOff + j * inStride + c}. */
        void apply(float[] in, int inOff, int inStride, float[] out, int outOff, int outStride) {
            for (int i = 0; i < first.length; i++) {
                float[] w = weights[i];
                for (int c = 0; c < 3; c++) {
                    float acc = 0f;
                    int p = inOff + first[i] * inStride + c;
                    for (float weight : w) {
                        acc += weight * in[p];
                        p += inStride;
                    }
                    out[outOff + i * outStride + c] = acc;
                }
            }
        }
    }

    public static final class Builder {
        private final int height;
        private final int width;
        private double centralCrop = DEFAULT_CENTRAL_CROP;
        private PixelScaling scaling = PixelScaling.MINUS_ONE_TO_ONE;

        private Builder(int height, int width) {
            if (height <= 0 || width <= 0) {
                throw new IllegalArgumentException("output size must be positive, got " + height + "x" + width);
            }
            this.height = height;
            this.width = width;
        }

        /** Fraction of each side kept around the centre, in (0, 1]; 1 keeps the whole image. */
        public Builder centralCrop(double fraction) {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("central crop must be in (0, 1], got " + fraction);
            }
            this.centralCrop = fraction;
            return this;
        }

        public Builder scaling(PixelScaling pixelScaling) {
            this.scaling = Objects.requireNonNull(pixelScaling, "scaling");
            return this;
        }

        public ImagePreprocessor build() {
            return new ImagePreprocessor(this);
        }
    }
}
