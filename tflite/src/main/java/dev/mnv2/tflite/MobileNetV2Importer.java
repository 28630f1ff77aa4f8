package dev.mnv2.tflite;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.Activation;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shortcut;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Maps a TFLite graph onto {@link MobileNetV2#create}: follows the data flow from the input through stem,
 * inverted residual blocks (with their residual ADDs), last 1×1 conv, pooling, logits and softmax; infers
 * width, resolution, expansion, class count and bottleneck activation from the tensors; checks every
 * convolution against the architecture; and fills the network's weights with the dequantised values.
 * QUANTIZE and DEQUANTIZE between activations are the identity in float execution.
 */
final class MobileNetV2Importer {
    /** One convolution as the file states it, weights already in mnv2's HWIO layout. */
    private record ConvOp(TfliteGraph.Op op, int kernel, int stride, int in, int out, boolean depthwise,
                          Activation activation, float[] weight, float[] bias, int inputTensor, int outputTensor) {
        String describe() {
            return op.describe() + " " + kernel + "x" + kernel + "/" + stride + " " + in + "->" + out
                    + (depthwise ? " depthwise" : "") + " " + activation;
        }
    }

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
        if (logits.kernel() != 1 || logits.activation() != Activation.IDENTITY) {
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
        Network network = build(s[1], s[2], stem, blocks, last, logits);
        if (!labels.isEmpty()) {
            network = labels.size() == network.classes() ? network.withLabels(labels) : network;
        }
        return new TfliteModel(network, scaling, weightTypes.stream().distinct().reduce((a, b) -> a + "+" + b)
                .orElse("float32"));
    }

    private Network build(int height, int width, ConvOp stem, List<Block> blocks, ConvOp last, ConvOp logits)
            throws TfliteFormatException {
        if (blocks.isEmpty()) {
            throw unsupported("no inverted residual block follows the stem " + stem.describe());
        }
        Block lastBlock = blocks.get(blocks.size() - 1);
        double alpha = lastBlock.project().out() / 320.0;
        int expansion = 0;
        if (blocks.size() > 1 && blocks.get(1).expand() != null) {
            Block second = blocks.get(1);
            int in = second.expand().in();
            int hidden = second.expand().out();
            if (hidden % in == 0 && hidden / in != 6) {
                expansion = hidden / in;
            }
        }
        Activation bottleneck = blocks.get(0).project().activation();
        boolean anyAdd = blocks.stream().anyMatch(b -> b.add() != null);
        MobileNetV2Config config;
        try {
            config = MobileNetV2.builder()
                    .width(alpha)
                    .resolution(height, width)
                    .classes(logits.out())
                    .expansion(expansion)
                    .bottleneck(bottleneck)
                    .shortcut(anyAdd ? Shortcut.BOTTLENECK : Shortcut.NONE)
                    .padding(Padding.same())
                    .config();
        } catch (IllegalArgumentException e) {
            throw unsupported("the file's shapes give no valid MobileNetV2: " + e.getMessage());
        }
        Network network = MobileNetV2.create(config).foldBatchNorm();

        List<ConvOp> fileConvs = new ArrayList<>();
        fileConvs.add(stem);
        for (Block b : blocks) {
            if (b.expand() != null) {
                fileConvs.add(b.expand());
            }
            fileConvs.add(b.depthwise());
            fileConvs.add(b.project());
        }
        fileConvs.add(last);
        List<Conv2d> convs = network.convolutions();
        String arch = String.format(Locale.ROOT, "MobileNetV2 width %s (%d blocks)", alpha, 17);
        for (int i = 0; i < Math.min(convs.size(), fileConvs.size()); i++) {
            Conv2d expected = convs.get(i);
            ConvOp actual = fileConvs.get(i);
            if (expected.kernel() != actual.kernel() || expected.stride() != actual.stride()
                    || expected.inChannels() != actual.in() || expected.outChannels() != actual.out()
                    || expected.isDepthwise() != actual.depthwise()) {
                throw unsupported(actual.describe() + " does not fit " + arch + ", whose " + expected);
            }
            if (expected.activation() != actual.activation()) {
                throw unsupported(actual.describe() + " has fused activation " + actual.activation() + " where "
                        + arch + " has " + expected.activation() + " (" + expected.name() + ")");
            }
            System.arraycopy(actual.weight(), 0, expected.weight(), 0, actual.weight().length);
            System.arraycopy(actual.bias(), 0, expected.bias(), 0, actual.bias().length);
        }
        if (convs.size() != fileConvs.size()) {
            throw unsupported("the file has " + fileConvs.size() + " convolutions (" + blocks.size()
                    + " blocks), " + arch + " has " + convs.size());
        }
        List<dev.mnv2.model.InvertedResidual> archBlocks = network.layers().stream()
                .filter(l -> l instanceof dev.mnv2.model.InvertedResidual)
                .map(l -> (dev.mnv2.model.InvertedResidual) l).toList();
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            dev.mnv2.model.InvertedResidual expected = archBlocks.get(i);
            if (b.project().activation() != bottleneck) {
                throw unsupported(b.project().describe() + ": projections mix " + bottleneck + " and "
                        + b.project().activation());
            }
            boolean residual = expected.hasBottleneckResidual();
            if (residual != (b.add() != null)) {
                throw unsupported(expected.name() + " (" + b.project().op().describe() + ") "
                        + (residual ? "lacks the residual ADD MobileNetV2 has there" : "has an unexpected residual ADD"));
            }
        }
        Dense dense = network.classifier();
        // The 1x1 logits conv's weights are [in][out] in HWIO order already, which is Dense's layout.
        System.arraycopy(logits.weight(), 0, dense.weight(), 0, logits.weight().length);
        System.arraycopy(logits.bias(), 0, dense.bias(), 0, logits.bias().length);
        return network;
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
            visited[add.index()] = true;
        }
        return new Block(expand, depthwise, project, add);
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
        if (dilationW != 1 || dilationH != 1) {
            throw unsupported(op.describe() + " is dilated; MobileNetV2 classifiers are not");
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
        int outH = (x[1] + strideW - 1) / strideW;
        int outW = (x[2] + strideW - 1) / strideW;
        int output = op.outputs()[0];
        int[] y = shape4(output, op);
        if (y[1] != outH || y[2] != outW || y[3] != channelsOut) {
            throw new TfliteFormatException(op.describe() + ": output " + tensor(output).describe()
                    + " does not match its input " + Arrays.toString(x) + " and weights " + Arrays.toString(w));
        }
        float[] raw = constant(in[1], op, "weights");
        float[] weight = depthwise ? raw : ohwiToHwio(raw, channelsOut, kernel, channelsIn);
        float[] bias = in.length > 2 && in[2] >= 0 ? constant(in[2], op, "bias") : new float[channelsOut];
        if (bias.length != channelsOut) {
            throw new TfliteFormatException(op.describe() + ": bias has " + bias.length + " values for "
                    + channelsOut + " output channels");
        }
        visited[op.index()] = true;
        return new ConvOp(op, kernel, strideW, channelsIn, channelsOut, depthwise, activation(op, activationCode),
                weight, bias, input, output);
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
        visited[op.index()] = true;
        return new ConvOp(op, 1, 1, w[1], w[0], false, activation(op, activationCode),
                ohwiToHwio(raw, w[0], 1, w[1]), bias, input, op.outputs()[0]);
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
        visited[op.index()] = true;
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
                case Schema.RESHAPE, Schema.SQUEEZE, Schema.QUANTIZE, Schema.DEQUANTIZE -> { }
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
            visited[op.index()] = true;
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
        visited[op.index()] = true;
        return pads;
    }

    /** Keras pads explicitly before a VALID stride-2 depthwise conv; accept it when it equals TF SAME. */
    private void checkPadMatchesSame(TfliteGraph.Op op, int[] pads, int[] padded, ConvOp conv)
            throws TfliteFormatException {
        int h = padded[1] - pads[2] - pads[3];
        int w = padded[2] - pads[4] - pads[5];
        Padding.Axis rows = Padding.same().resolve(h, conv.kernel(), conv.stride(), 1);
        Padding.Axis cols = Padding.same().resolve(w, conv.kernel(), conv.stride(), 1);
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
            visited[op.index()] = true;
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
                visited[source.index()] = true;
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

    private static float[] ohwiToHwio(float[] ohwi, int out, int kernel, int in) {
        float[] hwio = new float[ohwi.length];
        for (int o = 0; o < out; o++) {
            for (int tap = 0; tap < kernel * kernel; tap++) {
                for (int i = 0; i < in; i++) {
                    hwio[(tap * in + i) * out + o] = ohwi[(o * kernel * kernel + tap) * in + i];
                }
            }
        }
        return hwio;
    }

    private Activation activation(TfliteGraph.Op op, int code) throws TfliteFormatException {
        return switch (code) {
            case Schema.ACT_NONE -> Activation.IDENTITY;
            case Schema.ACT_RELU -> Activation.RELU;
            case Schema.ACT_RELU6 -> Activation.RELU6;
            default -> throw unsupported(op.describe() + " has fused activation " + code
                    + " (only NONE, RELU and RELU6 occur in MobileNetV2)");
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
