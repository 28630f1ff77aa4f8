package dev.mnv2.model;

import java.util.List;
import java.util.Objects;

/**
 * One node of a {@link NetworkSpec}: what a layer computes and the tensors it reads, without parameters.
 *
 * @param row the architecture-table row the layer was expanded from, or null for a head's layer
 */
public record NodeSpec(LayerSpec spec, List<String> inputs, ArchitectureRow row) {
    public NodeSpec {
        Objects.requireNonNull(spec, "spec");
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException(spec.name() + ": a node reads at least one tensor");
        }
    }

    public String name() {
        return spec.name();
    }
}
