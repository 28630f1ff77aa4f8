package dev.mnv2.exec;

import static dev.mnv2.exec.Plan.DEPTHWISE;
import static dev.mnv2.exec.Plan.EXPANDED;
import static dev.mnv2.exec.Plan.INPUT;
import static dev.mnv2.exec.Plan.PATCH;
import static dev.mnv2.exec.Plan.PING;
import static dev.mnv2.exec.Plan.PONG;
import static dev.mnv2.exec.Plan.RING;
import static dev.mnv2.exec.Plan.SCRATCH_BUFFERS;
import static dev.mnv2.exec.Plan.SHARED_BUFFERS;
import static dev.mnv2.exec.Plan.TILE;

import dev.mnv2.model.BlockSpec;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.LayerSpec;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The buffers of a {@link Plan} from shapes alone: which buffer each layer reads and writes, and how many
 * floats every buffer holds (as longs, so that an architecture too large to run can still be measured).
 * {@link Plan} binds its kernels to this layout; {@link Plan#activationBytes(NetworkSpec, ExecutionMode, int)}
 * reads it without any weights.
 */
final class BufferLayout {
    /** A memory-efficient tile covers at least this many output pixels, so the GEMMs have work to block. */
    private static final int TILE_PIXELS = 32;

    /** Where layer {@code layer} (an index into the spec's layers; dropouts have none) reads and writes. */
    record Binding(int layer, Shape in, int src, int dst) {}

    /** The row tiles of a memory-efficient block: output rows per tile and expanded rows kept for one. */
    record Tiling(int tileRows, int ringRows) {
        static Tiling of(BlockSpec block, ConvGeometry g, int hiddenHeight) {
            int tileRows = Math.min(g.outH(), Math.max(1, (TILE_PIXELS + g.outW() - 1) / g.outW()));
            int ringRows = block.expand() == null ? 0
                    : Math.min(hiddenHeight, (tileRows - 1) * g.stride() + (g.kernel() - 1) * g.dilation() + 1);
            return new Tiling(tileRows, ringRows);
        }
    }

    final long[] sharedFloats = new long[SHARED_BUFFERS];
    final long[] scratchFloats = new long[SCRATCH_BUFFERS];
    final List<Binding> bindings = new ArrayList<>();
    final int outputBuffer;
    int maxKernel = 1;

    BufferLayout(NetworkSpec network, ExecutionMode mode) {
        Shape shape = network.input();
        sharedFloats[INPUT] = shape.elements();
        int current = INPUT;
        List<LayerSpec> layers = network.layers();
        for (int i = 0; i < layers.size(); i++) {
            LayerSpec layer = layers.get(i);
            if (layer instanceof Dropout) {
                continue;
            }
            Shape out = layer.outputShape(shape);
            int dst = current == PING ? PONG : PING;
            reserveShared(dst, out);
            if (layer instanceof ConvSpec conv) {
                reserveConv(conv, shape);
            } else if (layer instanceof BlockSpec block) {
                reserveBlock(block, shape, mode);
            } else if (!(layer instanceof GlobalAveragePool || layer instanceof DenseSpec)) {
                throw new IllegalArgumentException("no kernel for layer " + layer.name());
            }
            bindings.add(new Binding(i, shape, current, dst));
            shape = out;
            current = dst;
        }
        outputBuffer = current;
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

    /** A 1×1 convolution that maps every pixel to the same pixel: a matrix product over channels. */
    static boolean isPlainPointwise(ConvSpec conv, Shape in) {
        return conv.isPointwise() && conv.outputShape(in).height() == in.height()
                && conv.outputShape(in).width() == in.width() && conv.resolve(in.height()).before() == 0
                && conv.resolve(in.width()).before() == 0;
    }

    /** Floats of the patch matrix a general convolution gathers for one output row (0 when grouped). */
    static long patchFloats(ConvSpec conv, Shape in) {
        return conv.groups() != 1 ? 0
                : (long) conv.outputShape(in).width() * conv.kernel() * conv.kernel() * in.channels();
    }

    private void reserveConv(ConvSpec conv, Shape in) {
        if (isPlainPointwise(conv, in)) {
            return;
        }
        if (conv.isDepthwise()) {
            maxKernel = Math.max(maxKernel, conv.kernel());
        } else {
            scratchFloats[PATCH] = Math.max(scratchFloats[PATCH], patchFloats(conv, in));
        }
    }

    private void reserveBlock(BlockSpec block, Shape in, ExecutionMode mode) {
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
        if (mode == ExecutionMode.MEMORY_EFFICIENT) {
            Tiling tiling = Tiling.of(block, ConvGeometry.of(dw, hidden.height(), hidden.width()), hidden.height());
            long rowFloats = (long) hidden.width() * hidden.channels();
            scratchFloats[RING] = Math.max(scratchFloats[RING], tiling.ringRows() * rowFloats);
            scratchFloats[TILE] = Math.max(scratchFloats[TILE], tiling.tileRows() * (long) dwOut.width() * hidden.channels());
            return;
        }
        if (block.expand() != null) {
            reserveShared(EXPANDED, hidden);
        }
        reserveShared(DEPTHWISE, dwOut);
    }

    private void reserveShared(int buffer, Shape shape) {
        sharedFloats[buffer] = Math.max(sharedFloats[buffer], shape.elements());
    }
}
