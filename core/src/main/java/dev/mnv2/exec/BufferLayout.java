package dev.mnv2.exec;

import static dev.mnv2.exec.Plan.RING;
import static dev.mnv2.exec.Plan.SCRATCH_BUFFERS;
import static dev.mnv2.exec.Plan.TILE;

import dev.mnv2.model.ArgMax;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.BlockSpec;
import dev.mnv2.model.Concat;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.LayerSpec;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.NodeSpec;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The steps and buffers of a {@link Plan} from shapes alone (a {@link NetworkSpec}), so that cost analysis
 * never builds a weight and sizes stay longs for architectures too large to run. Every node becomes one step
 * (a memory-efficient block one fused step, unless its expanded tensor is an output: then expansion,
 * depthwise and projection); each step's tensors are numbered, and buffers are assigned by liveness: a
 * step's output takes the best-fitting free buffer (else the largest free one, grown; else a new one), then
 * the tensors it read for the last time give theirs back. Outputs live to the end; buffer 0 is the input.
 */
final class BufferLayout {
    /** A memory-efficient tile covers at least this many output pixels, so the GEMMs have work to block. */
    private static final int TILE_PIXELS = 32;

    /** The parts of an unfused inverted residual block, each its own step. */
    enum Part { WHOLE, EXPAND, DEPTHWISE, PROJECT }

    /**
     * One step: node {@code node} (or a part of its block) reading tensors {@code reads} (the first is its
     * input, shape {@code in}; a projection's second is the residual) and writing tensor {@code writes}.
     */
    record Step(int node, Part part, String name, long macs, Shape in, int[] reads, int writes) {}

    /** The row tiles of a memory-efficient block: output rows per tile and expanded rows kept for one. */
    record Tiling(int tileRows, int ringRows) {
        static Tiling of(BlockSpec block, ConvGeometry g, int hiddenHeight) {
            int tileRows = Math.min(g.outH(), Math.max(1, (TILE_PIXELS + g.outW() - 1) / g.outW()));
            int ringRows = block.expand() == null ? 0
                    : Math.min(hiddenHeight, (tileRows - 1) * g.stride() + (g.kernel() - 1) * g.dilation() + 1);
            return new Tiling(tileRows, ringRows);
        }
    }

    final List<Step> steps = new ArrayList<>();
    final long[] scratchFloats = new long[SCRATCH_BUFFERS];
    /** Floats of every shared buffer; entry 0 is the input image. */
    final long[] sharedFloats;
    /** Buffer of every tensor. */
    final int[] bufferOf;
    final int[] outputTensors;
    int maxKernel = 1;

    private final NetworkSpec network;
    private final ExecutionMode mode;
    /** Floats of the largest input and output any block has together (memory-efficient mode's peak). */
    private final long bottleneckPair;
    private final List<String> outputs;
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<Shape> shapes = new ArrayList<>();

    BufferLayout(NetworkSpec network, ExecutionMode mode, List<String> outputs) {
        this.network = network;
        this.mode = mode;
        this.outputs = List.copyOf(outputs);
        if (this.outputs.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one output");
        }
        this.bottleneckPair = largestBottleneckPair(network);
        ids.put(Network.INPUT, 0);
        shapes.add(network.input());
        List<NodeSpec> nodes = network.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            plan(i, nodes.get(i));
        }
        outputTensors = this.outputs.stream().mapToInt(this::tensor).toArray();
        List<Long> floats = new ArrayList<>();
        bufferOf = assign(floats);
        sharedFloats = floats.stream().mapToLong(Long::longValue).toArray();
    }

    /** Activation bytes of one image whose steps are split over {@code threads} threads. */
    long activationBytes(int threads) {
        long floats = 0;
        for (long n : sharedFloats) {
            floats += n;
        }
        for (long n : scratchFloats) {
            floats += threads * n;
        }
        return Math.multiplyExact(floats, Float.BYTES);
    }

    int tensor(String name) {
        Integer id = ids.get(name);
        if (id == null) {
            throw new IllegalArgumentException("the network has no tensor named " + name);
        }
        return id;
    }

    /** Shape of tensor {@code id} for one image. */
    Shape shape(int id) {
        return shapes.get(id);
    }

    private int define(String name, Shape shape) {
        ids.put(name, shapes.size());
        shapes.add(shape);
        return shapes.size() - 1;
    }

    private void add(int node, Part part, String name, long macs, Shape in, int[] reads, int writes) {
        steps.add(new Step(node, part, name, macs, in, reads, writes));
    }

    private void plan(int index, NodeSpec node) {
        LayerSpec layer = node.spec();
        Shape in = network.shape(node.inputs().get(0));
        int src = tensor(node.inputs().get(0));
        if (layer instanceof Dropout) {
            ids.put(node.name(), src); // the identity at inference: same tensor
            return;
        }
        if (layer instanceof BlockSpec block) {
            planBlock(index, block, in, src);
            return;
        }
        int dst = define(node.name(), network.shape(node.name()));
        int[] reads = node.inputs().stream().mapToInt(this::tensor).toArray();
        if (layer instanceof ConvSpec conv) {
            reserveConv(conv, in);
        } else if (!(layer instanceof DenseSpec || layer instanceof GlobalAveragePool || layer instanceof AveragePool
                || layer instanceof Concat || layer instanceof ResizeBilinear || layer instanceof ArgMax)) {
            throw new IllegalArgumentException("no kernel for layer " + layer.name());
        }
        add(index, Part.WHOLE, layer.name(), layer.macs(in), in, reads, dst);
    }

    private void planBlock(int index, BlockSpec block, Shape in, int src) {
        Shape hidden = block.expandedShape(in);
        ConvSpec dw = block.depthwise();
        Shape dwOut = dw.outputShape(hidden);
        if (block.hasExpansionResidual() && !dwOut.equals(hidden)) {
            throw new IllegalArgumentException(block.name() + ": expansion shortcut needs the depthwise to keep "
                    + hidden + ", it gives " + dwOut);
        }
        if ((block.expand() != null && !isPlainPointwise(block.expand(), in)) || !isPlainPointwise(block.project(), dwOut)) {
            throw new IllegalArgumentException(block.name() + ": 1x1 convolutions of a block must not pad or stride");
        }
        maxKernel = Math.max(maxKernel, dw.kernel());
        boolean expansionWanted = block.expand() != null && outputs.contains(block.expand().name());
        // A block whose four tensors together take at most a third of the largest bottleneck pair (the late,
        // small maps) runs layer by layer even here: their row tiles held a few pixels each, too few for the
        // kernels' register blocks, and whole tensors this small fit in buffers the peak already has but for
        // one (α 1.0/224: 3.57 MB planned instead of 3.50, 0.2-0.3 ms faster on one thread).
        long unfused = in.elements() + hidden.elements() + dwOut.elements() + network.shape(block.name()).elements();
        if (mode == ExecutionMode.MEMORY_EFFICIENT && !expansionWanted && 3 * unfused > bottleneckPair) {
            Tiling tiling = Tiling.of(block, ConvGeometry.of(dw, hidden.height(), hidden.width()), hidden.height());
            long rowFloats = (long) hidden.width() * hidden.channels();
            scratchFloats[RING] = Math.max(scratchFloats[RING], tiling.ringRows() * rowFloats);
            scratchFloats[TILE] = Math.max(scratchFloats[TILE],
                    tiling.tileRows() * (long) dwOut.width() * hidden.channels());
            add(index, Part.WHOLE, block.name(), block.macs(in), in, new int[] {src},
                    define(block.name(), network.shape(block.name())));
            return;
        }
        int expanded = src;
        if (block.expand() != null) {
            expanded = define(block.expand().name(), hidden);
            add(index, Part.EXPAND, block.expand().name(), block.expand().macs(in), in, new int[] {src}, expanded);
        }
        int d = define(dw.name(), dwOut);
        add(index, Part.DEPTHWISE, dw.name(), dw.macs(hidden), hidden, new int[] {expanded}, d);
        int dst = define(block.name(), network.shape(block.name()));
        add(index, Part.PROJECT, block.project().name(), block.project().macs(dwOut), dwOut,
                block.hasBottleneckResidual() ? new int[] {d, src} : new int[] {d}, dst);
    }

    private static long largestBottleneckPair(NetworkSpec network) {
        long largest = 0;
        for (NodeSpec node : network.nodes()) {
            if (node.spec() instanceof BlockSpec) {
                largest = Math.max(largest,
                        network.shape(node.inputs().get(0)).elements() + network.shape(node.name()).elements());
            }
        }
        return largest;
    }

    private int[] assign(List<Long> floats) {
        int[] lastRead = new int[shapes.size()];
        Arrays.fill(lastRead, -1);
        for (int i = 0; i < steps.size(); i++) {
            for (int t : steps.get(i).reads()) {
                lastRead[t] = i;
            }
        }
        for (int t : outputTensors) {
            lastRead[t] = Integer.MAX_VALUE;
        }
        int[] buffer = new int[shapes.size()];
        floats.add(network.input().elements());
        List<Integer> free = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            long need = shapes.get(s.writes()).elements();
            int chosen = chooseFree(free, floats, need);
            if (chosen < 0) {
                chosen = floats.size();
                floats.add(0L);
            } else {
                free.remove(Integer.valueOf(chosen));
            }
            floats.set(chosen, Math.max(floats.get(chosen), need));
            buffer[s.writes()] = chosen;
            for (int t : s.reads()) {
                if (t != 0 && lastRead[t] == i && !free.contains(buffer[t])) {
                    free.add(buffer[t]);
                }
            }
            if (lastRead[s.writes()] < 0) {
                free.add(chosen); // nothing reads it: its buffer is free again at once
            }
        }
        return buffer;
    }

    /** The smallest free buffer that holds {@code need} floats, else the largest free one, else -1. */
    private static int chooseFree(List<Integer> free, List<Long> floats, long need) {
        int best = -1;
        for (int b : free) {
            if (best < 0) {
                best = b;
                continue;
            }
            long size = floats.get(b);
            long bestSize = floats.get(best);
            boolean fits = size >= need;
            boolean bestFits = bestSize >= need;
            if (fits && (!bestFits || size < bestSize) || !fits && !bestFits && size > bestSize) {
                best = b;
            }
        }
        return best;
    }

    /** A 1×1 convolution that maps every pixel to the same pixel: a matrix product over channels. */
    static boolean isPlainPointwise(ConvSpec conv, Shape in) {
        return conv.isPointwise() && conv.outputShape(in).height() == in.height()
                && conv.outputShape(in).width() == in.width() && conv.resolve(in.height()).before() == 0
                && conv.resolve(in.width()).before() == 0;
    }

    private void reserveConv(ConvSpec conv, Shape in) {
        if (conv.isDepthwise() && !isPlainPointwise(conv, in)) {
            maxKernel = Math.max(maxKernel, conv.kernel());
        }
    }
}
