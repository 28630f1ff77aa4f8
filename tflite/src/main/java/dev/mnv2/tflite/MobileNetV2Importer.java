package dev.mnv2.tflite;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.load.ArchitectureFit;
import dev.mnv2.load.InputSpec;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.WeightLayout;
import dev.mnv2.model.Activation;
import dev.mnv2.model.BlockSpec;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.Dense;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkConfig;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shortcut;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * Maps a TFLite graph onto {@link MobileNetV2#create} or {@link DeepLabV3#create}: follows the data flow
 * from the input through stem and inverted residual blocks (with their residual ADDs), then either the
 * classifier (last 1×1 conv, pooling, logits and softmax) or, where the feature map feeds both an
 * AVERAGE_POOL_2D and a 1×1 conv, Mobile DeepLabv3's head (image pooling, CONCATENATION, projection, logits,
 * RESIZE_BILINEAR, ARG_MAX); infers width, resolution, output stride (from the strides and dilations),
 * expansion, class count, head channels and bottleneck activation from the tensors; checks every
 * convolution against the architecture ({@link ArchitectureFit}); and builds the network with the
 * dequantised weights ({@link WeightLayout}: OHWI, and 1HWC for depthwise).
 * QUANTIZE and DEQUANTIZE between activations are the identity in float execution; softmax and argmax at
 * the end are the tasks' (classification, segmentation), so the network ends in the logits.
 */
final class MobileNetV2Importer {
    /**
     * One convolution as the file states it, its weights dequantised in the file's layout.
     *
     * @param clampFromRange the activation is not stated but implied by the output's quantisation range
     * @param layout OHWI, or HWIO for a depthwise convolution's {@code [1][k][k][C]}
     */
    private record ConvOp(TfliteGraph.Op op, int kernel, int stride, int dilation, int in, int out,
                          boolean depthwise, Activation activation, boolean clampFromRange, float[] weight,
                          WeightLayout layout, float[] bias, int inputTensor, int outputTensor) {
        String describe() {
            return op.describe() + " " + kernel + "x" + kernel + "/" + stride + (dilation > 1 ? " dilation "
                    + dilation : "") + " " + in + "->" + out + (depthwise ? " depthwise" : "") + " " + activation;
        }
    }

    /** A RESIZE_BILINEAR to {@code height × width}. */
    private record Resize(TfliteGraph.Op op, int height, int width, boolean alignCorners, boolean halfPixelCenters,
                          int outputTensor) {}

    private record Block(ConvOp expand, ConvOp depthwise, ConvOp project, TfliteGraph.Op add) {}

    private final TfliteGraph graph;
    private final int[] producer;
    private final List<List<TfliteGraph.Op>> consumers;
    private final boolean[] visited;
    private final List<String> weightTypes = new ArrayList<>();

    private MobileNetV2Importer(TfliteGraph graph) {
        this.graph = graph;
        int n = graph.tensors.size();
        producer = new int[n];
        Arrays.fill(producer, -1);
        consumers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            consumers.add(new ArrayList<>(2));
        }
        for (TfliteGraph.Op op : graph.ops) {
            for (int t : op.outputs()) {
                producer[t] = op.index();
            }
            for (int t : op.inputs()) {
                if (t >= 0 && !consumers.get(t).contains(op)) {
                    consumers.get(t).add(op);
                }
            }
        }
        visited = new boolean[graph.ops.size()];
    }

    static TfliteModel importModel(TfliteGraph graph, List<String> labels) throws TfliteFormatException {
        return new MobileNetV2Importer(graph).run(labels);
    }

    private TfliteModel run(List<String> labels) throws TfliteFormatException {
        if (graph.inputs.length != 1 || graph.outputs.length != 1) {
            throw unsupported("the graph has " + graph.inputs.length + " inputs and " + graph.outputs.length
                    + " outputs; an image classifier has one of each");
        }
        TfliteGraph.TensorInfo input = graph.tensors.get(graph.inputs[0]);
        int[] s = input.shape();
        if (s.length != 4 || s[0] != 1 || s[3] != 3) {
            throw unsupported("input " + input.describe() + " is not one RGB image [1, height, width, 3]");
        }
        PixelScaling scaling = inputScaling(input);

        int current = skipQuantization(input.index());
        ConvOp stem = conv(single(current, "the stem convolution"), current, false);
        current = skipQuantization(stem.outputTensor());

        List<Block> blocks = new ArrayList<>();
        ConvOp last;
        while (true) {
            List<TfliteGraph.Op> readers = consumers.get(current).stream().filter(op -> op.code() != Schema.ADD).toList();
            if (!blocks.isEmpty() && readers.size() == 2
                    && readers.stream().anyMatch(op -> op.code() == Schema.AVERAGE_POOL_2D)) {
                return segmentation(s, scaling, labels, stem, blocks, current, readers);
            }
            TfliteGraph.Op next = mainConsumer(current, "the next inverted residual block");
            if (next.code() == Schema.CONV_2D && !startsBlock(next)) {
                last = conv(next, current, false);
                current = skipQuantization(last.outputTensor());
                break;
            }
            Block block = block(next, current);
            blocks.add(block);
            current = skipQuantization(block.add() != null ? block.add().outputs()[0] : block.project().outputTensor());
        }

        current = skipQuantization(pool(current));
        TfliteGraph.Op logitsOp = mainConsumer(current, "the logits layer");
        ConvOp logits = logitsOp.code() == Schema.FULLY_CONNECTED ? fullyConnected(logitsOp, current)
                : conv(logitsOp, current, false);
        if (logits.kernel() != 1 || logits.activation() != Activation.IDENTITY && !logits.clampFromRange()) {
            throw unsupported(logits.describe() + " is not a linear 1x1 logits layer");
        }
        current = logits.outputTensor();
        current = tail(current);
        if (current != graph.outputs[0]) {
            throw unsupported("the classifier ends in tensor #" + current + " but the graph output is tensor #"
                    + graph.outputs[0]);
        }
        for (TfliteGraph.Op op : graph.ops) {
            if (!visited[op.index()]) {
                throw unsupported(op.describe() + " is not part of a MobileNetV2 classifier");
            }
        }
        return model(build(s[1], s[2], stem, blocks, last, logits), scaling, labels);
    }

    /** The loaded model of {@code network}, with the embedded labels when there is one per class. */
    private TfliteModel model(Network network, PixelScaling scaling, List<String> labels) {
        InputSpec input = new InputSpec(network.input().height(), network.input().width(), scaling,
                labels.size() == network.classes() ? labels : List.of());
        return new TfliteModel(new LoadedModel(network, input), weightTypes.stream().distinct()
                .reduce((a, b) -> a + "+" + b).orElse("float32"));
    }

    private Network build(int height, int width, ConvOp stem, List<Block> blocks, ConvOp last, ConvOp logits)
            throws TfliteFormatException {
        if (blocks.isEmpty()) {
            throw unsupported("no inverted residual block follows the stem " + stem.describe());
        }
        int expansion = 0;
        if (blocks.size() > 1 && blocks.get(1).expand() != null) {
            Block second = blocks.get(1);
            int in = second.expand().in();
            int hidden = second.expand().out();
            if (hidden % in == 0 && hidden / in != 6) {
                expansion = hidden / in;
            }
        }
        // A linear layer may have a range starting at 0 by chance of calibration: only a stated activation counts.
        ConvOp firstProjection = blocks.get(0).project();
        Activation bottleneck = firstProjection.clampFromRange() ? Activation.IDENTITY : firstProjection.activation();
        boolean anyAdd = blocks.stream().anyMatch(b -> b.add() != null);
        MobileNetV2.Builder builder = MobileNetV2.builder()
                .resolution(height, width)
                .classes(logits.out())
                .expansion(expansion)
                .bottleneck(bottleneck)
                .shortcut(anyAdd ? Shortcut.BOTTLENECK : Shortcut.NONE)
                .padding(Padding.same())
                .outputStride(outputStride(stem, blocks));

        List<ConvOp> fileConvs = backboneConvs(stem, blocks);
        fileConvs.add(last);
        return fitAndBind(fileConvs, blocks, logits, alpha -> builder.width(alpha).config());
    }

    private static List<ConvOp> backboneConvs(ConvOp stem, List<Block> blocks) {
        List<ConvOp> fileConvs = new ArrayList<>();
        fileConvs.add(stem);
        for (Block b : blocks) {
            if (b.expand() != null) {
                fileConvs.add(b.expand());
            }
            fileConvs.add(b.depthwise());
            fileConvs.add(b.project());
        }
        return fileConvs;
    }

    /**
     * The output stride the file's strides give: their product, which is 32 for Table 2 and less where a
     * DeepLab backbone turned the last strides into dilations (the dilations are checked with the shapes).
     */
    private static int outputStride(ConvOp stem, List<Block> blocks) throws TfliteFormatException {
        long product = stem.stride();
        for (Block b : blocks) {
            product *= b.depthwise().stride();
        }
        if (product != 8 && product != 16 && product != 32) {
            throw unsupported("its strides multiply to " + product + "; MobileNetV2 has an output stride of 8, 16"
                    + " or 32");
        }
        return (int) product;
    }

    /**
     * The network of {@code configAt}'s architecture, at the width the file's channels give
     * ({@link ArchitectureFit#width}), built with the file's weights after checking every convolution's shape
     * and activation and every residual ADD; {@code logits}, when given, become the classifier.
     */
    private Network fitAndBind(List<ConvOp> fileConvs, List<Block> blocks, ConvOp logits,
                               DoubleFunction<? extends NetworkConfig> configAt) throws TfliteFormatException {
        long stored = 0;
        List<ConvOp> all = new ArrayList<>(fileConvs);
        if (logits != null) {
            all.add(logits);
        }
        for (ConvOp c : all) {
            stored += c.weight().length + c.bias().length;
        }
        int[] channels = fileConvs.stream().mapToInt(ConvOp::out).toArray();
        NetworkConfig config;
        try {
            config = ArchitectureFit.width(configAt, channels, stored, spec -> shapeMismatch(spec, fileConvs));
        } catch (IllegalArgumentException e) {
            throw unsupported(e.getMessage());
        }
        NetworkSpec spec = config.spec();
        List<ConvSpec> convs = spec.convolutions();
        String arch = String.format(Locale.ROOT, "MobileNetV2 width %s", config.width());
        Map<String, ConvOp> byName = new HashMap<>();
        for (int i = 0; i < convs.size(); i++) {
            ConvSpec expected = convs.get(i);
            ConvOp actual = fileConvs.get(i);
            boolean linearWithClippedRange = actual.clampFromRange() && expected.activation() == Activation.IDENTITY;
            if (expected.activation() != actual.activation() && !linearWithClippedRange) {
                throw unsupported(actual.describe() + " has fused activation " + actual.activation() + " where "
                        + arch + " has " + expected.activation() + " (" + expected.name() + ")");
            }
            byName.put(expected.name(), actual);
        }
        List<BlockSpec> archBlocks = spec.layers().stream()
                .filter(l -> l instanceof BlockSpec).map(l -> (BlockSpec) l).toList();
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            BlockSpec expected = archBlocks.get(i);
            boolean residual = expected.hasBottleneckResidual();
            if (residual != (b.add() != null)) {
                throw unsupported(expected.name() + " (" + b.project().op().describe() + ") "
                        + (residual ? "lacks the residual ADD MobileNetV2 has there" : "has an unexpected residual ADD"));
            }
        }
        return spec.create(new NetworkSpec.Parameters<TfliteFormatException>() {
            @Override
            public Conv2d conv(ConvSpec conv) {
                ConvOp c = byName.get(conv.name());
                return c.layout().conv(conv, c.weight(), c.bias(), null);
            }

            @Override
            public Dense dense(DenseSpec dense) throws TfliteFormatException {
                if (logits == null || logits.in() != dense.inFeatures() || logits.out() != dense.outFeatures()) {
                    throw unsupported((logits == null ? "the graph" : logits.describe()) + " does not map "
                            + dense.inFeatures() + " pooled features to " + dense.outFeatures() + " classes");
                }
                // The 1x1 logits conv and FULLY_CONNECTED both store [out][in]: OHWI of a 1x1 kernel.
                return logits.layout().dense(dense, logits.weight(), logits.bias());
            }
        });
    }

    /** Why the file's convolutions do not have the shapes of {@code spec}'s, or null when they do. */
    private static String shapeMismatch(NetworkSpec spec, List<ConvOp> actual) {
        List<ConvSpec> expected = spec.convolutions();
        String arch = String.format(Locale.ROOT, "MobileNetV2 width %s", spec.config().width());
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            ConvSpec e = expected.get(i);
            ConvOp a = actual.get(i);
            if (e.kernel() != a.kernel() || e.stride() != a.stride() || e.dilation() != a.dilation()
                    || e.inChannels() != a.in() || e.outChannels() != a.out() || e.isDepthwise() != a.depthwise()) {
                return a.describe() + " does not fit " + arch + ", whose " + describe(e);
            }
        }
        if (expected.size() != actual.size()) {
            return "the file has " + actual.size() + " convolutions, " + arch + " has " + expected.size();
        }
        return null;
    }

    /** A convolution of the architecture in the words of {@link ConvOp#describe()}. */
    private static String describe(ConvSpec c) {
        return c.name() + " is " + c.kernel() + "x" + c.kernel() + "/" + c.stride()
                + (c.dilation() > 1 ? " dilation " + c.dilation() : "") + " " + c.inChannels() + "->"
                + c.outChannels() + (c.isDepthwise() ? " depthwise" : "");
    }

    private Block block(TfliteGraph.Op first, int blockInput) throws TfliteFormatException {
        ConvOp expand = null;
        int current = blockInput;
        TfliteGraph.Op op = first;
        if (op.code() == Schema.CONV_2D) {
            expand = conv(op, current, false);
            if (expand.kernel() != 1) {
                throw unsupported(expand.describe() + " is not a 1x1 expansion");
            }
            current = skipQuantization(expand.outputTensor());
            op = single(current, "the depthwise convolution");
        }
        int[] pad = null;
        if (op.code() == Schema.PAD) {
            pad = padding(op, current);
            current = skipQuantization(op.outputs()[0]);
            op = single(current, "the depthwise convolution");
        }
        if (op.code() != Schema.DEPTHWISE_CONV_2D) {
            throw unsupported(op.describe() + " does not fit MobileNetV2: expected DEPTHWISE_CONV_2D");
        }
        ConvOp depthwise = conv(op, current, pad != null);
        if (pad != null) {
            checkPadMatchesSame(op, pad, graph.tensors.get(current).shape(), depthwise);
        }
        current = skipQuantization(depthwise.outputTensor());
        TfliteGraph.Op projectOp = single(current, "the projection");
        if (projectOp.code() != Schema.CONV_2D) {
            throw unsupported(projectOp.describe() + " does not fit MobileNetV2: expected the 1x1 projection CONV_2D");
        }
        ConvOp project = conv(projectOp, current, false);
        if (project.kernel() != 1) {
            throw unsupported(project.describe() + " is not a 1x1 projection");
        }
        TfliteGraph.Op add = null;
        List<TfliteGraph.Op> after = consumers.get(project.outputTensor());
        if (after.size() == 1 && after.get(0).code() == Schema.ADD) {
            add = after.get(0);
            int[] in = add.inputs();
            boolean matches = in.length == 2 && add.outputs().length == 1
                    && ((in[0] == project.outputTensor() && in[1] == blockInput)
                    || (in[1] == project.outputTensor() && in[0] == blockInput));
            if (!matches) {
                throw unsupported(add.describe() + " does not add the block input to its projection");
            }
            checkOptions(add, Schema.ADD_OPTIONS);
            if (add.options() != null && add.options().firstFieldActivation() != Schema.ACT_NONE) {
                throw unsupported(add.describe() + " has a fused activation; MobileNetV2's residual add is linear");
            }
            checkSameShape(add, blockInput, add.outputs()[0]);
            visit(add);
        }
        return new Block(expand, depthwise, project, add);
    }

    /**
     * Mobile DeepLabv3's head on the feature map {@code features}, read by an AVERAGE_POOL_2D (image pooling)
     * and a 1×1 CONV_2D: pooling over the whole map, 1×1 conv, RESIZE_BILINEAR back, CONCATENATION (pooling
     * branch first), 1×1 projection, 1×1 logits, RESIZE_BILINEAR to the input size (after any resize that
     * keeps the size), then an optional ARG_MAX over the classes.
     */
    private TfliteModel segmentation(int[] input, PixelScaling scaling, List<String> labels, ConvOp stem,
                                     List<Block> blocks, int features,
                                     List<TfliteGraph.Op> readers) throws TfliteFormatException {
        TfliteGraph.Op poolOp = readers.stream().filter(op -> op.code() == Schema.AVERAGE_POOL_2D).findFirst()
                .orElseThrow();
        TfliteGraph.Op asppOp = readers.get(readers.get(0) == poolOp ? 1 : 0);
        int[] map = shape4(features, poolOp);
        checkOptions(poolOp, Schema.POOL_2D_OPTIONS);
        Schema.Options po = poolOp.options();
        int[] pooledShape = shape4(poolOp.outputs()[0], poolOp);
        if (po == null || po.poolFilterH() != map[1] || po.poolFilterW() != map[2] || po.padding() != Schema.VALID
                || po.poolActivation() != Schema.ACT_NONE || pooledShape[1] != 1 || pooledShape[2] != 1
                || pooledShape[3] != map[3] || poolOp.inputs()[0] != features) {
            throw unsupported(poolOp.describe() + " does not average the whole " + map[1] + "x" + map[2]
                    + " feature map (image pooling)");
        }
        visit(poolOp);
        int pooled = skipQuantization(poolOp.outputs()[0]);
        ConvOp aspp = conv(asppOp, features, false);
        ConvOp poolConv = conv(single(pooled, "the image pooling's 1x1 convolution"), pooled, false);
        Resize poolUp = resize(single(skipQuantization(poolConv.outputTensor()), "the image pooling's resize"),
                skipQuantization(poolConv.outputTensor()));
        if (poolUp.height() != map[1] || poolUp.width() != map[2]) {
            throw unsupported(poolUp.op().describe() + " resizes the pooled features to " + poolUp.height() + "x"
                    + poolUp.width() + ", not to the " + map[1] + "x" + map[2] + " feature map");
        }
        int branch = skipQuantization(poolUp.outputTensor());
        int direct = skipQuantization(aspp.outputTensor());
        TfliteGraph.Op concat = single(branch, "the concatenation");
        checkOptions(concat, Schema.CONCATENATION_OPTIONS);
        if (concat.code() != Schema.CONCATENATION || concat.options() == null
                || !Arrays.equals(concat.inputs(), new int[] {branch, direct}) || concat.outputs().length != 1
                || (concat.options().concatAxis() != 3 && concat.options().concatAxis() != -1)
                || concat.options().concatActivation() != Schema.ACT_NONE) {
            throw unsupported(concat.describe() + " does not concatenate the image pooling and the 1x1 conv"
                    + " branches along channels, in that order");
        }
        int[] catShape = shape4(concat.outputs()[0], concat);
        if (catShape[1] != map[1] || catShape[2] != map[2] || catShape[3] != poolConv.out() + aspp.out()) {
            throw new TfliteFormatException(concat.describe() + ": output " + Arrays.toString(catShape)
                    + " is not its inputs side by side");
        }
        visit(concat);
        int current = skipQuantization(concat.outputs()[0]);
        ConvOp project = conv(single(current, "the projection"), current, false);
        current = skipQuantization(project.outputTensor());
        ConvOp logits = conv(single(current, "the logits"), current, false);
        current = skipQuantization(logits.outputTensor());
        for (ConvOp c : List.of(aspp, poolConv, project, logits)) {
            if (c.kernel() != 1 || c.depthwise()) {
                throw unsupported(c.describe() + " is not a 1x1 convolution of the segmentation head");
            }
        }
        Resize upsample = null;
        while (current != graph.outputs[0] && single(current, "the upsampling").code() == Schema.RESIZE_BILINEAR) {
            Resize r = resize(single(current, "the upsampling"), current);
            int[] from = shape4(current, r.op());
            boolean keepsSize = r.height() == from[1] && r.width() == from[2];
            if (!keepsSize) {
                if (upsample != null) {
                    throw unsupported(r.op().describe() + " resizes the logits a second time");
                }
                upsample = r;
            } else if (r.alignCorners() != poolUp.alignCorners() && r.halfPixelCenters()) {
                throw unsupported(r.op().describe() + " keeps the size but shifts the pixels (half-pixel centres)");
            }
            current = skipQuantization(r.outputTensor());
        }
        if (upsample == null || upsample.height() != input[1] || upsample.width() != input[2]) {
            throw unsupported("the logits are not resized to the " + input[1] + "x" + input[2] + " input");
        }
        for (Resize r : List.of(poolUp, upsample)) {
            if (r.alignCorners() == r.halfPixelCenters()) {
                throw unsupported(r.op().describe() + " resizes with align_corners " + r.alignCorners()
                        + " and half_pixel_centers " + r.halfPixelCenters() + "; the head uses one of the two");
            }
        }
        if (poolUp.alignCorners() != upsample.alignCorners()) {
            throw unsupported(upsample.op().describe() + " and " + poolUp.op().describe()
                    + " resize with different corner conventions");
        }
        if (current != graph.outputs[0]) {
            TfliteGraph.Op argmax = single(current, "the argmax over the classes");
            if (argmax.code() != Schema.ARG_MAX || argmax.inputs().length != 2 || argmax.outputs().length != 1) {
                throw unsupported(argmax.describe() + " does not fit Mobile DeepLabv3: expected ARG_MAX after the"
                        + " upsampled logits");
            }
            int[] axis = intConstant(argmax.inputs()[1], argmax);
            if (axis.length != 1 || (axis[0] != 3 && axis[0] != -1)) {
                throw unsupported(argmax.describe() + " is over axis " + Arrays.toString(axis) + ", not the classes");
            }
            visit(argmax);
            current = argmax.outputs()[0];
        }
        if (current != graph.outputs[0]) {
            throw unsupported("the segmentation ends in tensor #" + current + " but the graph output is tensor #"
                    + graph.outputs[0]);
        }
        for (TfliteGraph.Op op : graph.ops) {
            if (!visited[op.index()]) {
                throw unsupported(op.describe() + " is not part of Mobile DeepLabv3");
            }
        }
        int outputStride = outputStride(stem, blocks);
        DeepLabV3.Builder builder = DeepLabV3.builder().resolution(input[1], input[2]).classes(logits.out())
                .outputStride(outputStride).headChannels(aspp.out()).alignCorners(poolUp.alignCorners())
                .padding(Padding.same());
        if (poolConv.out() != aspp.out() || project.out() != aspp.out()) {
            throw unsupported(poolConv.describe() + " and " + project.describe() + " do not have the "
                    + aspp.out() + " channels of " + aspp.describe());
        }
        List<ConvOp> fileConvs = backboneConvs(stem, blocks);
        fileConvs.addAll(List.of(aspp, poolConv, project, logits));
        return model(fitAndBind(fileConvs, blocks, null, alpha -> builder.width(alpha).config()), scaling, labels);
    }

    /** A RESIZE_BILINEAR of {@code input} to the constant size its second input gives. */
    private Resize resize(TfliteGraph.Op op, int input) throws TfliteFormatException {
        if (op.code() != Schema.RESIZE_BILINEAR || op.inputs().length != 2 || op.inputs()[0] != input
                || op.outputs().length != 1) {
            throw unsupported(op.describe() + " does not fit Mobile DeepLabv3: expected RESIZE_BILINEAR of tensor #"
                    + input);
        }
        checkOptions(op, Schema.RESIZE_BILINEAR_OPTIONS);
        int[] size = intConstant(op.inputs()[1], op);
        int[] in = shape4(input, op);
        int[] out = shape4(op.outputs()[0], op);
        if (size.length != 2 || size[0] != out[1] || size[1] != out[2] || out[3] != in[3]) {
            throw new TfliteFormatException(op.describe() + ": output " + Arrays.toString(out)
                    + " is not its input resized to " + Arrays.toString(size));
        }
        Schema.Options o = op.options();
        boolean align = o != null && o.resizeAlignCorners();
        boolean half = o != null && o.resizeHalfPixelCenters();
        visit(op);
        return new Resize(op, size[0], size[1], align, half, op.outputs()[0]);
    }

    /** A CONV_2D or DEPTHWISE_CONV_2D reading {@code input}; {@code padded} when a PAD op came before it. */
    private ConvOp conv(TfliteGraph.Op op, int input, boolean padded) throws TfliteFormatException {
        boolean depthwise = op.code() == Schema.DEPTHWISE_CONV_2D;
        if (op.code() != Schema.CONV_2D && !depthwise) {
            throw unsupported(op.describe() + " does not fit MobileNetV2: expected CONV_2D");
        }
        checkOptions(op, depthwise ? Schema.DEPTHWISE_CONV_2D_OPTIONS : Schema.CONV_2D_OPTIONS);
        Schema.Options o = op.options();
        if (o == null) {
            throw new TfliteFormatException(op.describe() + " has no options");
        }
        int[] in = op.inputs();
        if (in.length < 2 || in[0] != input || in[1] < 0 || op.outputs().length != 1) {
            throw unsupported(op.describe() + " does not take tensor #" + input + " and weights as its inputs");
        }
        int[] x = shape4(input, op);
        int strideW = o.strideW();
        int strideH = o.strideH();
        int dilationW = depthwise ? o.depthwiseDilationW() : o.convDilationW();
        int dilationH = depthwise ? o.depthwiseDilationH() : o.convDilationH();
        int activationCode = depthwise ? o.depthwiseActivation() : o.convActivation();
        if (strideW != strideH || strideW < 1 || strideW > 2) {
            throw unsupported(op.describe() + " has strides " + strideH + "x" + strideW
                    + "; MobileNetV2 uses equal strides of 1 or 2");
        }
        if (dilationW != dilationH || dilationW < 1 || dilationW > 16) {
            throw unsupported(op.describe() + " has dilations " + dilationH + "x" + dilationW
                    + "; MobileNetV2 uses equal dilations (1 except past a DeepLab output stride)");
        }
        TfliteGraph.TensorInfo weights = tensor(in[1]);
        int[] w = weights.shape();
        if (w.length != 4 || w[1] != w[2] || w[1] < 1 || w[1] > 7) {
            throw unsupported(op.describe() + ": weights " + weights.describe() + " are not a square kernel");
        }
        int kernel = w[1];
        int channelsIn = x[3];
        int channelsOut;
        if (depthwise) {
            if (w[0] != 1) {
                throw new TfliteFormatException(op.describe() + ": depthwise weights must be [1, k, k, C], got "
                        + Arrays.toString(w));
            }
            channelsOut = w[3];
            if (channelsOut != channelsIn || o.depthMultiplier() > 1) {
                throw unsupported(op.describe() + " has depth multiplier " + channelsOut / Math.max(1, channelsIn)
                        + "; MobileNetV2's depthwise convolutions have 1");
            }
        } else {
            channelsOut = w[0];
            if (w[3] != channelsIn) {
                throw unsupported(op.describe() + ": weights " + Arrays.toString(w) + " do not match "
                        + channelsIn + " input channels (grouped convolutions are not MobileNetV2)");
            }
        }
        int paddingType = o.padding();
        if (padded) {
            if (paddingType != Schema.VALID) {
                throw unsupported(op.describe() + " pads twice (PAD before a SAME convolution)");
            }
        } else if (paddingType != Schema.SAME && kernel != 1) {
            throw unsupported(op.describe() + " has VALID padding; MobileNetV2 uses SAME");
        }
        // SAME: ceil(in / stride); after an explicit PAD the conv is VALID on the padded input.
        int effective = (kernel - 1) * dilationW + 1;
        int outH = padded ? (x[1] - effective) / strideW + 1 : (x[1] + strideW - 1) / strideW;
        int outW = padded ? (x[2] - effective) / strideW + 1 : (x[2] + strideW - 1) / strideW;
        int output = op.outputs()[0];
        int[] y = shape4(output, op);
        if (y[1] != outH || y[2] != outW || y[3] != channelsOut) {
            throw new TfliteFormatException(op.describe() + ": output " + tensor(output).describe()
                    + " does not match its input " + Arrays.toString(x) + " and weights " + Arrays.toString(w));
        }
        float[] raw = constant(in[1], op, "weights");
        float[] bias = in.length > 2 && in[2] >= 0 ? constant(in[2], op, "bias") : new float[channelsOut];
        if (bias.length != channelsOut) {
            throw new TfliteFormatException(op.describe() + ": bias has " + bias.length + " values for "
                    + channelsOut + " output channels");
        }
        visit(op);
        Activation activation = activation(op, activationCode);
        // Some converters leave the activation as its own RELU6 / RELU operator: fuse it back.
        List<TfliteGraph.Op> next = consumers.get(output);
        if (activation == Activation.IDENTITY && next.size() == 1 && output != graph.outputs[0]
                && (next.get(0).code() == Schema.RELU6 || next.get(0).code() == Schema.RELU)) {
            TfliteGraph.Op relu = next.get(0);
            if (relu.inputs().length != 1 || relu.outputs().length != 1) {
                throw new TfliteFormatException(relu.describe() + " must have one input and one output");
            }
            checkSameShape(relu, output, relu.outputs()[0]);
            visit(relu);
            activation = relu.code() == Schema.RELU6 ? Activation.RELU6 : Activation.RELU;
            output = relu.outputs()[0];
        }
        boolean fromRange = false;
        if (activation == Activation.IDENTITY) {
            activation = clampOfQuantizedOutput(tensor(output));
            fromRange = activation != Activation.IDENTITY;
        }
        return new ConvOp(op, kernel, strideW, dilationW, channelsIn, channelsOut, depthwise, activation, fromRange,
                raw, depthwise ? WeightLayout.HWIO : WeightLayout.OHWI, bias, input, output);
    }

    /** FULLY_CONNECTED logits (weights [out][in]) as the equivalent 1x1 convolution. */
    private ConvOp fullyConnected(TfliteGraph.Op op, int input) throws TfliteFormatException {
        checkOptions(op, Schema.FULLY_CONNECTED_OPTIONS);
        int[] in = op.inputs();
        if (in.length < 2 || in[0] != input || in[1] < 0 || op.outputs().length != 1) {
            throw unsupported(op.describe() + " does not take tensor #" + input + " and weights as its inputs");
        }
        Schema.Options o = op.options();
        int activationCode = o == null ? Schema.ACT_NONE : o.firstFieldActivation();
        if (o != null && o.fullyConnectedWeightsFormat() != 0) {
            throw unsupported(op.describe() + " uses a shuffled weights format");
        }
        TfliteGraph.TensorInfo weights = tensor(in[1]);
        int[] w = weights.shape();
        long features = tensor(input).elements();
        if (w.length != 2 || w[1] != features) {
            throw unsupported(op.describe() + ": weights " + weights.describe() + " do not match " + features
                    + " input features");
        }
        if (tensor(op.outputs()[0]).elements() != w[0]) {
            throw new TfliteFormatException(op.describe() + ": output does not have " + w[0] + " values");
        }
        float[] raw = constant(in[1], op, "weights");
        float[] bias = in.length > 2 && in[2] >= 0 ? constant(in[2], op, "bias") : new float[w[0]];
        if (bias.length != w[0]) {
            throw new TfliteFormatException(op.describe() + ": bias has " + bias.length + " values for " + w[0]
                    + " outputs");
        }
        visit(op);
        return new ConvOp(op, 1, 1, 1, w[1], w[0], false, activation(op, activationCode), false,
                raw, WeightLayout.OHWI, bias, input, op.outputs()[0]);
    }

    /** Global average pooling: AVERAGE_POOL_2D over the whole map, or MEAN over height and width. */
    private int pool(int input) throws TfliteFormatException {
        TfliteGraph.Op op = single(input, "global average pooling");
        int[] x = shape4(input, op);
        if (op.inputs().length < 1 || op.inputs()[0] != input || op.outputs().length != 1) {
            throw unsupported(op.describe() + " does not pool tensor #" + input);
        }
        if (op.code() == Schema.AVERAGE_POOL_2D) {
            checkOptions(op, Schema.POOL_2D_OPTIONS);
            Schema.Options o = op.options();
            if (o == null || o.poolFilterH() != x[1] || o.poolFilterW() != x[2]
                    || o.poolActivation() != Schema.ACT_NONE) {
                throw unsupported(op.describe() + " does not average the whole " + x[1] + "x" + x[2] + " map");
            }
        } else if (op.code() == Schema.MEAN) {
            int[] axes = op.inputs().length == 2 ? intConstant(op.inputs()[1], op) : new int[0];
            int[] sorted = Arrays.stream(axes).map(a -> a < 0 ? a + 4 : a).sorted().toArray();
            if (!Arrays.equals(sorted, new int[] {1, 2})) {
                throw unsupported(op.describe() + " averages over axes " + Arrays.toString(axes)
                        + ", not height and width");
            }
        } else {
            throw unsupported(op.describe() + " does not fit MobileNetV2: expected global average pooling"
                    + " (AVERAGE_POOL_2D or MEAN) after the last 1x1 convolution");
        }
        if (tensor(op.outputs()[0]).elements() != x[3]) {
            throw new TfliteFormatException(op.describe() + ": output does not have " + x[3] + " values");
        }
        visit(op);
        return op.outputs()[0];
    }

    /** After the logits: reshapes, softmax and (de)quantisation, up to the graph output. */
    private int tail(int current) throws TfliteFormatException {
        long classes = tensor(current).elements();
        boolean softmax = false;
        while (current != graph.outputs[0]) {
            TfliteGraph.Op op = single(current, "the graph output");
            if (op.inputs().length < 1 || op.inputs()[0] != current || op.outputs().length != 1) {
                throw unsupported(op.describe() + " does not continue from tensor #" + current);
            }
            switch (op.code()) {
                case Schema.RESHAPE -> checkOptions(op, Schema.RESHAPE_OPTIONS);
                case Schema.SQUEEZE -> checkOptions(op, Schema.SQUEEZE_OPTIONS);
                case Schema.QUANTIZE, Schema.DEQUANTIZE -> { }
                case Schema.SOFTMAX -> {
                    checkOptions(op, Schema.SOFTMAX_OPTIONS);
                    float beta = op.options() == null ? 1f : op.options().softmaxBeta();
                    if (softmax || beta != 1f) {
                        throw unsupported(op.describe() + (softmax ? " is a second softmax" : " has beta " + beta));
                    }
                    softmax = true;
                }
                default -> throw unsupported(op.describe() + " does not fit MobileNetV2: expected RESHAPE, SQUEEZE"
                        + " or SOFTMAX after the logits");
            }
            current = op.outputs()[0];
            if (tensor(current).elements() != classes) {
                throw unsupported(op.describe() + " changes the " + classes + " class scores to "
                        + tensor(current).describe());
            }
            visit(op);
        }
        return current;
    }

    private int[] padding(TfliteGraph.Op op, int input) throws TfliteFormatException {
        if (op.inputs().length != 2 || op.inputs()[0] != input || op.outputs().length != 1) {
            throw unsupported(op.describe() + " does not pad tensor #" + input);
        }
        int[] pads = intConstant(op.inputs()[1], op);
        if (pads.length != 8 || pads[0] != 0 || pads[1] != 0 || pads[6] != 0 || pads[7] != 0) {
            throw unsupported(op.describe() + " pads " + Arrays.toString(pads) + ", not only height and width");
        }
        int[] x = shape4(input, op);
        int[] y = shape4(op.outputs()[0], op);
        if (y[1] != x[1] + pads[2] + pads[3] || y[2] != x[2] + pads[4] + pads[5] || y[3] != x[3]) {
            throw new TfliteFormatException(op.describe() + ": output " + Arrays.toString(y) + " is not its input "
                    + Arrays.toString(x) + " padded by " + Arrays.toString(pads));
        }
        visit(op);
        return pads;
    }

    /** Keras pads explicitly before a VALID stride-2 depthwise conv; accept it when it equals TF SAME. */
    private void checkPadMatchesSame(TfliteGraph.Op op, int[] pads, int[] padded, ConvOp conv)
            throws TfliteFormatException {
        int h = padded[1] - pads[2] - pads[3];
        int w = padded[2] - pads[4] - pads[5];
        Padding.Axis rows = Padding.same().resolve(h, conv.kernel(), conv.stride(), conv.dilation());
        Padding.Axis cols = Padding.same().resolve(w, conv.kernel(), conv.stride(), conv.dilation());
        if (rows.before() != pads[2] || rows.after() != pads[3] || cols.before() != pads[4] || cols.after() != pads[5]) {
            throw unsupported(op.describe() + " is padded " + Arrays.toString(pads)
                    + ", which differs from the SAME padding MobileNetV2 uses");
        }
    }

    private boolean startsBlock(TfliteGraph.Op conv) throws TfliteFormatException {
        if (conv.outputs().length != 1) {
            return false;
        }
        List<TfliteGraph.Op> next = consumers.get(conv.outputs()[0]);
        for (int steps = 0; steps < graph.ops.size() && next.size() == 1 && next.get(0).outputs().length == 1
                && (next.get(0).code() == Schema.RELU6 || next.get(0).code() == Schema.RELU
                || next.get(0).code() == Schema.QUANTIZE || next.get(0).code() == Schema.DEQUANTIZE); steps++) {
            next = consumers.get(next.get(0).outputs()[0]);
        }
        return next.size() == 1 && (next.get(0).code() == Schema.DEPTHWISE_CONV_2D || next.get(0).code() == Schema.PAD);
    }

    private int skipQuantization(int tensor) throws TfliteFormatException {
        while (true) {
            List<TfliteGraph.Op> next = consumers.get(tensor);
            if (next.size() != 1 || (next.get(0).code() != Schema.QUANTIZE && next.get(0).code() != Schema.DEQUANTIZE)) {
                return tensor;
            }
            TfliteGraph.Op op = next.get(0);
            if (op.outputs().length != 1) {
                throw new TfliteFormatException(op.describe() + " must have one output");
            }
            checkSameShape(op, tensor, op.outputs()[0]);
            visit(op);
            tensor = op.outputs()[0];
        }
    }

    /** The one operator reading {@code tensor}. */
    private TfliteGraph.Op single(int tensor, String expected) throws TfliteFormatException {
        List<TfliteGraph.Op> next = consumers.get(tensor);
        if (next.size() != 1) {
            throw unsupported(tensor(tensor).describe() + " feeds " + next.size() + " operators where " + expected
                    + " should be its only reader" + (next.isEmpty() ? "" : ", first " + next.get(0).describe()));
        }
        return next.get(0);
    }

    /** At a block boundary the tensor also feeds the residual ADD; this returns the other reader. */
    private TfliteGraph.Op mainConsumer(int tensor, String expected) throws TfliteFormatException {
        List<TfliteGraph.Op> next = consumers.get(tensor).stream().filter(op -> op.code() != Schema.ADD).toList();
        if (next.size() != 1) {
            throw unsupported(tensor(tensor).describe() + " should feed " + expected + ", but feeds "
                    + consumers.get(tensor).size() + " operators"
                    + (consumers.get(tensor).isEmpty() ? "" : ", first " + consumers.get(tensor).get(0).describe()));
        }
        return next.get(0);
    }

    private float[] constant(int index, TfliteGraph.Op op, String role) throws TfliteFormatException {
        TfliteGraph.TensorInfo t = tensor(index);
        if (!t.constant() && producer[index] >= 0) {
            TfliteGraph.Op source = graph.ops.get(producer[index]);
            if (source.code() == Schema.DEQUANTIZE && source.inputs().length == 1 && source.inputs()[0] >= 0
                    && tensor(source.inputs()[0]).constant()) {
                TfliteGraph.TensorInfo stored = tensor(source.inputs()[0]);
                if (stored.elements() != t.elements()) {
                    throw new TfliteFormatException(source.describe() + " changes the size of " + stored.describe());
                }
                visit(source);
                t = stored;
            }
        }
        if (!t.constant()) {
            throw unsupported(op.describe() + ": " + role + " " + t.describe() + " is not a constant");
        }
        if (role.equals("weights")) {
            weightTypes.add(Schema.typeName(t.type()));
        }
        return Dequantizer.values(t);
    }

    private int[] intConstant(int index, TfliteGraph.Op op) throws TfliteFormatException {
        TfliteGraph.TensorInfo t = tensor(index);
        if (!t.constant() || t.type() != Schema.INT32 || t.elements() > 16) {
            throw unsupported(op.describe() + ": " + t.describe() + " is not a small int32 constant");
        }
        int[] out = new int[(int) t.elements()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.data().getInt(4 * i);
        }
        return out;
    }

    /**
     * A quantised output clamps to the range its 8 bits can represent, and TOCO drops a fused RELU6 when that
     * range already is [0, 6]. A range starting at 0 therefore is the activation: RELU6 when it ends at 6
     * or below (a tighter calibrated clamp is within one quantisation step of ReLU6 in practice), else RELU.
     */
    private static Activation clampOfQuantizedOutput(TfliteGraph.TensorInfo out) {
        TfliteGraph.Quantization q = out.quantization();
        if (q == null || q.perChannel() || (out.type() != Schema.UINT8 && out.type() != Schema.INT8)) {
            return Activation.IDENTITY;
        }
        float scale = q.scale()[0];
        long lowest = out.type() == Schema.UINT8 ? 0 : -128;
        double lo = scale * (double) (lowest - q.zeroPoint()[0]);
        double hi = scale * (double) (lowest + 255 - q.zeroPoint()[0]);
        if (!(scale > 0) || Math.abs(lo) > scale / 2) {
            return Activation.IDENTITY;
        }
        return hi <= 6 + scale ? Activation.RELU6 : Activation.RELU;
    }

    private Activation activation(TfliteGraph.Op op, int code) throws TfliteFormatException {
        return switch (code) {
            case Schema.ACT_NONE -> Activation.IDENTITY;
            case Schema.ACT_RELU -> Activation.RELU;
            case Schema.ACT_RELU6 -> Activation.RELU6;
            default -> throw unsupported(op.describe() + " has fused activation " + switch (code) {
                case Schema.ACT_RELU_N1_TO_1 -> "RELU_N1_TO_1";
                case Schema.ACT_TANH -> "TANH";
                default -> Integer.toString(code);
            } + " (only NONE, RELU and RELU6 occur in MobileNetV2)");
        };
    }

    private void checkOptions(TfliteGraph.Op op, int expectedType) throws TfliteFormatException {
        if (op.options() != null && op.optionsType() != expectedType) {
            throw new TfliteFormatException(op.describe() + " carries options of type " + op.optionsType()
                    + ", expected " + expectedType);
        }
    }

    private void checkSameShape(TfliteGraph.Op op, int a, int b) throws TfliteFormatException {
        if (!Arrays.equals(tensor(a).shape(), tensor(b).shape())) {
            throw new TfliteFormatException(op.describe() + ": " + tensor(a).describe() + " and "
                    + tensor(b).describe() + " should have the same shape");
        }
    }

    private int[] shape4(int index, TfliteGraph.Op op) throws TfliteFormatException {
        int[] s = tensor(index).shape();
        if (s.length != 4 || s[0] != 1) {
            throw unsupported(op.describe() + ": " + tensor(index).describe() + " is not one [1, h, w, c] image");
        }
        return s;
    }

    /** Marks {@code op} as mapped; reaching an operator twice means the file's graph has a cycle. */
    private void visit(TfliteGraph.Op op) throws TfliteFormatException {
        if (visited[op.index()]) {
            throw new TfliteFormatException(op.describe() + " is reached twice: the graph has a cycle");
        }
        visited[op.index()] = true;
    }

    private TfliteGraph.TensorInfo tensor(int index) throws TfliteFormatException {
        if (index < 0) {
            throw new TfliteFormatException("an operator input that MobileNetV2 needs is missing (tensor index -1)");
        }
        return graph.tensors.get(index);
    }

    private static PixelScaling inputScaling(TfliteGraph.TensorInfo input) throws TfliteFormatException {
        TfliteGraph.Quantization q = input.quantization();
        switch (input.type()) {
            case Schema.FLOAT32:
                return PixelScaling.MINUS_ONE_TO_ONE;
            case Schema.UINT8:
            case Schema.INT8:
                if (q == null || q.perChannel() || !(q.scale()[0] > 0)) {
                    throw new TfliteFormatException("input " + input.describe() + " is quantised without a scale");
                }
                // The 8-bit input q is the pixel (uint8) or pixel - 128 (int8); its real value is scale * (q - zero).
                long zero = q.zeroPoint()[0] + (input.type() == Schema.INT8 ? 128 : 0);
                try {
                    return new PixelScaling(zero, 1f / q.scale()[0]);
                } catch (IllegalArgumentException e) {
                    throw new TfliteFormatException("input " + input.describe() + ": " + e.getMessage());
                }
            default:
                throw new UnsupportedModelException("input " + input.describe() + " has an unsupported type");
        }
    }

    private static UnsupportedModelException unsupported(String message) {
        return new UnsupportedModelException("not a MobileNetV2 classifier: " + message);
    }
}
