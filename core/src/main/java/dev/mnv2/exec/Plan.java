package dev.mnv2.exec;

import dev.mnv2.model.ArgMax;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Execution plan for one image of a network graph, made in two phases as XNNPACK's operators: a
 * {@link BufferLayout} plans steps and buffers from shapes alone (what {@link #activationBytes(NetworkSpec,
 * ExecutionMode, int)} and cost analysis read), then every step is bound to its layer, its kernel chosen by
 * the operator and its shapes (a 1×1 conv over whole pixels is a GEMM, the stem a direct convolution over
 * register blocks of pixels, a depthwise conv the vectorised row kernel, an average pool covering its whole input the global
 * pooling kernel), and packs its weights (batch norms folded into copies), so running allocates nothing.
 * By default an inverted residual block is one fused step run in row tiles (§5.1, {@link ExecutionMode}); a
 * block whose expanded tensor is asked for as an output runs layer by layer so that the tensor exists, and so
 * does a late block with small maps ({@link ExecutionMode#MEMORY_EFFICIENT}).
 * Buffers are assigned by liveness (see {@link BufferLayout}); buffer 0 is the caller's input image.
 * Per-thread scratch: the expanded rows a tile needs and the tile's depthwise output (memory-efficient mode).
 *
 * <p>Each step can be split into parts (row bands or pixel ranges) that threads run independently.
 */
public final class Plan {
    static final int INPUT = 0;
    static final int RING = 0;
    static final int TILE = 1;
    static final int SCRATCH_BUFFERS = 2;

    /** Longest Java array; a buffer beyond it cannot be allocated. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Network network;
    private final ExecutionMode mode;
    private final BufferLayout layout;
    private final List<Step> steps = new ArrayList<>();
    /** Floats of every shared buffer of a running image; entry {@link #INPUT} is the input image. */
    final int[] sharedFloats;
    final int[] scratchFloats;
    private final List<String> outputs;
    private final int[] outputBuffers;
    private final Shape[] outputShapes;
    /**
     * The classifier when it is the last step and the only output, else null: a batch then runs it once over
     * every image's pooled features, a product with one row per image that reads its weights once (5 MB at
     * 1000 classes, more than the L2) instead of once per image.
     */
    private final PointwiseStep batchedHead;

    private Plan(Network network, ExecutionMode mode, List<String> outputs) {
        this.network = network;
        this.mode = mode;
        this.outputs = List.copyOf(outputs);
        // Buffers are sized, and checked to fit, before any weight is copied for folding and packing.
        this.layout = new BufferLayout(network.spec(), mode, this.outputs);
        this.sharedFloats = arrayLengths(layout.sharedFloats);
        this.scratchFloats = arrayLengths(layout.scratchFloats);
        int[] b = layout.bufferOf;
        for (BufferLayout.Step planned : layout.steps) {
            Step step = bind(planned, network.nodes().get(planned.node()).layer(), b, layout);
            step.name = planned.name();
            step.macs = planned.macs();
            step.pack();
            steps.add(step);
        }
        outputBuffers = new int[this.outputs.size()];
        outputShapes = new Shape[this.outputs.size()];
        for (int i = 0; i < outputBuffers.length; i++) {
            outputBuffers[i] = b[layout.outputTensors[i]];
            outputShapes[i] = network.shape(this.outputs.get(i));
        }
        Step last = steps.isEmpty() ? null : steps.get(steps.size() - 1);
        batchedHead = last instanceof PointwiseStep head && head.layer instanceof Dense && head.pixels == 1
                && outputBuffers.length == 1 && outputBuffers[0] == head.dst && head.src != INPUT ? head : null;
    }

    /** Plans {@code network} for memory-efficient execution of its outputs. */
    public static Plan of(Network network) {
        return of(network, ExecutionMode.MEMORY_EFFICIENT);
    }

    public static Plan of(Network network, ExecutionMode mode) {
        return of(network, mode, network.outputs());
    }

    /** A plan that computes the tensors {@code outputs} of {@code network} (any of its tensors). */
    public static Plan of(Network network, ExecutionMode mode, List<String> outputs) {
        return new Plan(network, mode, outputs);
    }

    /**
     * Activation bytes that a plan of a network of {@code spec} allocates for one image whose steps are split
     * over {@code threads} threads, computed from shapes alone: no weight is allocated or packed, and the
     * answer exists even for a network too large to run.
     */
    public static long activationBytes(NetworkSpec spec, ExecutionMode mode, int threads) {
        return new BufferLayout(spec, mode, spec.outputs()).activationBytes(threads);
    }

    /** The network this plan runs (batch norms are folded only into the steps' packed copies). */
    public Network network() {
        return network;
    }

    public ExecutionMode mode() {
        return mode;
    }

    /** The tensors a run produces, in order. */
    public List<String> outputs() {
        return outputs;
    }

    Shape outputShape(int index) {
        return outputShapes[index];
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

    /** The step of {@code planned}, its kernel chosen by the layer's kind and shapes, bound to buffers {@code b}. */
    private static Step bind(BufferLayout.Step planned, Layer layer, int[] b, BufferLayout layout) {
        Shape in = planned.in();
        int src = b[planned.reads()[0]];
        int dst = b[planned.writes()];
        if (layer instanceof InvertedResidual block) {
            return switch (planned.part()) {
                case WHOLE -> new BlockStep(block, in, block.expandedShape(in),
                        block.depthwise().outputShape(block.expandedShape(in)), src, dst);
                case EXPAND -> convStep(block.expand(), in, src, dst, -1);
                case DEPTHWISE -> new DepthwiseStep(block.depthwise(), in, src, dst,
                        block.hasExpansionResidual() ? src : -1);
                case PROJECT -> convStep(block.project(), in, src, dst,
                        planned.reads().length > 1 ? b[planned.reads()[1]] : -1);
            };
        }
        Shape out = layer.outputShape(in);
        if (layer instanceof Conv2d conv) {
            return convStep(conv, in, src, dst, -1);
        } else if (layer instanceof Dense dense) {
            return new PointwiseStep(dense, 1, src, dst, -1);
        } else if (layer instanceof GlobalAveragePool) {
            return new PoolStep(in, src, dst);
        } else if (layer instanceof AveragePool pool) {
            boolean whole = out.height() == 1 && out.width() == 1 && pool.kernelHeight() == in.height()
                    && pool.kernelWidth() == in.width() && pool.rows(in.height()).before() == 0
                    && pool.columns(in.width()).before() == 0;
            return whole ? new PoolStep(in, src, dst) : new AveragePoolStep(pool, in, out, src, dst);
        } else if (layer instanceof Concat) {
            int[] srcs = Arrays.stream(planned.reads()).map(t -> b[t]).toArray();
            int[] channels = Arrays.stream(planned.reads()).map(t -> layout.shape(t).channels()).toArray();
            return new ConcatStep(srcs, channels, in.height() * in.width(), dst);
        } else if (layer instanceof ResizeBilinear resize) {
            return new ResizeStep(resize, in, out, src, dst);
        } else if (layer instanceof ArgMax) {
            return new ArgMaxStep(in, src, dst);
        }
        throw new IllegalArgumentException("no kernel for layer " + layer.name());
    }

    private static Step convStep(Conv2d conv, Shape in, int src, int dst, int residual) {
        if (BufferLayout.isPlainPointwise(conv.spec(), in)) {
            return new PointwiseStep(conv, Math.toIntExact((long) in.height() * in.width()), src, dst, residual);
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

    /** See {@link #batchedHead}. */
    PointwiseStep batchedHead() {
        return batchedHead;
    }

    int outputCount() {
        return outputBuffers.length;
    }

    /** Values of one image's output {@code index}. */
    int outputFloats(int index) {
        return Math.toIntExact(outputShapes[index].elements());
    }

    /**
     * A NaN whose payload arithmetic never produces (only copying such a value from the input could): marks
     * the activation memory no kernel has written yet.
     */
    static final int UNWRITTEN = 0x7FC5A5A5;

    /** Buffers of one running image, and the extent of each that kernels have written so far. */
    final class Frame {
        final float[][] buffers = new float[sharedFloats.length][];
        final int[] offsets = new int[sharedFloats.length];
        final Scratch[] scratch;
        private final int[] written = new int[sharedFloats.length];
        /** The {@link #batchedHead}'s input rows of a batch, grown to the largest batch seen. */
        private float[] headRows = new float[0];

        Frame(int threads) {
            for (int b = INPUT + 1; b < buffers.length; b++) {
                buffers[b] = unwritten(sharedFloats[b]);
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

        /** Room for the {@link #batchedHead}'s input of {@code batch} images, one row each. */
        float[] headRows(int batch) {
            int floats = batch * batchedHead.inC;
            if (headRows.length < floats) {
                headRows = new float[floats];
            }
            return headRows;
        }

        /** Copies the {@link #batchedHead}'s input, which the steps before it have just written, to row {@code n} of {@code rows}. */
        void keepHeadInput(int n, float[] rows) {
            int inC = batchedHead.inC;
            System.arraycopy(buffers[batchedHead.src], offsets[batchedHead.src], rows, n * inC, inC);
        }

        /** Output {@code index} of the plan's outputs, at offset {@link #outputOffset}. */
        float[] output(int index) {
            return buffers[outputBuffers[index]];
        }

        int outputOffset(int index) {
            return offsets[outputBuffers[index]];
        }

        /**
         * Bytes the executor has used, observed: the input image it read, plus for every buffer it owns (per
         * thread scratch included) the end of the last value that no longer holds the {@link #UNWRITTEN}
         * mark. Every buffer starts filled with the mark; each call scans only the still-unwritten tails.
         */
        long measuredBytes() {
            long floats = sharedFloats[INPUT];
            for (int b = INPUT + 1; b < buffers.length; b++) {
                written[b] = writtenExtent(buffers[b], written[b]);
                floats += written[b];
            }
            for (Scratch s : scratch) {
                for (int b = 0; b < SCRATCH_BUFFERS; b++) {
                    s.written[b] = writtenExtent(s.buffers[b], s.written[b]);
                    floats += s.written[b];
                }
            }
            return floats * Float.BYTES;
        }
    }

    static float[] unwritten(int floats) {
        float[] buffer = new float[floats];
        Arrays.fill(buffer, Float.intBitsToFloat(UNWRITTEN));
        return buffer;
    }

    /** One past the last value of {@code buffer} that is not the mark, given that {@code known} are written. */
    static int writtenExtent(float[] buffer, int known) {
        for (int i = buffer.length; i > known; i--) {
            if (Float.floatToRawIntBits(buffer[i - 1]) != UNWRITTEN) {
                return i;
            }
        }
        return known;
    }

    /** One thread's scratch buffers within a frame. */
    final class Scratch {
        final float[][] buffers = new float[SCRATCH_BUFFERS][];
        final int[] rowOff = new int[layout.maxKernel];
        private final int[] written = new int[SCRATCH_BUFFERS];

        Scratch() {
            for (int b = 0; b < SCRATCH_BUFFERS; b++) {
                buffers[b] = unwritten(scratchFloats[b]);
            }
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

        /** Folds batch norm into copies of the step's weights and packs them for its kernel. */
        void pack() {}

        /** Start of part {@code part} when {@code n} items are split evenly into {@code parts}. */
        static int split(int n, int part, int parts) {
            return (int) ((long) n * part / parts);
        }
    }

    /** A convolution over a whole tensor from buffer {@code src} to {@code dst}, split by output rows. */
    abstract static class RowsStep extends Step {
        /** The convolution; after {@link #pack()} its batch-norm-folded copy. */
        Conv2d conv;
        final Shape in;
        final ConvGeometry g;
        float[] bias;
        final int src;
        final int dst;

        RowsStep(Conv2d conv, Shape in, int src, int dst) {
            this.conv = conv;
            this.in = in;
            this.g = ConvGeometry.of(conv.spec(), in.height(), in.width());
            this.src = src;
            this.dst = dst;
        }

        @Override
        void pack() {
            conv = conv.foldBatchNorm();
            bias = biasOf(conv);
        }

        @Override
        int parts(int threads) {
            return Math.min(threads, g.outH());
        }
    }

    /**
     * Any other convolution (the stem): parallel over output rows. Ungrouped ones run the direct convolution
     * kernel with their HWIO weights packed as a {@code [k·k·inC][outC]} matrix; grouped ones (rare) the
     * scalar per-pixel one.
     */
    static final class ConvStep extends RowsStep {
        private float[] packed;

        ConvStep(Conv2d conv, Shape in, int src, int dst) {
            super(conv, in, src, dst);
        }

        @Override
        void pack() {
            super.pack();
            if (conv.groups() == 1) {
                packed = Kernels.pack(conv.weight(), conv.kernel() * conv.kernel() * in.channels(), conv.outChannels());
            }
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
                if (packed == null) {
                    for (int ox = 0; ox < g.outW(); ox++) {
                        ScalarKernels.convPixel(input, inOff, in.height(), in.width(), in.channels(), g, conv.weight(),
                                bias, lo, hi, out, f.offsets[dst], oy, ox, 0, g.outC());
                    }
                } else {
                    k.convRow(input, inOff, in.height(), in.width(), in.channels(), g, oy, packed, bias, lo, hi,
                            out, f.offsets[dst] + oy * outRow);
                }
            }
        }
    }

    /** A 1×1 convolution or fully connected layer over all pixels: parallel over pixel ranges. */
    static final class PointwiseStep extends Step {
        /** The {@link Conv2d} or {@link Dense} layer whose weights {@link #pack()} packs. */
        private final Layer layer;
        private float[] weight;
        private float[] bias;
        private final float lo;
        private final float hi;
        private final int pixels;
        private final int inC;
        private final int outC;
        private final int src;
        private final int dst;
        private final int residual;

        PointwiseStep(Conv2d conv, int pixels, int src, int dst, int residual) {
            this(conv, conv.activation().min(), conv.activation().max(), pixels, conv.inChannels(),
                    conv.outChannels(), src, dst, residual);
        }

        PointwiseStep(Dense dense, int pixels, int src, int dst, int residual) {
            this(dense, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, pixels, dense.inFeatures(),
                    dense.outFeatures(), src, dst, residual);
        }

        private PointwiseStep(Layer layer, float lo, float hi, int pixels, int inC, int outC, int src, int dst,
                              int residual) {
            this.layer = layer;
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
        void pack() {
            if (layer instanceof Dense dense) {
                weight = Kernels.pack(dense.weight(), inC, outC);
                bias = dense.bias();
            } else {
                Conv2d conv = ((Conv2d) layer).foldBatchNorm();
                weight = Kernels.pack(conv.weight(), inC, outC);
                bias = biasOf(conv);
            }
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
                columns(k, f.buffers[src], f.offsets[src], pixels, f.buffers[dst], f.offsets[dst], res, resOff,
                        part, parts);
                return;
            }
            // Ranges start on whole register blocks.
            int blocks = pixels / Kernels.BLOCK_PIXELS;
            int p0 = split(blocks, part, parts) * Kernels.BLOCK_PIXELS;
            int p1 = part + 1 == parts ? pixels : split(blocks, part + 1, parts) * Kernels.BLOCK_PIXELS;
            k.pointwise(f.buffers[src], f.offsets[src] + p0 * inC, p1 - p0, inC, weight, bias, outC, lo, hi,
                    f.buffers[dst], f.offsets[dst] + p0 * outC, res, resOff + p0 * outC);
        }

        /** Part {@code part} of {@code parts} of this layer over {@code rows} images' features at once, into {@code out}. */
        void runRows(Kernels k, float[] in, int rows, float[] out, int part, int parts) {
            columns(k, in, 0, rows, out, 0, null, 0, part, parts);
        }

        /** Output channels of part {@code part} of {@code parts}, in whole strips, of all {@code rows} pixels. */
        private void columns(Kernels k, float[] in, int inOff, int rows, float[] out, int outOff, float[] res,
                             int resOff, int part, int parts) {
            int strips = outC / Kernels.STRIP;
            int o0 = split(strips, part, parts) * Kernels.STRIP;
            int o1 = part + 1 == parts ? outC : split(strips, part + 1, parts) * Kernels.STRIP;
            k.pointwise(in, inOff, rows, inC, weight, bias, outC, lo, hi, out, outOff, res, resOff, o0, o1);
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
        }
    }

    /**
     * An inverted residual block in row tiles (§5.1): a thread walks its band of output rows a tile at a
     * time, expanding only the input rows the tile's depthwise reads into its ring of rows (rows shared with
     * the previous tile are kept, not recomputed), then the depthwise into a tile buffer, then the projection
     * straight into the block's output. Only a band's first tile recomputes the overlap rows.
     */
    static final class BlockStep extends Step {
        /** The block; after {@link #pack()} its batch-norm-folded copy. */
        private InvertedResidual block;
        private final Shape in;
        private final Shape hidden;
        private final Shape out;
        private final ConvGeometry g;
        private float[] expandBias;
        private float[] depthwiseBias;
        private float[] projectBias;
        private float[] expandWeight;
        private float[] projectWeight;
        private final int src;
        private final int dst;
        /** The block's shortcuts, asked once: the block derives them from its spec on every call. */
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
            this.src = src;
            this.dst = dst;
            BufferLayout.Tiling tiling = BufferLayout.Tiling.of(block.spec(), g, hidden.height());
            this.chunkRows = tiling.tileRows();
            this.rowFloats = hidden.width() * hidden.channels();
            this.ringRows = tiling.ringRows();
            this.expansionResidual = block.hasExpansionResidual();
            this.bottleneckResidual = block.hasBottleneckResidual();
        }

        @Override
        void pack() {
            Conv2d e = block.expand() == null ? null : block.expand().foldBatchNorm();
            block = block.withConvs(e, block.depthwise().foldBatchNorm(), block.project().foldBatchNorm());
            expandBias = e == null ? null : biasOf(e);
            expandWeight = e == null ? null : Kernels.pack(e.weight(), in.channels(), hidden.channels());
            projectWeight = Kernels.pack(block.project().weight(), hidden.channels(), block.outChannels());
            depthwiseBias = biasOf(block.depthwise());
            projectBias = biasOf(block.project());
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
            int ringEnd = 0; // one past the last expanded row in the ring
            for (int c0 = oy0; c0 < oy1; c0 += chunkRows) {
                int c1 = Math.min(oy1, c0 + chunkRows);
                float[] rows;
                if (expand == null) {
                    rows = input;
                } else {
                    int lo = Math.max(0, g.firstInputRow(c0));
                    int hi = Math.min(inH, g.lastInputRow(c1 - 1) + 1);
                    // The ring holds expanded row r in slot r % ringRows: the rows this tile shares with the previous
                    // one stay where they are, and only the new rows are computed and written.
                    int from = Math.max(lo, ringEnd);
                    while (from < hi) {
                        int slot = from % ringRows;
                        int to = Math.min(hi, from + ringRows - slot);
                        k.pointwise(input, inOff + from * in.width() * in.channels(), (to - from) * in.width(),
                                in.channels(), expandWeight, expandBias, hidC, expand.activation().min(),
                                expand.activation().max(), ring, slot * rowFloats, null, 0);
                        from = to;
                    }
                    ringEnd = hi;
                    rows = ring;
                }
                for (int oy = c0; oy < c1; oy++) {
                    for (int ky = 0; ky < g.kernel(); ky++) {
                        int iy = g.firstInputRow(oy) + ky * g.dilation();
                        s.rowOff[ky] = iy < 0 || iy >= inH ? -1 : rowOffset(expand, inOff, iy);
                    }
                    // The expansion shortcut adds the depthwise's input row oy (stride 1, same shape).
                    float[] res = expansionResidual ? rows : null;
                    k.depthwiseRow(rows, s.rowOff, hidden.width(), hidC, g.kernel(), g.stride(), g.dilation(),
                            g.padLeft(), dw.weight(), depthwiseBias, dw.activation().min(), dw.activation().max(),
                            tile, (oy - c0) * outRow, g.outW(), res, rowOffset(expand, inOff, oy));
                }
                int outC = out.channels();
                int pixelOff = c0 * g.outW();
                k.pointwise(tile, 0, (c1 - c0) * g.outW(), hidC, projectWeight, projectBias, outC,
                        project.activation().min(), project.activation().max(),
                        f.buffers[dst], f.offsets[dst] + pixelOff * outC,
                        bottleneckResidual ? input : null, inOff + pixelOff * outC);
            }
        }

        /** Where the depthwise's input row {@code iy} starts: in the block's input, or in the ring's slot for it. */
        private int rowOffset(Conv2d expand, int inOff, int iy) {
            return expand == null ? inOff + iy * rowFloats : iy % ringRows * rowFloats;
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
        }
    }

    /** Average pooling over k×k windows that are not the whole input: parallel over output rows. */
    static final class AveragePoolStep extends Step {
        private final Shape in;
        private final Shape out;
        private final int kernelH;
        private final int kernelW;
        private final int stride;
        private final int padTop;
        private final int padLeft;
        private final int src;
        private final int dst;

        AveragePoolStep(AveragePool pool, Shape in, Shape out, int src, int dst) {
            this.in = in;
            this.out = out;
            this.kernelH = pool.kernelHeight();
            this.kernelW = pool.kernelWidth();
            this.stride = pool.stride();
            this.padTop = pool.rows(in.height()).before();
            this.padLeft = pool.columns(in.width()).before();
            this.src = src;
            this.dst = dst;
        }

        @Override
        int parts(int threads) {
            return Math.min(threads, out.height());
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            int oy0 = split(out.height(), part, parts);
            int oy1 = split(out.height(), part + 1, parts);
            ScalarKernels.averagePool(f.buffers[src], f.offsets[src], in.height(), in.width(), in.channels(),
                    kernelH, kernelW, stride, padTop, padLeft, f.buffers[dst], f.offsets[dst], out.width(), oy0, oy1);
        }
    }

    /** Channel concatenation: parallel over pixel ranges. */
    static final class ConcatStep extends Step {
        private final int[] srcs;
        private final int[] channels;
        private final int pixels;
        private final int dst;

        ConcatStep(int[] srcs, int[] channels, int pixels, int dst) {
            this.srcs = srcs;
            this.channels = channels;
            this.pixels = pixels;
            this.dst = dst;
        }

        @Override
        int parts(int threads) {
            return Math.min(threads, pixels);
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            int p0 = split(pixels, part, parts);
            int p1 = split(pixels, part + 1, parts);
            int total = Arrays.stream(channels).sum();
            int at = 0;
            for (int i = 0; i < srcs.length; i++) {
                ScalarKernels.interleave(f.buffers[srcs[i]], f.offsets[srcs[i]], channels[i], f.buffers[dst],
                        f.offsets[dst] + at, total, p0, p1);
                at += channels[i];
            }
        }
    }

    /**
     * Bilinear resize with TFLite's coordinate conventions; the source rows and columns of every output
     * row and column and their fractions are worked out when the plan is made. Parallel over output rows.
     */
    static final class ResizeStep extends Step {
        private final Shape in;
        private final Shape out;
        private final ResizeBilinear.Taps rows;
        private final ResizeBilinear.Taps columns;
        private final int src;
        private final int dst;

        ResizeStep(ResizeBilinear resize, Shape in, Shape out, int src, int dst) {
            this.in = in;
            this.out = out;
            this.rows = resize.taps(in.height(), out.height());
            this.columns = resize.taps(in.width(), out.width());
            this.src = src;
            this.dst = dst;
        }

        @Override
        int parts(int threads) {
            return Math.min(threads, out.height());
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            int oy0 = split(out.height(), part, parts);
            int oy1 = split(out.height(), part + 1, parts);
            ScalarKernels.resizeBilinear(f.buffers[src], f.offsets[src], in.width(), in.channels(), rows, columns,
                    f.buffers[dst], f.offsets[dst], oy0, oy1);
        }
    }

    /** Index of each pixel's largest channel: parallel over pixel ranges. */
    static final class ArgMaxStep extends Step {
        private final int pixels;
        private final int channels;
        private final int src;
        private final int dst;

        ArgMaxStep(Shape in, int src, int dst) {
            this.pixels = in.height() * in.width();
            this.channels = in.channels();
            this.src = src;
            this.dst = dst;
        }

        @Override
        int parts(int threads) {
            return Math.min(threads, pixels);
        }

        @Override
        void run(Kernels k, Frame f, Scratch s, int part, int parts) {
            int p0 = split(pixels, part, parts);
            int p1 = split(pixels, part + 1, parts);
            ScalarKernels.argMax(f.buffers[src], f.offsets[src], channels, f.buffers[dst], f.offsets[dst], p0, p1);
        }
    }
}
