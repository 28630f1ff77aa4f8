package dev.mnv2.analysis;

import dev.mnv2.model.Shape;

/**
 * One row of the per-layer cost table.
 *
 * @param t expansion factor ("-" when not a bottleneck)
 * @param c output channels
 * @param n repeats of the architecture-table row this layer belongs to
 * @param s stride of this layer
 */
public record LayerCost(
        String name, String operator, Shape input, Shape output, String t, String c, String n, String s,
        long params, long paramsWithoutBatchNorm, long macs) {}
