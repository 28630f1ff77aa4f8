package dev.mnv2.model;

/** Where an inverted residual block places its residual connection (paper Fig. 6b). */
public enum Shortcut {
    /** Between the thin bottleneck tensors: the paper's design. */
    BOTTLENECK,
    /**
     * Between the expanded tensors: the expansion output (the block input when t = 1) is added to the
     * depthwise output, the classical "residual connects wide layers" placement.
     */
    EXPANSION,
    /** No residual connection at all. */
    NONE
}
