package dev.mnv2.model;

import java.util.List;
import java.util.Objects;

/**
 * One node of a {@link Network}: a layer and the tensors it reads. Its output tensor carries the layer's
 * name ({@code features.3}, {@code classifier.1}); the network's input is {@link Network#INPUT}.
 *
 * @param row the architecture-table row the layer was expanded from ({@code t, c, n, s}), or null for a
 *     layer no table describes (a head's)
 */
public record Node(Layer layer, List<String> inputs, ArchitectureRow row) {
    public Node {
        Objects.requireNonNull(layer, "layer");
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException(layer.name() + ": a node reads at least one tensor");
        }
    }

    public String name() {
        return layer.name();
    }

    Node withLayer(Layer replacement) {
        return new Node(replacement, inputs, row);
    }
}
