package dev.mnv2.analysis;

import dev.mnv2.exec.ExecutionMode;
import dev.mnv2.exec.Plan;
import dev.mnv2.model.ArchitectureRow;
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
import dev.mnv2.model.NetworkConfig;
import dev.mnv2.model.Node;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cost and memory analysis of a network graph: per-layer parameters and multiply-accumulates, the paper's
 * Table 3 memory view, and the peak activation bytes this engine's plan allocates. Computed from shapes
 * alone: the plan is laid out without packing a weight.
 *
 * @param params learnable parameters with batch-norm gamma/beta (torchvision's and Keras' count)
 * @param paramsWithoutBatchNorm conv and dense weights and biases only (the reference implementation's count)
 * @param macs multiply-accumulates of conv and fully-connected layers for one image
 * @param table3 per resolution, the largest tensor that §5.1 inference must hold between operators
 * @param peakActivationBytes float32 activation buffers this engine's default (memory-efficient) plan
 *     allocates per image, the input included
 */
public record ModelSummary(
        NetworkConfig config, Shape input, List<LayerCost> layers, long params, long paramsWithoutBatchNorm,
        long macs, List<Table3Row> table3, double table3MaxKb, long peakActivationBytes) {

    /** Bytes per activation in the paper's Table 3. */
    public static final int TABLE3_BYTES_PER_VALUE = 2;

    public static ModelSummary of(Network network) {
        List<LayerCost> rows = new ArrayList<>();
        for (Node node : network.nodes()) {
            Layer layer = node.layer();
            Shape in = network.shape(node.inputs().get(0));
            Shape out = network.shape(node.name());
            rows.add(new LayerCost(layer.name(), operator(layer), in, out, expansion(layer),
                    Integer.toString(out.channels()), node.row() == null ? "-" : ArchitectureRow.cell(node.row().n()),
                    stride(layer), layer.parameters(), layer.parametersWithoutBatchNorm(), layer.macs(in)));
        }
        List<Table3Row> table3 = table3(network);
        double maxKb = table3.stream().mapToDouble(Table3Row::kb).max().orElse(0);
        return new ModelSummary(network.config(), network.input(), List.copyOf(rows), network.parameters(),
                network.parametersWithoutBatchNorm(), network.macs(), table3, maxKb,
                Plan.layout(network, ExecutionMode.MEMORY_EFFICIENT).activationBytes());
    }

    /**
     * Table 3 counts the tensors that cross from one operator to the next under §5.1 inference. A block's
     * expanded tensors never do, and neither does a convolution's output that feeds straight into a
     * consumer which streams it: a t = 1 block's depthwise (the stem output plays that block's expansion)
     * or the global pooling (the last 1×1 conv is pooled as it is produced). The network input is not an
     * activation and is left out, as in the paper.
     */
    static List<Table3Row> table3(Network network) {
        Map<String, Integer> maxChannels = new LinkedHashMap<>();
        Map<String, Long> positions = new LinkedHashMap<>();
        List<Layer> layers = network.layers();
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            Shape out = network.shape(layer.name());
            if (layer instanceof Dropout || streamedIntoNext(layer, i + 1 < layers.size() ? layers.get(i + 1) : null)) {
                continue;
            }
            String key = out.height() + "x" + out.width();
            maxChannels.merge(key, out.channels(), Math::max);
            positions.put(key, (long) out.height() * out.width());
        }
        List<Table3Row> rows = new ArrayList<>();
        for (Map.Entry<String, Integer> e : maxChannels.entrySet()) {
            double kb = positions.get(e.getKey()) * e.getValue() * TABLE3_BYTES_PER_VALUE / 1000.0;
            rows.add(new Table3Row(e.getKey(), e.getValue(), kb));
        }
        return List.copyOf(rows);
    }

    private static boolean streamedIntoNext(Layer layer, Layer next) {
        if (!(layer instanceof Conv2d)) {
            return false;
        }
        return next instanceof GlobalAveragePool
                || (next instanceof InvertedResidual block && block.expand() == null);
    }

    private static String operator(Layer layer) {
        if (layer instanceof Conv2d conv) {
            String k = conv.kernel() + "x" + conv.kernel();
            return conv.isDepthwise() ? "conv2d " + k + " dw" : "conv2d " + k;
        }
        if (layer instanceof InvertedResidual) return "bottleneck";
        if (layer instanceof GlobalAveragePool) return "avgpool";
        if (layer instanceof Dropout) return "dropout";
        if (layer instanceof Dense) return "fc";
        if (layer instanceof AveragePool pool) return "avgpool " + pool.kernelHeight() + "x" + pool.kernelWidth();
        if (layer instanceof Concat) return "concat";
        if (layer instanceof ResizeBilinear) return "resize bilinear";
        if (layer instanceof ArgMax) return "argmax";
        return layer.getClass().getSimpleName();
    }

    private static String expansion(Layer layer) {
        return layer instanceof InvertedResidual block ? Integer.toString(block.expansion()) : "-";
    }

    private static String stride(Layer layer) {
        if (layer instanceof Conv2d conv) return Integer.toString(conv.stride());
        if (layer instanceof InvertedResidual block) return Integer.toString(block.stride());
        return "-";
    }
}
