package dev.mnv2.model;

import java.util.Objects;

/**
 * The paper's inverted residual block with linear bottleneck: 1×1 expansion by factor t with ReLU6,
 * 3×3 depthwise with ReLU6, 1×1 projection with no non-linearity (unless the Fig. 6a ablation asks for
 * one), and a shortcut between the bottlenecks when stride is 1 and input and output shapes match.
 *
 * @param expand the 1×1 expansion, or null when t = 1 (the depthwise then runs on the input itself)
 */
public record InvertedResidual(
        String name, int expansion, Conv2d expand, Conv2d depthwise, Conv2d project, Shortcut shortcut)
        implements Layer {

    public InvertedResidual {
        Objects.requireNonNull(depthwise, "depthwise");
        Objects.requireNonNull(project, "project");
        specOf(name, expansion, expand, depthwise, project, shortcut); // validates
    }

    /** The block of {@code spec} with zero weights, and identity batch norms with {@code batchNormEpsilon}. */
    public static InvertedResidual zeros(BlockSpec spec, float batchNormEpsilon) {
        return new InvertedResidual(spec.name(), spec.expansion(),
                spec.expand() == null ? null : Conv2d.zeros(spec.expand(), batchNormEpsilon),
                Conv2d.zeros(spec.depthwise(), batchNormEpsilon), Conv2d.zeros(spec.project(), batchNormEpsilon),
                spec.shortcut());
    }

    @Override
    public BlockSpec spec() {
        return specOf(name, expansion, expand, depthwise, project, shortcut);
    }

    private static BlockSpec specOf(String name, int expansion, Conv2d expand, Conv2d depthwise, Conv2d project,
                                    Shortcut shortcut) {
        return new BlockSpec(name, expansion, expand == null ? null : expand.spec(), depthwise.spec(), project.spec(),
                shortcut);
    }

    public int inChannels() {
        return spec().inChannels();
    }

    public int outChannels() {
        return spec().outChannels();
    }

    public int hiddenChannels() {
        return spec().hiddenChannels();
    }

    public int stride() {
        return spec().stride();
    }

    /** True when the bottleneck shortcut x + F(x) is applied. */
    public boolean hasBottleneckResidual() {
        return spec().hasBottleneckResidual();
    }

    /** True when the expansion shortcut (expanded + depthwise(expanded)) is applied. */
    public boolean hasExpansionResidual() {
        return spec().hasExpansionResidual();
    }

    public InvertedResidual withConvs(Conv2d newExpand, Conv2d newDepthwise, Conv2d newProject) {
        return new InvertedResidual(name, expansion, newExpand, newDepthwise, newProject, shortcut);
    }

    /** Shape of the expanded tensor: the input of the depthwise convolution. */
    public Shape expandedShape(Shape input) {
        return spec().expandedShape(input);
    }
}
