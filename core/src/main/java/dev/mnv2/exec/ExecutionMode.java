package dev.mnv2.exec;

/** How a plan runs the inverted residual blocks. */
public enum ExecutionMode {
    /**
     * The paper's §5.1: each block runs in row tiles (expansion, depthwise and projection per tile, keeping
     * the overlap rows the depthwise needs), so its expanded tensor is never materialised whole. Only the
     * bottleneck tensors between blocks and a few rows per thread are live. The late blocks whose tensors
     * together take at most a third of the largest bottleneck pair run layer by layer: tiles of their small
     * maps are too small to compute fast, and their whole tensors fit under the peak the early blocks set.
     */
    MEMORY_EFFICIENT,
    /** Every layer writes its whole output tensor before the next one starts: expanded tensors included. */
    LAYER_BY_LAYER
}
