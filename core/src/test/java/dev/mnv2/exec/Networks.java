package dev.mnv2.exec;

import dev.mnv2.model.ArchitectureRow;
import dev.mnv2.model.Layer;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.Shape;
import java.util.ArrayList;
import java.util.List;

/** Test networks made of arbitrary layers, so single layers and blocks run through the real plan. */
final class Networks {
    private Networks() {}

    static Network of(Shape input, Layer... layers) {
        ArchitectureRow row = new ArchitectureRow("test", 0, 0, 1, 1);
        List<Node> chain = new ArrayList<>();
        for (Layer layer : layers) {
            chain.add(new Node(layer, List.of(chain.isEmpty() ? Network.INPUT : chain.get(chain.size() - 1).name()), row));
        }
        return Network.sequential(MobileNetV2.builder().config(), input, chain, List.of());
    }

    /** Every way to run a network: both kernel sets, both modes, one and three threads. */
    static List<Predictor> allPredictors(Network network) {
        List<Predictor> all = new java.util.ArrayList<>();
        for (boolean vector : new boolean[] {true, false}) {
            for (ExecutionMode mode : ExecutionMode.values()) {
                for (int threads : new int[] {1, 3}) {
                    all.add(Predictor.builder(network).vectorized(vector).mode(mode).threads(threads).build());
                }
            }
        }
        return all;
    }

    static String describe(Predictor p) {
        return (p.vectorized() ? "vector" : "scalar") + "/" + p.plan().mode() + "/" + p.threads() + " threads";
    }
}
