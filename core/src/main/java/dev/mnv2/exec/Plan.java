package dev.mnv2.exec;

import dev.mnv2.model.BlockSpec;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Execution plan for one image: batch norms folded, every layer bound to a kernel and to buffers whose
 * sizes are fixed, from shapes alone, when the plan is made, so running allocates nothing. Shared buffers (per running image):
 * the caller's input, two ping-pong buffers for the tensors between layers, and in
 * {@link ExecutionMode#LAYER_BY_LAYER} one for a block's expanded and one for its depthwise output.
 * Per-thread scratch: the expanded rows a tile needs and the tile's depthwise output (memory-efficient mode),
 * and one output row's patch matrix for the stem convolution.
 *
 * <p>Each step can be split into parts (row bands or pixel ranges) that threads run independently.
 */
public final class Plan {
    static final int INPUT = 0;
    static final int PING = 1;
    static final int PONG = 2;
    static final int EXPANDED = 3;
    static final int DEPTHWISE = 4;
    static final int SHARED_BUFFERS = 5;
    static final int RING = 0;
    static final int TILE = 1;
    static final int PATCH = 2;
    static final int SCRATCH_BUFFERS = 3;
    /** Longest Java array; a buffer beyond it cannot be allocated. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Network network;
    private final ExecutionMode mode;
    private final BufferLayout layout;
    private final List<Step> steps = new ArrayList<>();
    final int[] sharedFloats;
    final int[] scratchFloats;
    private final int outputFloats;

    private Plan(Network network, ExecutionMode mode) {
        this.mode = mode;
        // Buffers are sized, and checked to fit, before the weights are copied for folding.
        this.layout = new BufferLayout(network.spec(), mode);
        this.sharedFloats = arrayLengths(layout.sharedFloats);
        this.scratchFloats = arrayLengths(layout.scratchFloats);
        this.network = network.foldBatchNorm();
        List<Layer> layers = this.network.layers();
        for (BufferLayout.Binding binding : layout.bindings) {
            Layer layer = layers.get(binding.layer());
            Shape shape = binding.in();
            int src = binding.src();
            int dst = binding.dst();
            if (layer instanceof Conv2d conv) {
                add(conv.name(), conv.macs(shape), convStep(conv, shape, src, dst, -1));
            } else if (layer instanceof InvertedResidual block) {
                planBlock(block, shape, src, dst);
            } else if (layer instanceof GlobalAveragePool) {
                add(layer.name(), 0, new PoolStep(shape, src, dst));
            } else if (layer instanceof Dense dense) {
                add(dense.name(), dense.macs(shape), new PointwiseStep(dense.weight(), dense.bias(), Float.NEGATIVE_INFINITY,
                        Float.POSITIVE_INFINITY, 1, dense.inFeatures(), dense.outFeatures(), src, dst, -1));
            }
        }
        outputFloats = Math.toIntExact(this.network.outputShape().elements());
    }

    /** Plans {@code network} for memory-efficient execution (batch norms are folded into copies). */
    public static Plan of(Network network) {
        return of(network, ExecutionMode.MEMORY_EFFICIENT);
    }

    public static Plan of(Network network, ExecutionMode mode) {
        return new Plan(network, mode);
    }

    /**
     * Activation bytes that a plan of a network of {@code spec} allocates for one image whose steps are split
     * over {@code threads} threads, computed from shapes alone: no weight is allocated or packed, and the
     * answer exists even for a network too large to run.
     */
    public static long activationBytes(NetworkSpec spec, ExecutionMode mode, int threads) {
        return new BufferLayout(spec, mode).activationBytes(threads);
    }

    /** The batch-norm-folded network this plan runs. */
    public Network network() {
        return network;
    }

    public ExecutionMode mode() {
        return mode;
    }

    /** Planned activation bytes of one image run on one thread, the input included. */
    public long activationBytes() {
        return activationBytes(1);
    }

    /**
     * Planned activation bytes of one image whose steps are split over {@code threads} threads: the input,
     * the shared buffers, and each thread's scratch.
     */
    public long activationBytes(int threads) {
        return layout.activationBytes(threads);
    }

    private static int[] arrayLengths(long[] floats) {
        int[] lengths = new int[floats.length];
        for (int i = 0; i < floats.length; i++) {
            if (floats[i] > MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException("an activation buffer of " + floats[i]
                        + " floats is larger than a Java array can be; use a smaller resolution or width");
            }
            lengths[i] = (int) floats[i];
        }
        return lengths;
    }

    private void planBlock(InvertedResidual block, Shape in, int src, int dst) {
        Shape hidden = block.expandedShape(in);
        Conv2d dw = block.depthwise();
        Shape dwOut = dw.outputShape(hidden);
        if (mode == ExecutionMode.MEMORY_EFFICIENT) {
            add(block.name(), block.macs(in), new BlockStep(block, in, hidden, dwOut, src, dst));
            return;
        }
        int expanded = src;
        if (block.expand() != null) {
            expanded = EXPANDED;
            add(block.expand().name(), block.expand().macs(in), convStep(block.expand(), in, src, EXPANDED, -1));
        }
        add(dw.name(), dw.macs(hidden),
                new DepthwiseStep(dw, hidden, expanded, DEPTHWISE, block.hasExpansionResidual() ? expanded : -1));
        add(block.project().name(), block.project().macs(dwOut),
                convStep(block.project(), dwOut, DEPTHWISE, dst, block.hasBottleneckResidual() ? src : -1));
    }

    private void add(String name, long macs, Step step) {
        step.name = name;
        step.macs = macs;
        steps.add(step);
    }

    private Step convStep(Conv2d conv, Shape in, int src, int dst, int residual) {
        if (BufferLayout.isPlainPointwise(conv.spec(), in)) {
            return new PointwiseStep(conv.weight(), biasOf(conv), conv.activation().min(), conv.activation().max(),
                    Math.toIntExact((long) in.height() * in.width()), conv.inChannels(), conv.outChannels(),
                    src, dst, residual);
        }
        if (residual >= 0) {
            throw new IllegalArgumentException(conv.name() + ": residual only supported on 1x1 convolutions");
        }
        if (conv.isDepthwise()) {
            return new DepthwiseStep(conv, in, src, dst, -1);
        }
        return new ConvStep(conv, in, src, dst);
    }

    private static float[] biasOf(Conv2d conv) {
        return conv.bias() != null ? conv.bias() : new float[conv.outChannels()];
    }

    List<Step> steps() {
        return steps;
    }

    int outputBuffer() {
        return layout.outputBuffer;
    }

    /** Values of one image's output (the logits of a classifier). */
    int outputFloats() {
        return outputFloats;
    }

    /** Buffers of one running image, and the high-water mark of what the kernels wrote into them. */
    final class Frame {
        final float[][] buffers = new float[SHARED_BUFFERS][];
        final int[] offsets = new int[SHARED_BUFFERS];
        final Scratch[] scratch;

        Frame(int threads) {
            for (int b = PING; b < SHARED_BUFFERS; b++) {
                buffers[b] = new float[sharedFloats[b]];
            }
            scratch = new Scratch[threads];
            for (int t = 0; t < threads; t++) {
                scratch[t] = new Scratch();
            }
        }

        void bindInput(float[] input, int offset) {
            buffers[INPUT] = input;
            offsets[INPUT] = offset;
        }

        float[] output() {
            return buffers[layout.outputBuffer];
        }

        /**
         * Bytes the executor actually used: the input image it read, plus for every buffer it owns the extent
         * its kernels wrote (the largest over threads for shared buffers, the sum for per-thread scratch).
         */
        long measuredBytes() {
            long floats = sharedFloats[INPUT];
            for (int b = PING; b < SHARED_BUFFERS; b++) {
                int extent = 0;
                for (Scratch s : scratch) {
                    extent = Math.max(extent, s.sharedWritten[b]);
                }
                floats += extent;
            }
            for (Scratch s : scratch) {
                for (int n : s.scratchWritten) {
                    floats += n;
                }
            }
            return floats * Float.BYTES;
        }
    }

    /** One thread's scratch buffers within a frame. */
    final class Scratch {
        final float[][] buffers = new float[SCRATCH_BUFFERS][];
        final int[] rowOff = new int[layout.maxKernel];
        final int[] sharedWritten = new int[SHARED_BUFFERS];
        final int[] scratchWritten = new int[SCRATCH_BUFFERS];

        Scratch() {
            for (int b = 0; b < SCRATCH_BUFFERS; b++) {
                buffers[b] = new float[scratchFloats[b]];
            }
        }

        void wroteShared(int buffer, int end) {
            if (end > sharedWritten[buffer]) sharedWritten[buffer] = end;
        }

        void wroteScratch(int buffer, int end) {
            if (end > scratchWritten[buffer]) scratchWritten[buffer] = end;
        }
    }

    /** One layer (or fused block) bound to its buffers; part {@code part} of {@code parts} is independent. */
    abstract static class Step {
        /** The layer (or block) this step runs, and its multiply-accumulates, for profiles. */
        String name;
        long macs;

        /** How many parts this step splits into for {@code threads} threads. */
        abstract int parts(int threads);

        abstract void run(Kernels k, Frame f, Scratch s, int part, int parts);

        /** Start of part {@code part} when {@code n} items are split evenly into {@code parts}. */
        static int split(int n, int part, int parts) {
            return (int) ((long) n * part / parts);
        }
    }

    /** A convolution over a whole tensor from buffer {@code src} to {@code dst}, split by output rows. */
    abstract static class RowsStep extends Step {
        final Conv2d conv;
        final Shape in;
        final ConvGeometry g;
        final float[] bias;
        final int src;
        final int dst;

        RowsStep(Conv2d conv, Shape in, int src, int dst) {
            this.conv = conv;
            this.in = in;
            this.g = ConvGeometry.of(conv.spec(), in.height(), in.width());
            this.bias = biasOf(conv);
            this.src = src;
            this.dst = dst;
        }

        @Override
        int parts(int threads) {
            return Math.min(threads, g.outH());
        }
    }

    /**
     * Any other convolution (the stem): parallel over output rows. Ungrouped ones gather each output row's
     * receptive fields into a patch matrix {@code [outW][k·k·inC]} (zeros in the padding) and multiply it by
     * the HWIO weights, which are that matrix's {@code [k·k·inC][outC]} partner, with the 1×1 kernel.
     */
    static final class ConvStep extends RowsStep {
        final int patchFloats;
        private final float[] packed;

        ConvStep(Conv2d conv, Shape in, int src, int dst) {
            super(conv, in, src, dst);
            this.packed = conv.groups() == 1
                    ? Kernels.pack(conv.weight(), conv.kernel() * conv.kernel() * in.channels(), conv.outChannels())
                    : null;
            this.patchFloats = (int) BufferLayout.patchFloats(conv.spec(), in);
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            int oy0 = split(g.outH(), part, parts);
            int oy1 = split(g.outH(), part + 1, parts);
            float[] input = f.buffers[src];
            int inOff = f.offsets[src];
            float[] out = f.buffers[dst];
            int outRow = g.outW() * g.outC();
            float lo = conv.activation().min();
            float hi = conv.activation().max();
            for (int oy = oy0; oy < oy1; oy++) {
                if (patchFloats == 0) {
                    for (int ox = 0; ox < g.outW(); ox++) {
                        ScalarKernels.convPixel(input, inOff, in.height(), in.width(), in.channels(), g, conv.weight(),
                                bias, lo, hi, out, f.offsets[dst], oy, ox, 0, g.outC());
                    }
                } else {
                    gatherPatches(input, inOff, oy, s.buffers[PATCH]);
                    s.wroteScratch(PATCH, patchFloats);
                    int taps = g.kernel() * g.kernel() * in.channels();
                    k.pointwise(s.buffers[PATCH], 0, g.outW(), taps, packed, bias, g.outC(), lo, hi,
                            out, f.offsets[dst] + oy * outRow, null, 0);
                }
            }
            s.wroteShared(dst, oy1 * outRow);
        }

        private void gatherPatches(float[] input, int inOff, int oy, float[] patches) {
            int inC = in.channels();
            int kernel = g.kernel();
            int rowTaps = kernel * inC;
            int p = 0;
            for (int ox = 0; ox < g.outW(); ox++) {
                int x0 = ox * g.stride() - g.padLeft();
                boolean inside = x0 >= 0 && x0 + (kernel - 1) * g.dilation() < in.width();
                for (int ky = 0; ky < kernel; ky++, p += rowTaps) {
                    int iy = g.firstInputRow(oy) + ky * g.dilation();
                    if (iy < 0 || iy >= in.height()) {
                        Arrays.fill(patches, p, p + rowTaps, 0f);
                    } else if (inside && g.dilation() == 1) {
                        // The kernel row's pixels are adjacent in NHWC: one copy.
                        System.arraycopy(input, inOff + (iy * in.width() + x0) * inC, patches, p, rowTaps);
                    } else {
                        for (int kx = 0; kx < kernel; kx++) {
                            int ix = x0 + kx * g.dilation();
                            int at = p + kx * inC;
                            if (ix < 0 || ix >= in.width()) {
                                Arrays.fill(patches, at, at + inC, 0f);
                            } else {
                                System.arraycopy(input, inOff + (iy * in.width() + ix) * inC, patches, at, inC);
                            }
                        }
                    }
                }
            }
        }
    }

    /** A 1×1 convolution or fully connected layer over all pixels: parallel over pixel ranges. */
    static final class PointwiseStep extends Step {
        private final float[] weight;
        private final float[] bias;
        private final float lo;
        private final float hi;
        private final int pixels;
        private final int inC;
        private final int outC;
        private final int src;
        private final int dst;
        private final int residual;

        PointwiseStep(float[] weight, float[] bias, float lo, float hi, int pixels, int inC, int outC,
                      int src, int dst, int residual) {
            this.weight = Kernels.pack(weight, inC, outC);
            this.bias = bias;
            this.lo = lo;
            this.hi = hi;
            this.pixels = pixels;
            this.inC = inC;
            this.outC = outC;
            this.src = src;
            this.dst = dst;
            this.residual = residual;
        }

        @Override
        int parts(int threads) {
            if (pixels < Kernels.BLOCK_PIXELS * threads) {
                // Few pixels (the classifier): split the output channels, in whole strips, instead.
                return Math.max(1, Math.min(threads, outC / Kernels.STRIP));
            }
            return Math.min(threads, pixels / Kernels.BLOCK_PIXELS);
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            float[] res = residual < 0 ? null : f.buffers[residual];
            int resOff = residual < 0 ? 0 : f.offsets[residual];
            if (pixels < Kernels.BLOCK_PIXELS * parts || parts == 1) {
                int strips = outC / Kernels.STRIP;
                int o0 = split(strips, part, parts) * Kernels.STRIP;
                int o1 = part + 1 == parts ? outC : split(strips, part + 1, parts) * Kernels.STRIP;
                k.pointwise(f.buffers[src], f.offsets[src], pixels, inC, weight, bias, outC, lo, hi,
                        f.buffers[dst], f.offsets[dst], res, resOff, o0, o1);
                s.wroteShared(dst, (pixels - 1) * outC + o1);
                return;
            }
            // Ranges start on whole register blocks.
            int blocks = pixels / Kernels.BLOCK_PIXELS;
            int p0 = split(blocks, part, parts) * Kernels.BLOCK_PIXELS;
            int p1 = part + 1 == parts ? pixels : split(blocks, part + 1, parts) * Kernels.BLOCK_PIXELS;
            k.pointwise(f.buffers[src], f.offsets[src] + p0 * inC, p1 - p0, inC, weight, bias, outC, lo, hi,
                    f.buffers[dst], f.offsets[dst] + p0 * outC, res, resOff + p0 * outC);
            s.wroteShared(dst, p1 * outC);
        }
    }

    /** A depthwise convolution over the whole tensor (layer-by-layer mode): parallel over output rows. */
    static final class DepthwiseStep extends RowsStep {
        private final int residual;

        DepthwiseStep(Conv2d conv, Shape in, int src, int dst, int residual) {
            super(conv, in, src, dst);
            this.residual = residual;
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            int oy0 = split(g.outH(), part, parts);
            int oy1 = split(g.outH(), part + 1, parts);
            int c = in.channels();
            int rowFloats = in.width() * c;
            int outRow = g.outW() * c;
            float[] input = f.buffers[src];
            for (int oy = oy0; oy < oy1; oy++) {
                for (int ky = 0; ky < g.kernel(); ky++) {
                    int iy = g.firstInputRow(oy) + ky * g.dilation();
                    s.rowOff[ky] = iy < 0 || iy >= in.height() ? -1 : f.offsets[src] + iy * rowFloats;
                }
                float[] res = residual < 0 ? null : f.buffers[residual];
                int resOff = residual < 0 ? 0 : f.offsets[residual] + oy * outRow;
                k.depthwiseRow(input, s.rowOff, in.width(), c, g.kernel(), g.stride(), g.dilation(), g.padLeft(),
                        conv.weight(), bias, conv.activation().min(), conv.activation().max(),
                        f.buffers[dst], f.offsets[dst] + oy * outRow, g.outW(), res, resOff);
            }
            s.wroteShared(dst, oy1 * outRow);
        }
    }

    /**
     * An inverted residual block in row tiles (§5.1): a thread walks its band of output rows a tile at a
     * time, expanding only the input rows the tile's depthwise reads into its ring of rows (rows shared with
     * the previous tile are kept, not recomputed), then the depthwise into a tile buffer, then the projection
     * straight into the block's output. Only a band's first tile recomputes the overlap rows.
     */
    static final class BlockStep extends Step {
        private final InvertedResidual block;
        private final Shape in;
        private final Shape hidden;
        private final Shape out;
        private final ConvGeometry g;
        private final float[] expandBias;
        private final float[] depthwiseBias;
        private final float[] projectBias;
        private final float[] expandWeight;
        private final float[] projectWeight;
        private final int src;
        private final int dst;
        private final boolean expansionResidual;
        private final boolean bottleneckResidual;
        final int chunkRows;
        final int ringRows;
        final int rowFloats;

        BlockStep(InvertedResidual block, Shape in, Shape hidden, Shape dwOut, int src, int dst) {
            this.block = block;
            this.in = in;
            this.hidden = hidden;
            this.out = block.project().outputShape(dwOut);
            this.g = ConvGeometry.of(block.depthwise().spec(), hidden.height(), hidden.width());
            this.expandBias = block.expand() == null ? null : biasOf(block.expand());
            this.expandWeight = block.expand() == null ? null
                    : Kernels.pack(block.expand().weight(), in.channels(), hidden.channels());
            this.projectWeight = Kernels.pack(block.project().weight(), hidden.channels(), block.outChannels());
            this.depthwiseBias = biasOf(block.depthwise());
            this.projectBias = biasOf(block.project());
            this.src = src;
            this.dst = dst;
            BlockSpec spec = block.spec();
            this.expansionResidual = spec.hasExpansionResidual();
            this.bottleneckResidual = spec.hasBottleneckResidual();
            BufferLayout.Tiling tiling = BufferLayout.Tiling.of(spec, g, hidden.height());
            this.chunkRows = tiling.tileRows();
            this.ringRows = tiling.ringRows();
            this.rowFloats = hidden.width() * hidden.channels();
        }

        @Override
        int parts(int threads) {
            return Math.min(threads, g.outH());
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            Conv2d expand = block.expand();
            Conv2d dw = block.depthwise();
            Conv2d project = block.project();
            int oy0 = split(g.outH(), part, parts);
            int oy1 = split(g.outH(), part + 1, parts);
            int inH = hidden.height();
            int hidC = hidden.channels();
            int outRow = g.outW() * hidC;
            float[] input = f.buffers[src];
            int inOff = f.offsets[src];
            float[] ring = s.buffers[RING];
            float[] tile = s.buffers[TILE];
            int first = 0;
            int count = 0;
            for (int c0 = oy0; c0 < oy1; c0 += chunkRows) {
                int c1 = Math.min(oy1, c0 + chunkRows);
                float[] rows;
                int rowBase;
                if (expand == null) {
                    rows = input;
                    rowBase = inOff;
                } else {
                    int lo = Math.max(0, g.firstInputRow(c0));
                    int hi = Math.min(inH, g.lastInputRow(c1 - 1) + 1);
                    if (lo < first + count) {
                        // Keep the rows this tile shares with the previous one.
                        System.arraycopy(ring, (lo - first) * rowFloats, ring, 0, (first + count - lo) * rowFloats);
                        count = first + count - lo;
                    } else {
                        count = 0;
                    }
                    first = lo;
                    int from = first + count;
                    if (from < hi) {
                        k.pointwise(input, inOff + from * in.width() * in.channels(), (hi - from) * in.width(),
                                in.channels(), expandWeight, expandBias, hidC, expand.activation().min(),
                                expand.activation().max(), ring, count * rowFloats, null, 0);
                        count = hi - first;
                        s.wroteScratch(RING, count * rowFloats);
                    }
                    rows = ring;
                    rowBase = -first * rowFloats;
                }
                for (int oy = c0; oy < c1; oy++) {
                    for (int ky = 0; ky < g.kernel(); ky++) {
                        int iy = g.firstInputRow(oy) + ky * g.dilation();
                        s.rowOff[ky] = iy < 0 || iy >= inH ? -1 : rowBase + iy * rowFloats;
                    }
                    // The expansion shortcut adds the depthwise's input row oy (stride 1, same shape).
                    float[] res = expansionResidual ? rows : null;
                    k.depthwiseRow(rows, s.rowOff, hidden.width(), hidC, g.kernel(), g.stride(), g.dilation(),
                            g.padLeft(), dw.weight(), depthwiseBias, dw.activation().min(), dw.activation().max(),
                            tile, (oy - c0) * outRow, g.outW(), res, rowBase + oy * rowFloats);
                }
                s.wroteScratch(TILE, (c1 - c0) * outRow);
                int outC = out.channels();
                int pixelOff = c0 * g.outW();
                k.pointwise(tile, 0, (c1 - c0) * g.outW(), hidC, projectWeight, projectBias, outC,
                        project.activation().min(), project.activation().max(),
                        f.buffers[dst], f.offsets[dst] + pixelOff * outC,
                        bottleneckResidual ? input : null, inOff + pixelOff * outC);
                s.wroteShared(dst, c1 * g.outW() * outC);
            }
        }
    }

    /** Global average pooling, one part. */
    static final class PoolStep extends Step {
        private final Shape in;
        private final int src;
        private final int dst;

        PoolStep(Shape in, int src, int dst) {
            this.in = in;
            this.src = src;
            this.dst = dst;
        }

        @Override
        int parts(int threads) {
            return 1;
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            k.globalAveragePool(f.buffers[src], f.offsets[src], in.height() * in.width(), in.channels(),
                    f.buffers[dst], f.offsets[dst]);
            s.wroteShared(dst, in.channels());
        }
    }
}
