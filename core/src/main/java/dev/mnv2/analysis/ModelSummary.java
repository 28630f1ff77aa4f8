package dev.mnv2.analysis;

import dev.mnv2.exec.ExecutionMode;
import dev.mnv2.exec.Plan;
import dev.mnv2.model.ArchitectureRow;
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
import dev.mnv2.model.NetworkConfig;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.NodeSpec;
import dev.mnv2.model.ResizeBilinear;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cost and memory analysis of a network: per-layer parameters and multiply-accumulates, the paper's
 * Table 3 memory view, and the peak activation bytes this engine's plan allocates. Computed from the
 * architecture alone ({@link NetworkSpec}), so no weight is allocated, whatever the configuration.
 *
 * @param params learnable parameters with batch-norm gamma/beta (torchvision's and Keras' count)
 * @param paramsWithoutBatchNorm conv and dense weights and biases only (the reference implementation's count)
 * @param macs multiply-accumulates of conv and fully-connected layers for one image
 * @param table3 per resolution, the largest tensor that §5.1 inference must hold between operators
 * @param peakActivationBytes float32 activation buffers this engine's default (memory-efficient, §5.1) plan
 *     allocates for one image on one thread, the input included
 */
public record ModelSummary(
        NetworkConfig config, Shape input, List<LayerCost> layers, long params, long paramsWithoutBatchNorm,
        long macs, List<Table3Row> table3, double table3MaxKb, long peakActivationBytes) {

    /** Bytes per activation in the paper's Table 3. */
    public static final int TABLE3_BYTES_PER_VALUE = 2;

    public static ModelSummary of(Network network) {
        return of(network.spec());
    }

    /** The summary of the network {@code config} describes, without building it. */
    public static ModelSummary of(NetworkConfig config) {
        return of(config.spec());
    }

    public static ModelSummary of(NetworkSpec network) {
        List<LayerCost> rows = new ArrayList<>();
        for (NodeSpec node : network.nodes()) {
            LayerSpec layer = node.spec();
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
                Plan.activationBytes(network, ExecutionMode.MEMORY_EFFICIENT, 1));
    }

    /**
     * Table 3 counts the tensors that cross from one operator to the next under §5.1 inference. A block's
     * expanded tensors never do, and neither does a convolution's output that feeds straight into a
     * consumer which streams it: a t = 1 block's depthwise (the stem output plays that block's expansion)
     * or the global pooling (the last 1×1 conv is pooled as it is produced). The network input is not an
     * activation and is left out, as in the paper.
     */
    static List<Table3Row> table3(NetworkSpec network) {
        Map<String, Integer> maxChannels = new LinkedHashMap<>();
        Map<String, Long> positions = new LinkedHashMap<>();
        List<LayerSpec> layers = network.layers();
        for (int i = 0; i < layers.size(); i++) {
            LayerSpec layer = layers.get(i);
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

    private static boolean streamedIntoNext(LayerSpec layer, LayerSpec next) {
        if (!(layer instanceof ConvSpec)) {
            return false;
        }
        return next instanceof GlobalAveragePool
                || (next instanceof BlockSpec block && block.expand() == null);
    }

    private static String operator(LayerSpec layer) {
        if (layer instanceof ConvSpec conv) {
            String k = conv.kernel() + "x" + conv.kernel();
            return conv.isDepthwise() ? "conv2d " + k + " dw" : "conv2d " + k;
        }
        if (layer instanceof BlockSpec) return "bottleneck";
        if (layer instanceof GlobalAveragePool) return "avgpool";
        if (layer instanceof Dropout) return "dropout";
        if (layer instanceof DenseSpec) return "fc";
        if (layer instanceof AveragePool pool) return "avgpool " + pool.kernelHeight() + "x" + pool.kernelWidth();
        if (layer instanceof Concat) return "concat";
        if (layer instanceof ResizeBilinear) return "resize bilinear";
        if (layer instanceof ArgMax) return "argmax";
        return layer.getClass().getSimpleName();
    }

    private static String expansion(LayerSpec layer) {
        return layer instanceof BlockSpec block ? Integer.toString(block.expansion()) : "-";
    }

    private static String stride(LayerSpec layer) {
        if (layer instanceof ConvSpec conv) return Integer.toString(conv.stride());
        if (layer instanceof BlockSpec block) return Integer.toString(block.stride());
        return "-";
    }
}
