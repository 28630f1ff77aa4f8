package dev.mnv2.reference;

import dev.mnv2.exec.Tensor;
import dev.mnv2.model.ArgMax;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Naive references of the graph operators (concat, k×k average pool, bilinear resize, argmax) and of a
 * whole network graph, written from the operators' definitions like {@link Reference}.
 */
public final class GraphReference {
    private GraphReference() {}

    public static Tensor concat(List<Tensor> inputs) {
        Tensor first = inputs.get(0);
        int channels = inputs.stream().mapToInt(t -> t.shape().channels()).sum();
        Shape s = first.shape();
        Tensor y = Tensor.zeros(first.batch(), new Shape(s.height(), s.width(), channels));
        for (int n = 0; n < first.batch(); n++) {
            for (int yy = 0; yy < s.height(); yy++) {
                for (int xx = 0; xx < s.width(); xx++) {
                    int c = 0;
                    for (Tensor t : inputs) {
                        for (int i = 0; i < t.shape().channels(); i++, c++) {
                            y.data()[y.index(n, yy, xx, c)] = t.get(n, yy, xx, i);
                        }
                    }
                }
            }
        }
        return y;
    }

    /** TensorFlow's average pool: the mean of the window's taps that fall inside the input. */
    public static Tensor averagePool(AveragePool pool, Tensor x) {
        Shape s = x.shape();
        int[] rows = window(s.height(), pool.kernelHeight(), pool.stride(), pool.padding().tensorflowSame(),
                pool.padding().explicit());
        int[] cols = window(s.width(), pool.kernelWidth(), pool.stride(), pool.padding().tensorflowSame(),
                pool.padding().explicit());
        Tensor y = Tensor.zeros(x.batch(), new Shape(rows[0], cols[0], s.channels()));
        for (int n = 0; n < x.batch(); n++) {
            for (int oy = 0; oy < rows[0]; oy++) {
                for (int ox = 0; ox < cols[0]; ox++) {
                    for (int c = 0; c < s.channels(); c++) {
                        double sum = 0;
                        int count = 0;
                        for (int ky = 0; ky < pool.kernelHeight(); ky++) {
                            for (int kx = 0; kx < pool.kernelWidth(); kx++) {
                                int iy = oy * pool.stride() + ky - rows[1];
                                int ix = ox * pool.stride() + kx - cols[1];
                                if (iy >= 0 && ix >= 0 && iy < s.height() && ix < s.width()) {
                                    sum += x.get(n, iy, ix, c);
                                    count++;
                                }
                            }
                        }
                        y.data()[y.index(n, oy, ox, c)] = (float) (sum / count);
                    }
                }
            }
        }
        return y;
    }

    /** Output size and padding before, along one axis. */
    private static int[] window(int in, int kernel, int stride, boolean same, int explicit) {
        if (same) {
            int out = (int) Math.ceil(in / (double) stride);
            return new int[] {out, Math.max((out - 1) * stride + kernel - in, 0) / 2};
        }
        return new int[] {(in + 2 * explicit - kernel) / stride + 1, explicit};
    }

    /**
     * TFLite's RESIZE_BILINEAR (reference kernel), in float as TFLite computes it: source coordinate
     * {@code o·scale} or {@code (o+0.5)·scale−0.5}, its floor (at least 0) and ceiling (at most the last
     * pixel) as the two taps, weighted by the distance to the lower one.
     */
    public static Tensor resizeBilinear(ResizeBilinear resize, Tensor x) {
        Shape s = x.shape();
        int outH = resize.height();
        int outW = resize.width();
        float scaleY = resize.alignCorners() && outH > 1 ? (s.height() - 1) / (float) (outH - 1) : s.height() / (float) outH;
        float scaleX = resize.alignCorners() && outW > 1 ? (s.width() - 1) / (float) (outW - 1) : s.width() / (float) outW;
        Tensor y = Tensor.zeros(x.batch(), new Shape(outH, outW, s.channels()));
        for (int n = 0; n < x.batch(); n++) {
            for (int oy = 0; oy < outH; oy++) {
                float inY = resize.halfPixelCenters() ? (oy + 0.5f) * scaleY - 0.5f : oy * scaleY;
                int y0 = Math.max((int) Math.floor(inY), 0);
                int y1 = Math.min((int) Math.ceil(inY), s.height() - 1);
                for (int ox = 0; ox < outW; ox++) {
                    float inX = resize.halfPixelCenters() ? (ox + 0.5f) * scaleX - 0.5f : ox * scaleX;
                    int x0 = Math.max((int) Math.floor(inX), 0);
                    int x1 = Math.min((int) Math.ceil(inX), s.width() - 1);
                    for (int c = 0; c < s.channels(); c++) {
                        float v = x.get(n, y0, x0, c) * (1 - (inY - y0)) * (1 - (inX - x0))
                                + x.get(n, y1, x0, c) * (inY - y0) * (1 - (inX - x0))
                                + x.get(n, y0, x1, c) * (1 - (inY - y0)) * (inX - x0)
                                + x.get(n, y1, x1, c) * (inY - y0) * (inX - x0);
                        y.data()[y.index(n, oy, ox, c)] = v;
                    }
                }
            }
        }
        return y;
    }

    /** Per pixel, the index of the first largest channel. */
    public static Tensor argMax(Tensor x) {
        Shape s = x.shape();
        Tensor y = Tensor.zeros(x.batch(), new Shape(s.height(), s.width(), 1));
        for (int n = 0; n < x.batch(); n++) {
            for (int yy = 0; yy < s.height(); yy++) {
                for (int xx = 0; xx < s.width(); xx++) {
                    int best = 0;
                    for (int c = 1; c < s.channels(); c++) {
                        if (x.get(n, yy, xx, c) > x.get(n, yy, xx, best)) {
                            best = c;
                        }
                    }
                    y.data()[y.index(n, yy, xx, 0)] = best;
                }
            }
        }
        return y;
    }

    /** Every tensor of {@code network} on {@code x}, by name (block expansions included), node by node. */
    public static Map<String, Tensor> forward(Network network, Tensor x) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put(Network.INPUT, x);
        for (Node node : network.nodes()) {
            List<Tensor> in = new ArrayList<>();
            for (String name : node.inputs()) {
                in.add(tensors.get(name));
            }
            Layer layer = node.layer();
            if (layer instanceof InvertedResidual block && block.expand() != null) {
                tensors.put(block.expand().name(), Reference.conv2d(block.expand(), in.get(0)));
            }
            tensors.put(node.name(), layer(layer, in));
        }
        return tensors;
    }

    private static Tensor layer(Layer layer, List<Tensor> in) {
        if (layer instanceof Concat) return concat(in);
        if (layer instanceof AveragePool pool) return averagePool(pool, in.get(0));
        if (layer instanceof ResizeBilinear resize) return resizeBilinear(resize, in.get(0));
        if (layer instanceof ArgMax) return argMax(in.get(0));
        if (layer instanceof Conv2d conv) return Reference.conv2d(conv, in.get(0));
        if (layer instanceof InvertedResidual block) return Reference.invertedResidual(block, in.get(0));
        if (layer instanceof GlobalAveragePool) return Reference.globalAveragePool(in.get(0));
        if (layer instanceof Dense dense) return Reference.dense(dense, in.get(0));
        if (layer instanceof Dropout) return in.get(0);
        throw new IllegalArgumentException("no reference for " + layer);
    }
}
