package dev.mnv2.model;

import java.util.List;

/** The layers that one architecture-table row expands into. */
public record Stage(ArchitectureRow row, List<Layer> layers) {
    public Stage {
        layers = List.copyOf(layers);
    }

    /** What this stage computes, without its parameters. */
    public StageSpec spec() {
        return new StageSpec(row, layers.stream().map(Layer::spec).toList());
    }
}
