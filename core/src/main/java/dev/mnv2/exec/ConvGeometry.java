package dev.mnv2.exec;

import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Padding;

/** The resolved shape arithmetic of a convolution on one input size: what the kernels need besides data. */
record ConvGeometry(int kernel, int stride, int dilation, int groups, int outC, int padTop, int padLeft,
                    int outH, int outW) {
    static ConvGeometry of(ConvSpec conv, int inH, int inW) {
        Padding.Axis rows = conv.resolve(inH);
        Padding.Axis cols = conv.resolve(inW);
        return new ConvGeometry(conv.kernel(), conv.stride(), conv.dilation(), conv.groups(), conv.outChannels(),
                rows.before(), cols.before(), rows.output(), cols.output());
    }

    /** First input row that output row {@code oy} reads (may be negative: padding). */
    int firstInputRow(int oy) {
        return oy * stride - padTop;
    }

    /** Last input row that output row {@code oy} reads (may be past the input: padding). */
    int lastInputRow(int oy) {
        return oy * stride - padTop + (kernel - 1) * dilation;
    }
}
