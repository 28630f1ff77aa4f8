package dev.mnv2.exec;

import dev.mnv2.model.Activation;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import java.util.Arrays;

/**
 * A convolution (or dense layer) of one spec on one input shape in training: the forward with the current
 * weights, unfolded, and the gradients with respect to its input, weights and bias, over a batch of NHWC
 * images. The kernel path is chosen once by operator and shape, as {@link Plan} chooses it: a 1×1
 * convolution over whole pixels (and a dense layer, whose pixels are the batch) is a GEMM, {@code dX = dY·Wᵀ}
 * and {@code dW = Xᵀ·dY}; a depthwise one runs the row kernels vectorised over channels; any other ungrouped
 * one (the stem) multiplies a patch matrix, {@code dW = patchesᵀ·dY}, and scatters {@code dY·Wᵀ} back through
 * the patches (col2im); grouped ones run per pixel on both kernel sets.
 *
 * <p>The spec's batch norm and activation are not applied here: a training graph runs {@link BatchNormTraining}
 * after the convolution, and {@link #forward} takes the clamp bounds of a convolution without batch norm.
 *
 * <p>Buffers: activations and gradients are caller arrays at offsets, {@code images} images back to back;
 * weights are HWIO ({@code [kernel][kernel][in / groups][out]}, dense {@code [in][out]}). Packed copies are
 * made once here and refilled by {@link #setWeights}; each thread needs its own {@link #workspace()}; no call
 * allocates. An instance holds those copies and the bias gradient's sums, so one layer's calls run one at a
 * time (each call's parts in parallel). Input gradients overwrite their destination, or add to it when {@code accumulate} (a tensor read
 * by two layers); weight and bias gradients always add (zero them once per step).
 *
 * <p>Threads: every method runs part {@code part} of {@code parts} (any count; parts may be empty) and the
 * parts of one call write disjoint values: forward and input gradients split pixels or rows of the batch
 * (images for the scatter paths), weight and bias gradients split the weights' rows or channels, each part
 * summing over the whole batch. Each value is the same chain of operations for any split, so results do not
 * depend on the number of threads, and vector and scalar kernels agree to the bit.
 */
final class ConvTraining {
    /** The kernel path. */
    enum Path { POINTWISE, DEPTHWISE, PATCHES, GROUPED }

    private final ConvSpec spec;
    private final Shape in;
    private final Shape out;
    private final ConvGeometry g;
    private final Path path;
    /** Rows of the weight matrix: {@code kernel · kernel · in / groups}. */
    private final int taps;
    private final float[] packed;
    private final float[] packedTransposed;
    private final float[] zeroBias;
    private final double[] biasSums;
    private float[] weight;

    private ConvTraining(ConvSpec spec, Shape in) {
        this.spec = spec;
        this.in = in;
        this.out = spec.outputShape(in);
        this.g = ConvGeometry.of(spec, in.height(), in.width());
        this.path = BufferLayout.isPlainPointwise(spec, in) ? Path.POINTWISE
                : spec.isDepthwise() ? Path.DEPTHWISE : spec.groups() == 1 ? Path.PATCHES : Path.GROUPED;
        this.taps = spec.kernel() * spec.kernel() * spec.inPerGroup();
        boolean gemm = path == Path.POINTWISE || path == Path.PATCHES;
        this.packed = gemm ? new float[Kernels.packedFloats(taps, spec.outChannels())] : null;
        this.packedTransposed = gemm ? new float[Kernels.packedFloats(spec.outChannels(), taps)] : null;
        this.zeroBias = new float[spec.outChannels()];
        this.biasSums = new double[spec.outChannels()];
    }

    /** The convolution {@code spec} on inputs of shape {@code in}. */
    static ConvTraining of(ConvSpec spec, Shape in) {
        return new ConvTraining(spec, in);
    }

    /** A dense layer as a 1×1 convolution on a 1×1×in input: its images are the batch's rows. */
    static ConvTraining dense(DenseSpec spec) {
        return of(new ConvSpec(spec.name(), spec.inFeatures(), spec.outFeatures(), 1, 1, 1, 1, Padding.valid(),
                Activation.IDENTITY, true, false), new Shape(1, 1, spec.inFeatures()));
    }

    Path path() {
        return path;
    }

    Shape outputShape() {
        return out;
    }

    /** One thread's scratch: the patch matrix of one output row (patch path) and the row offsets of the taps. */
    static final class Workspace {
        final float[] patches;
        final int[] rowOff;

        private Workspace(int patchFloats, int kernel) {
            this.patches = new float[patchFloats];
            this.rowOff = new int[kernel];
        }
    }

    Workspace workspace() {
        return new Workspace(path == Path.PATCHES ? out.width() * taps : 0, spec.kernel());
    }

    /**
     * Takes the current HWIO weights: packs copies for the GEMM paths (forward and transposed), keeps the
     * array itself for the others. Call after every update, before the next forward.
     */
    void setWeights(float[] weight) {
        if (weight.length != spec.weightCount()) {
            throw new IllegalArgumentException(spec.name() + ": " + weight.length + " weights, expected "
                    + spec.weightCount());
        }
        this.weight = weight;
        if (packed != null) {
            Kernels.pack(weight, taps, spec.outChannels(), packed);
            Kernels.packTransposed(weight, taps, spec.outChannels(), packedTransposed);
        }
    }

    /**
     * {@code y = clamp(conv(x) + bias, lo, hi)} for part {@code part} of the batch; {@code bias} may be null.
     * Pass the identity's bounds for a convolution that batch norm follows.
     */
    void forward(Kernels k, float[] x, int xOff, int images, float[] bias, float lo, float hi, float[] y, int yOff,
                 Workspace ws, int part, int parts) {
        float[] b = bias == null ? zeroBias : bias;
        int inC = in.channels();
        int outC = out.channels();
        if (path == Path.POINTWISE) {
            int pixels = images * out.height() * out.width();
            if (splitsColumns(pixels, parts)) {
                k.pointwise(x, xOff, pixels, inC, packed, b, outC, lo, hi, y, yOff, null, 0,
                        stripBoundary(outC, part, parts), stripBoundary(outC, part + 1, parts));
            } else {
                int p0 = Plan.Step.split(pixels, part, parts);
                int p1 = Plan.Step.split(pixels, part + 1, parts);
                k.pointwise(x, xOff + p0 * inC, p1 - p0, inC, packed, b, outC, lo, hi, y, yOff + p0 * outC, null, 0);
            }
            return;
        }
        int rows = images * out.height();
        int outRow = out.width() * outC;
        for (int r = Plan.Step.split(rows, part, parts); r < Plan.Step.split(rows, part + 1, parts); r++) {
            int n = r / out.height();
            int oy = r % out.height();
            int image = xOff + n * imageFloats(in);
            int dst = yOff + n * imageFloats(out);
            switch (path) {
                case DEPTHWISE -> {
                    inputRows(image, oy, ws.rowOff);
                    k.depthwiseRow(x, ws.rowOff, in.width(), inC, g.kernel(), g.stride(), g.dilation(), g.padLeft(),
                            weight, b, lo, hi, y, dst + oy * outRow, out.width(), null, 0);
                }
                case PATCHES -> {
                    k.gatherPatches(x, image, in.height(), in.width(), inC, g, oy, ws.patches);
                    k.pointwise(ws.patches, 0, out.width(), taps, packed, b, outC, lo, hi, y, dst + oy * outRow,
                            null, 0);
                }
                default -> {
                    for (int ox = 0; ox < out.width(); ox++) {
                        ScalarKernels.convPixel(x, image, in.height(), in.width(), inC, g, weight, b, lo, hi, y, dst,
                                oy, ox, 0, outC);
                    }
                }
            }
        }
    }

    /**
     * {@code dx (+)= ∂L/∂x} given {@code dy = ∂L/∂y} (the gradient before the activation: see
     * {@link ScalarKernels#clampGradient}), for part {@code part} of the batch.
     */
    void inputGradient(Kernels k, float[] dy, int dyOff, int images, boolean accumulate, float[] dx, int dxOff,
                       Workspace ws, int part, int parts) {
        int inC = in.channels();
        int outC = out.channels();
        switch (path) {
            case POINTWISE -> {
                int pixels = images * in.height() * in.width();
                if (splitsColumns(pixels, parts)) {
                    k.matmul(dy, dyOff, pixels, outC, packedTransposed, inC, accumulate, dx, dxOff,
                            stripBoundary(inC, part, parts), stripBoundary(inC, part + 1, parts));
                } else {
                    int p0 = Plan.Step.split(pixels, part, parts);
                    int p1 = Plan.Step.split(pixels, part + 1, parts);
                    k.matmul(dy, dyOff + p0 * outC, p1 - p0, outC, packedTransposed, inC, accumulate,
                            dx, dxOff + p0 * inC, 0, inC);
                }
            }
            case DEPTHWISE -> {
                int rows = images * in.height();
                int inRow = in.width() * inC;
                for (int r = Plan.Step.split(rows, part, parts); r < Plan.Step.split(rows, part + 1, parts); r++) {
                    int n = r / in.height();
                    int iy = r % in.height();
                    gradientRows(dyOff + n * imageFloats(out), iy, ws.rowOff);
                    k.depthwiseInputGradientRow(dy, ws.rowOff, out.width(), inC, g.kernel(), g.stride(), g.dilation(),
                            g.padLeft(), weight, accumulate, dx, dxOff + n * imageFloats(in) + iy * inRow, in.width());
                }
            }
            default -> {
                // Scatters: receptive fields of neighbouring rows overlap, so parts are whole images.
                for (int n = Plan.Step.split(images, part, parts); n < Plan.Step.split(images, part + 1, parts); n++) {
                    int image = dxOff + n * imageFloats(in);
                    int gradient = dyOff + n * imageFloats(out);
                    if (!accumulate) {
                        Arrays.fill(dx, image, image + imageFloats(in), 0f);
                    }
                    for (int oy = 0; oy < out.height(); oy++) {
                        if (path == Path.PATCHES) {
                            k.matmul(dy, gradient + oy * out.width() * outC, out.width(), outC, packedTransposed, taps,
                                    false, ws.patches, 0, 0, taps);
                            ScalarKernels.scatterPatches(ws.patches, in.height(), in.width(), inC, g, oy, dx, image);
                        } else {
                            for (int ox = 0; ox < out.width(); ox++) {
                                ScalarKernels.convPixelInputGradient(dy, gradient, in.height(), in.width(), inC, g,
                                        weight, dx, image, oy, ox);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code dw += ∂L/∂w} over the whole batch, for part {@code part} of the weights (HWIO, as long as the
     * weights): rows of the weight matrix for the GEMM paths, channel ranges (multiples of 8) for depthwise,
     * output channels for grouped convolutions.
     */
    void weightGradient(Kernels k, float[] x, int xOff, float[] dy, int dyOff, int images, float[] dw, Workspace ws,
                        int part, int parts) {
        int inC = in.channels();
        int outC = out.channels();
        int outRow = out.width() * outC;
        switch (path) {
            case POINTWISE -> k.addOuterProducts(x, xOff, inC, dy, dyOff, outC, images * in.height() * in.width(), dw,
                    Plan.Step.split(taps, part, parts), Plan.Step.split(taps, part + 1, parts));
            case DEPTHWISE -> {
                int blocks = (inC + 7) / 8;
                int c0 = Math.min(inC, Plan.Step.split(blocks, part, parts) * 8);
                int c1 = Math.min(inC, Plan.Step.split(blocks, part + 1, parts) * 8);
                if (c0 == c1) return;
                for (int n = 0; n < images; n++) {
                    int image = xOff + n * imageFloats(in);
                    int gradient = dyOff + n * imageFloats(out);
                    for (int oy = 0; oy < out.height(); oy++) {
                        inputRows(image, oy, ws.rowOff);
                        k.depthwiseWeightGradientRow(x, ws.rowOff, in.width(), inC, g.kernel(), g.stride(),
                                g.dilation(), g.padLeft(), dy, gradient + oy * outRow, out.width(), dw, c0, c1);
                    }
                }
            }
            case PATCHES -> {
                int t0 = Plan.Step.split(taps, part, parts);
                int t1 = Plan.Step.split(taps, part + 1, parts);
                if (t0 == t1) return;
                for (int n = 0; n < images; n++) {
                    for (int oy = 0; oy < out.height(); oy++) {
                        k.gatherPatches(x, xOff + n * imageFloats(in), in.height(), in.width(), inC, g, oy,
                                ws.patches);
                        k.addOuterProducts(ws.patches, 0, taps, dy, dyOff + n * imageFloats(out) + oy * outRow, outC,
                                out.width(), dw, t0, t1);
                    }
                }
            }
            default -> {
                int o0 = Plan.Step.split(outC, part, parts);
                int o1 = Plan.Step.split(outC, part + 1, parts);
                if (o0 == o1) return;
                for (int n = 0; n < images; n++) {
                    for (int oy = 0; oy < out.height(); oy++) {
                        for (int ox = 0; ox < out.width(); ox++) {
                            ScalarKernels.convPixelWeightGradient(x, xOff + n * imageFloats(in), in.height(), in.width(),
                                    inC, g, dy, dyOff + n * imageFloats(out), dw, oy, ox, o0, o1);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code db[o] += sum of dy[..][o]} over the batch, summed in double in pixel order, for part {@code part}
     * of the output channels.
     */
    void biasGradient(float[] dy, int dyOff, int images, float[] db, int part, int parts) {
        int outC = out.channels();
        int o0 = Plan.Step.split(outC, part, parts);
        int o1 = Plan.Step.split(outC, part + 1, parts);
        Arrays.fill(biasSums, o0, o1, 0);
        int pixels = images * out.height() * out.width();
        for (int p = 0; p < pixels; p++) {
            int row = dyOff + p * outC;
            for (int o = o0; o < o1; o++) {
                biasSums[o] += dy[row + o];
            }
        }
        for (int o = o0; o < o1; o++) {
            db[o] += (float) biasSums[o];
        }
    }

    /** Offsets of the input rows the taps of output row {@code oy} read, -1 in the padding. */
    private void inputRows(int image, int oy, int[] rowOff) {
        int rowFloats = in.width() * in.channels();
        for (int ky = 0; ky < g.kernel(); ky++) {
            int iy = g.firstInputRow(oy) + ky * g.dilation();
            rowOff[ky] = iy < 0 || iy >= in.height() ? -1 : image + iy * rowFloats;
        }
    }

    /** Offsets of the gradient rows whose tap ky reads input row {@code iy}, -1 where none does. */
    private void gradientRows(int gradient, int iy, int[] rowOff) {
        int rowFloats = out.width() * out.channels();
        for (int ky = 0; ky < g.kernel(); ky++) {
            int at = iy + g.padTop() - ky * g.dilation();
            boolean reads = at >= 0 && at % g.stride() == 0 && at / g.stride() < out.height();
            rowOff[ky] = reads ? gradient + at / g.stride() * rowFloats : -1;
        }
    }

    /** Whether a GEMM over {@code pixels} rows splits its columns instead (few rows: a dense layer's batch). */
    private static boolean splitsColumns(int pixels, int parts) {
        return parts > 1 && pixels < Kernels.BLOCK_PIXELS * parts;
    }

    /**
     * Start of part {@code part}'s columns when {@code columns} are split in whole strips, as {@link Plan}'s
     * pointwise step splits them; part {@code parts} starts at {@code columns}.
     */
    private static int stripBoundary(int columns, int part, int parts) {
        return part == parts ? columns : Plan.Step.split(columns / Kernels.STRIP, part, parts) * Kernels.STRIP;
    }

    private static int imageFloats(Shape s) {
        return (int) s.elements();
    }
}
