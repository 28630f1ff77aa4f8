package dev.mnv2.model;

import java.util.List;

/** The layer specs that one architecture-table row expands into. */
public record StageSpec(ArchitectureRow row, List<LayerSpec> layers) {
    public StageSpec {
        layers = List.copyOf(layers);
    }
}
