package dev.mnv2.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.jni.JniUtils;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import java.util.ArrayList;
import java.util.List;

/**
 * PyTorch (libtorch 2.7.1 through DJL's PyTorch engine) running the paper's MobileNetV2 layout with the
 * same batch-norm-folded weights: each layer is the corresponding torch operator (conv2d with groups for
 * the depthwise, relu6, add, mean, linear) called eagerly, without autograd, with {@code threads} intra-op
 * threads. The network is the one mnv2 and ONNX Runtime run, so the MACs are the same.
 */
final class PyTorchEngine implements Engine {
    private final NDManager manager;
    private final List<Op> ops = new ArrayList<>();
    private final NDArray input;

    /** One layer as torch calls. */
    private interface Op {
        NDArray apply(NDArray x);
    }

    PyTorchEngine(Network network, Tensor images, int threads) {
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch before the JNI calls below
        JniUtils.setNumThreads(threads);
        JniUtils.setGradMode(false);
        manager = NDManager.newBaseManager("PyTorch");
        Network folded = network.foldBatchNorm();
        dev.mnv2.model.Shape shape = folded.input();
        for (Layer layer : folded.layers()) {
            ops.add(op(layer, shape));
            shape = layer.outputShape(shape);
        }
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
        NDArray x = input;
        for (Op op : ops) {
            x = op.apply(x);
        }
        return x;
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

    @Override
    public void close() {
        manager.close();
    }
}
