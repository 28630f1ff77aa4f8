package dev.mnv2.model;

import java.util.Objects;

/**
 * What an {@link InvertedResidual} block computes, without its weights: its three convolutions and
 * where its shortcut goes.
 *
 * @param expand the 1×1 expansion, or null when t = 1 (the depthwise then runs on the input itself)
 */
public record BlockSpec(
        String name, int expansion, ConvSpec expand, ConvSpec depthwise, ConvSpec project, Shortcut shortcut)
        implements LayerSpec {

    public BlockSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(depthwise, "depthwise");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(shortcut, "shortcut");
        if (!depthwise.isDepthwise()) {
            throw new IllegalArgumentException(name + ": middle convolution must be depthwise");
        }
        if (expand != null && (!expand.isPointwise() || expand.outChannels() != depthwise.inChannels())) {
            throw new IllegalArgumentException(name + ": expansion must be 1x1 into " + depthwise.inChannels());
        }
        if (!project.isPointwise() || project.inChannels() != depthwise.outChannels()) {
            throw new IllegalArgumentException(name + ": projection must be 1x1 from " + depthwise.outChannels());
        }
    }

    public int inChannels() {
        return expand != null ? expand.inChannels() : depthwise.inChannels();
    }

    public int outChannels() {
        return project.outChannels();
    }

    public int hiddenChannels() {
        return depthwise.inChannels();
    }

    public int stride() {
        return depthwise.stride();
    }

    /** True when the bottleneck shortcut x + F(x) is applied. */
    public boolean hasBottleneckResidual() {
        return shortcut == Shortcut.BOTTLENECK && stride() == 1 && inChannels() == outChannels();
    }

    /** True when the expansion shortcut (expanded + depthwise(expanded)) is applied. */
    public boolean hasExpansionResidual() {
        return shortcut == Shortcut.EXPANSION && stride() == 1;
    }

    /** Shape of the expanded tensor: the input of the depthwise convolution. */
    public Shape expandedShape(Shape input) {
        return expand != null ? expand.outputShape(input) : input;
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.channels() != inChannels()) {
            throw new IllegalArgumentException(
                    name + ": expects " + inChannels() + " input channels, got " + input.channels());
        }
        return project.outputShape(depthwise.outputShape(expandedShape(input)));
    }

    @Override
    public long parameters() {
        return (expand == null ? 0 : expand.parameters()) + depthwise.parameters() + project.parameters();
    }

    @Override
    public long parametersWithoutBatchNorm() {
        return (expand == null ? 0 : expand.parametersWithoutBatchNorm())
                + depthwise.parametersWithoutBatchNorm() + project.parametersWithoutBatchNorm();
    }

    @Override
    public long macs(Shape input) {
        Shape expanded = expandedShape(input);
        return (expand == null ? 0 : expand.macs(input))
                + depthwise.macs(expanded) + project.macs(depthwise.outputShape(expanded));
    }
}
