package dev.mnv2.exec;

import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Layer-by-layer execution plan for one image: batch norms folded, every step bound to buffers whose sizes
 * are fixed when the plan is made, so running allocates nothing large. Buffers: the input, two ping-pong
 * buffers for bottleneck tensors, and inside blocks one for the expanded and one for the depthwise output.
 */
public final class Plan {
    private static final int INPUT = 0;
    private static final int EXPANDED = 3;
    private static final int DEPTHWISE = 4;

    /** One kernel call bound to its buffers. */
    private interface Step {
        void run(float[][] buffers);
    }

    private final Network network;
    private final List<Step> steps = new ArrayList<>();
    private final int[] bufferFloats = new int[5];
    private final int outputBuffer;

    private Plan(Network network) {
        this.network = network.foldBatchNorm();
        Shape shape = this.network.input();
        bufferFloats[INPUT] = (int) shape.elements();
        int current = INPUT;
        for (Layer layer : this.network.layers()) {
            if (layer instanceof Dropout) {
                continue;
            }
            Shape in = shape;
            Shape out = layer.outputShape(in);
            int src = current;
            int dst = current == 1 ? 2 : 1;
            reserve(dst, out);
            if (layer instanceof Conv2d conv) {
                steps.add(b -> Kernels.conv2d(conv, b[src], 0, in, b[dst], 0, null, 0));
            } else if (layer instanceof InvertedResidual block) {
                planBlock(block, in, src, dst);
            } else if (layer instanceof GlobalAveragePool) {
                steps.add(b -> Kernels.globalAveragePool(b[src], 0, in, b[dst], 0));
            } else if (layer instanceof Dense dense) {
                steps.add(b -> Kernels.dense(dense.weight(), dense.bias(), dense.inFeatures(), b[src], 0, b[dst], 0));
            } else {
                throw new IllegalArgumentException("no kernel for layer " + layer.name());
            }
            shape = out;
            current = dst;
        }
        outputBuffer = current;
    }

    private void planBlock(InvertedResidual block, Shape in, int src, int dst) {
        Shape expanded = block.expandedShape(in);
        Shape depthOut = block.depthwise().outputShape(expanded);
        int e = src;
        if (block.expand() != null) {
            e = EXPANDED;
            reserve(EXPANDED, expanded);
            Conv2d expand = block.expand();
            steps.add(b -> Kernels.conv2d(expand, b[src], 0, in, b[EXPANDED], 0, null, 0));
        }
        reserve(DEPTHWISE, depthOut);
        int expandedBuffer = e;
        Conv2d depthwise = block.depthwise();
        boolean expansionResidual = block.hasExpansionResidual();
        steps.add(b -> Kernels.conv2d(depthwise, b[expandedBuffer], 0, expanded, b[DEPTHWISE], 0,
                expansionResidual ? b[expandedBuffer] : null, 0));
        Conv2d project = block.project();
        boolean residual = block.hasBottleneckResidual();
        steps.add(b -> Kernels.conv2d(project, b[DEPTHWISE], 0, depthOut, b[dst], 0, residual ? b[src] : null, 0));
    }

    private void reserve(int buffer, Shape shape) {
        bufferFloats[buffer] = Math.max(bufferFloats[buffer], Math.toIntExact(shape.elements()));
    }

    /** Plans {@code network} (its batch norms are folded into copies; the network is not changed). */
    public static Plan of(Network network) {
        return new Plan(network);
    }

    /** The batch-norm-folded network this plan runs. */
    public Network network() {
        return network;
    }

    /** Bytes of all activation buffers one running image needs, the input included. */
    public long activationBytes() {
        long floats = 0;
        for (int n : bufferFloats) {
            floats += n;
        }
        return floats * Float.BYTES;
    }

    /** Buffers for one concurrent run of this plan. */
    public final class Workspace {
        private final float[][] buffers = new float[bufferFloats.length][];

        private Workspace() {
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = new float[bufferFloats[i]];
            }
        }
    }

    public Workspace newWorkspace() {
        return new Workspace();
    }

    /** Runs one image ({@code input[inOff ...]}, NHWC) and writes the logits to {@code out[outOff ...]}. */
    public void run(Workspace workspace, float[] input, int inOff, float[] out, int outOff) {
        float[][] b = workspace.buffers;
        System.arraycopy(input, inOff, b[INPUT], 0, bufferFloats[INPUT]);
        for (Step step : steps) {
            step.run(b);
        }
        System.arraycopy(b[outputBuffer], 0, out, outOff, network.classes());
    }
}
