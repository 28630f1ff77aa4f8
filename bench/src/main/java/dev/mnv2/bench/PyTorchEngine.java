package dev.mnv2.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.AveragePool;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.Padding;
import dev.mnv2.model.ResizeBilinear;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PyTorch (libtorch 2.7.1 through DJL's PyTorch engine) running the same graph with the same
 * batch-norm-folded weights: each node is the corresponding torch operator (conv2d with groups for the
 * depthwise, relu6, add, mean, linear; for DeepLabv3 also adaptive_avg_pool2d for the image pooling, cat over
 * channels and bilinear interpolate) called eagerly, without autograd, with {@code threads} intra-op
 * threads. The network is the one mnv2 and ONNX Runtime run, so the MACs are the same.
 */
final class PyTorchEngine implements Engine {
    /** torch's bilinear mode in DJL's interpolate (0 nearest, 1 linear, 2 bilinear, 3 bicubic). */
    private static final int BILINEAR = 2;

    private final NDManager manager;
    private final List<Step> steps = new ArrayList<>();
    private final String output;
    private final NDArray input;

    /** One layer as torch calls. */
    private interface Op {
        NDArray apply(NDArray x);
    }

    /** One node: the op and the tensors it reads. */
    private record Step(String name, List<String> inputs, java.util.function.Function<List<NDArray>, NDArray> op) {}

    PyTorchEngine(Network network, Tensor images, int threads) {
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch before the JNI calls below
        JniUtils.setNumThreads(threads);
        JniUtils.setGradMode(false);
        manager = NDManager.newBaseManager("PyTorch");
        Network folded = network.foldBatchNorm();
        for (Node node : folded.nodes()) {
            dev.mnv2.model.Shape in = folded.inputShapes(node).get(0);
            if (node.layer() instanceof Concat) {
                steps.add(new Step(node.name(), node.inputs(), xs -> NDArrays.concat(new NDList(xs), 1)));
            } else {
                Op op = op(node.layer(), in);
                steps.add(new Step(node.name(), node.inputs(), xs -> op.apply(xs.get(0))));
            }
        }
        output = folded.outputs().get(0);
        dev.mnv2.model.Shape s = images.shape();
        input = manager.create(Images.toNchw(images), new Shape(images.batch(), s.channels(), s.height(), s.width()));
    }

    private Op op(Layer layer, dev.mnv2.model.Shape in) {
        if (layer instanceof dev.mnv2.model.Conv2d conv) {
            return conv(conv, in);
        }
        if (layer instanceof InvertedResidual block) {
            dev.mnv2.model.Shape hidden = block.expandedShape(in);
            Op expand = block.expand() == null ? x -> x : conv(block.expand(), in);
            Op depthwise = conv(block.depthwise(), hidden);
            Op project = conv(block.project(), block.depthwise().outputShape(hidden));
            boolean expansionResidual = block.hasExpansionResidual();
            boolean residual = block.hasBottleneckResidual();
            return x -> {
                NDArray e = expand.apply(x);
                NDArray d = depthwise.apply(e);
                if (expansionResidual) d = d.add(e);
                NDArray y = project.apply(d);
                return residual ? y.add(x) : y;
            };
        }
        if (layer instanceof GlobalAveragePool) {
            // adaptive_avg_pool2d to 1x1 as torchvision does, then flatten to (batch, channels).
            return x -> Pool.globalAvgPool2d(x).reshape(x.getShape().get(0), x.getShape().get(1));
        }
        if (layer instanceof AveragePool pool) {
            Padding.Axis rows = pool.rows(in.height());
            Padding.Axis cols = pool.columns(in.width());
            if (pool.kernelHeight() == in.height() && pool.kernelWidth() == in.width() && rows.output() == 1
                    && cols.output() == 1 && rows.before() + rows.after() + cols.before() + cols.after() == 0) {
                // adaptive_avg_pool2d to 1x1, as torchvision's ASPPPooling, keeping (batch, channels, 1, 1).
                Shape one = new Shape(1, 1);
                return x -> JniUtils.adaptiveAvgPool((PtNDArray) x, one);
            }
            throw new IllegalArgumentException(pool.name() + ": only an average over the whole map is benchmarked");
        }
        if (layer instanceof ResizeBilinear resize) {
            if (!resize.halfPixelCenters()) {
                // DJL's interpolate always turns on antialiasing for bilinear, whose filter places its taps at
                // half-pixel centres even with align_corners=True: only half-pixel resizes come out the same.
                throw new IllegalArgumentException(resize.name() + ": through DJL, torch resizes bilinearly only "
                        + "with half-pixel centres (align_corners=False)");
            }
            // align_corners=False upsampling is half-pixel centres clamped to the input, as TFLite's.
            long[] size = {resize.height(), resize.width()};
            return x -> JniUtils.interpolate((PtNDArray) x, size, BILINEAR, false);
        }
        if (layer instanceof Dropout) {
            return x -> x;
        }
        if (layer instanceof Dense dense) {
            float[] transposed = new float[dense.weight().length];
            for (int i = 0; i < dense.inFeatures(); i++) {
                for (int o = 0; o < dense.outFeatures(); o++) {
                    transposed[o * dense.inFeatures() + i] = dense.weight()[i * dense.outFeatures() + o];
                }
            }
            NDArray w = manager.create(transposed, new Shape(dense.outFeatures(), dense.inFeatures()));
            NDArray b = manager.create(dense.bias());
            return x -> Linear.linear(x, w, b).singletonOrThrow();
        }
        throw new IllegalArgumentException("no torch operator for " + layer.name());
    }

    private Op conv(dev.mnv2.model.Conv2d conv, dev.mnv2.model.Shape in) {
        var rows = conv.resolve(in.height());
        var cols = conv.resolve(in.width());
        if (rows.before() != rows.after() || cols.before() != cols.after()) {
            throw new IllegalArgumentException(conv.name() + ": torch conv2d pads symmetrically; use Padding.symmetric");
        }
        int k = conv.kernel();
        int perGroup = conv.inPerGroup();
        int out = conv.outChannels();
        float[] oihw = new float[conv.weight().length];
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                for (int ci = 0; ci < perGroup; ci++) {
                    for (int co = 0; co < out; co++) {
                        oihw[((co * perGroup + ci) * k + ky) * k + kx] = conv.weight()[conv.weightIndex(ky, kx, ci, co)];
                    }
                }
            }
        }
        NDArray w = manager.create(oihw, new Shape(out, perGroup, k, k));
        NDArray b = manager.create(conv.bias() != null ? conv.bias() : new float[out]);
        Shape stride = new Shape(conv.stride(), conv.stride());
        Shape padding = new Shape(rows.before(), cols.before());
        Shape dilation = new Shape(conv.dilation(), conv.dilation());
        int groups = conv.groups();
        return switch (conv.activation()) {
            case IDENTITY -> x -> Conv2d.conv2d(x, w, b, stride, padding, dilation, groups).singletonOrThrow();
            case RELU -> x -> Activation.relu(Conv2d.conv2d(x, w, b, stride, padding, dilation, groups).singletonOrThrow());
            case RELU6 -> x -> Activation.relu6(Conv2d.conv2d(x, w, b, stride, padding, dilation, groups).singletonOrThrow());
        };
    }

    private NDArray forward(NDManager scope) {
        input.tempAttach(scope);
        Map<String, NDArray> values = new HashMap<>();
        values.put(Network.INPUT, input);
        for (Step step : steps) {
            List<NDArray> in = new ArrayList<>(step.inputs().size());
            for (String name : step.inputs()) {
                in.add(values.get(name));
            }
            values.put(step.name(), step.op().apply(in));
        }
        return values.get(output);
    }

    @Override
    public void run() {
        try (NDManager scope = manager.newSubManager()) {
            forward(scope);
        }
    }

    @Override
    public float[][] logits() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = forward(scope);
            int batch = (int) logits.getShape().get(0);
            int classes = (int) logits.getShape().get(1);
            float[] flat = logits.toFloatArray();
            float[][] rows = new float[batch][classes];
            for (int n = 0; n < batch; n++) {
                System.arraycopy(flat, n * classes, rows[n], 0, classes);
            }
            return rows;
        }
    }

    /** The main output of the prepared batch as torch lays it out (NCHW for a segmentation network), flat. */
    float[] output() {
        try (NDManager scope = manager.newSubManager()) {
            return forward(scope).toFloatArray();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
