package dev.mnv2.reference;

import dev.mnv2.model.AveragePool;
import dev.mnv2.model.Concat;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Dropout;
import dev.mnv2.model.GlobalAveragePool;
import dev.mnv2.model.InvertedResidual;
import dev.mnv2.model.Layer;
import dev.mnv2.model.Network;
import dev.mnv2.model.Node;
import dev.mnv2.model.ResizeBilinear;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole network's training-mode loss and parameter gradients in float64, composed from the naive operator
 * references of {@link BackwardReference} on a tape (each forward operator records its adjoint, which runs in
 * reverse): no buffers, no fusion, no shared code with the training plan. Dropout must be off (rate 0).
 * The loss is the mean softmax cross-entropy over the output's rows (images, or pixels).
 */
public final class ReferenceTraining {
    private ReferenceTraining() {}

    /** The loss and every trainable parameter's gradient by torchvision name (HWIO conv weights, [in][out] dense). */
    public record Result(double loss, Map<String, double[]> gradients) {}

    public static Result run(Network network, float[] images, int batch, int[] labels) {
        return new Tape(network).run(images, batch, labels);
    }

    private interface Adjoint {
        void run();
    }

    private static final class Tape {
        final Network network;
        final Map<String, DoubleTensor> values = new HashMap<>();
        final Map<String, DoubleTensor> gradients = new HashMap<>();
        final Map<String, double[]> parameterGradients = new HashMap<>();
        final List<Adjoint> adjoints = new ArrayList<>();

        Tape(Network network) {
            this.network = network;
        }

        Result run(float[] images, int batch, int[] labels) {
            values.put(Network.INPUT, new DoubleTensor(batch, network.input(),
                    DoubleTensor.widen(java.util.Arrays.copyOf(images, (int) (batch * network.input().elements())))));
            for (Node node : network.nodes()) {
                forward(node);
            }
            String out = network.outputs().get(0);
            DoubleTensor logits = values.get(out);
            int classes = logits.channels();
            int rows = logits.data().length / classes;
            double loss = 0;
            double[] dLogits = new double[logits.data().length];
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    max = Math.max(max, logits.data()[r * classes + k]);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) {
                    sum += Math.exp(logits.data()[r * classes + k] - max);
                }
                double logSum = max + Math.log(sum);
                loss += (logSum - logits.data()[r * classes + labels[r]]) / rows;
                for (int k = 0; k < classes; k++) {
                    dLogits[r * classes + k] = (Math.exp(logits.data()[r * classes + k] - logSum)
                            - (k == labels[r] ? 1 : 0)) / rows;
                }
            }
            gradients.put(out, new DoubleTensor(logits.batch(), logits.shape(), dLogits));
            for (int i = adjoints.size() - 1; i >= 0; i--) {
                adjoints.get(i).run();
            }
            return new Result(loss, parameterGradients);
        }

        DoubleTensor gradient(String name) {
            DoubleTensor g = gradients.get(name);
            DoubleTensor v = values.get(name);
            return g != null ? g : DoubleTensor.zeros(v.batch(), v.shape());
        }

        void accumulate(String name, DoubleTensor g) {
            DoubleTensor have = gradients.get(name);
            if (have == null) {
                gradients.put(name, g);
            } else {
                gradients.put(name, BackwardReference.add(have, g));
            }
        }

        void accumulate(String parameter, double[] g) {
            double[] have = parameterGradients.computeIfAbsent(parameter, k -> new double[g.length]);
            for (int i = 0; i < g.length; i++) {
                have[i] += g[i];
            }
        }

        void forward(Node node) {
            Layer layer = node.layer();
            String in = node.inputs().get(0);
            String name = node.name();
            if (layer instanceof Conv2d conv) {
                values.put(name, conv(conv, in, name));
            } else if (layer instanceof InvertedResidual block) {
                String hidden = in;
                if (block.expand() != null) {
                    hidden = name + "#expanded";
                    values.put(hidden, conv(block.expand(), in, hidden));
                }
                String depthwise = name + "#depthwise";
                values.put(depthwise, conv(block.depthwise(), hidden, depthwise));
                if (block.hasExpansionResidual()) {
                    depthwise = residual(depthwise, hidden, name + "#depthwise+");
                }
                String projected = name + "#projected";
                values.put(projected, conv(block.project(), depthwise, projected));
                if (block.hasBottleneckResidual()) {
                    projected = residual(projected, in, name + "#projected+");
                }
                alias(projected, name);
            } else if (layer instanceof GlobalAveragePool) {
                DoubleTensor x = values.get(in);
                values.put(name, BackwardReference.globalAveragePool(x));
                adjoints.add(() -> accumulate(in, BackwardReference.globalAveragePoolBackward(x, gradient(name))));
            } else if (layer instanceof AveragePool pool) {
                DoubleTensor x = values.get(in);
                values.put(name, BackwardReference.averagePool(x, pool.kernelHeight(), pool.kernelWidth(),
                        pool.stride(), pool.padding()));
                adjoints.add(() -> accumulate(in, BackwardReference.averagePoolBackward(x, pool.kernelHeight(),
                        pool.kernelWidth(), pool.stride(), pool.padding(), gradient(name))));
            } else if (layer instanceof Dropout dropout) {
                if (dropout.rate() != 0) {
                    throw new IllegalArgumentException("the reference runs without dropout");
                }
                alias(in, name);
            } else if (layer instanceof Dense dense) {
                DoubleTensor x = values.get(in);
                double[] w = DoubleTensor.widen(dense.weight());
                values.put(name, BackwardReference.dense(x, w, DoubleTensor.widen(dense.bias()), dense.outFeatures()));
                adjoints.add(() -> {
                    BackwardReference.DenseGradients g = BackwardReference.denseBackward(x, w, gradient(name));
                    accumulate(in, g.input());
                    accumulate(dense.name() + ".weight", g.weight());
                    accumulate(dense.name() + ".bias", g.bias());
                });
            } else if (layer instanceof Concat) {
                List<DoubleTensor> parts = node.inputs().stream().map(values::get).toList();
                values.put(name, BackwardReference.concat(parts));
                int[] channels = parts.stream().mapToInt(DoubleTensor::channels).toArray();
                adjoints.add(() -> {
                    List<DoubleTensor> g = BackwardReference.concatBackward(gradient(name), channels);
                    for (int i = 0; i < g.size(); i++) {
                        accumulate(node.inputs().get(i), g.get(i));
                    }
                });
            } else if (layer instanceof ResizeBilinear resize) {
                DoubleTensor x = values.get(in);
                values.put(name, BackwardReference.resizeBilinear(x, resize));
                adjoints.add(() -> accumulate(in, BackwardReference.resizeBilinearBackward(x, resize, gradient(name))));
            } else {
                throw new IllegalArgumentException("no reference for " + layer.name());
            }
        }

        /** {@code to} is {@code from} itself: its gradient flows back unchanged. */
        void alias(String from, String to) {
            values.put(to, values.get(from));
            adjoints.add(() -> accumulate(from, gradient(to)));
        }

        String residual(String a, String b, String sum) {
            values.put(sum, BackwardReference.add(values.get(a), values.get(b)));
            adjoints.add(() -> {
                accumulate(a, gradient(sum));
                accumulate(b, gradient(sum));
            });
            return sum;
        }

        /** conv (+ bias) → training-mode batch norm (if any) → clamp, and its adjoint. */
        DoubleTensor conv(Conv2d conv, String in, String out) {
            DoubleTensor x = values.get(in);
            double[] w = DoubleTensor.widen(conv.weight());
            DoubleTensor z = BackwardReference.convolve(x, w, conv.kernel(), conv.stride(), conv.dilation(),
                    conv.groups(), conv.outChannels(), conv.padding());
            if (conv.bias() != null) {
                z = BackwardReference.addBias(z, DoubleTensor.widen(conv.bias()));
            }
            DoubleTensor pre = z;
            DoubleTensor normalised = conv.batchNorm() == null ? z : BackwardReference.batchNormTraining(z,
                    DoubleTensor.widen(conv.batchNorm().gamma()), DoubleTensor.widen(conv.batchNorm().beta()),
                    conv.batchNorm().epsilon());
            double lo = conv.activation().min();
            double hi = conv.activation().max();
            adjoints.add(() -> {
                DoubleTensor dz = BackwardReference.clampBackward(normalised, lo, hi, gradient(out));
                if (conv.batchNorm() != null) {
                    BackwardReference.BatchNormGradients g = BackwardReference.batchNormTrainingBackward(pre,
                            DoubleTensor.widen(conv.batchNorm().gamma()), conv.batchNorm().epsilon(), dz);
                    String bn = ConvSpec.batchNormName(conv.name());
                    accumulate(bn + ".weight", g.gamma());
                    accumulate(bn + ".bias", g.beta());
                    dz = g.input();
                }
                if (conv.bias() != null) {
                    accumulate(conv.name() + ".bias", BackwardReference.biasGradient(dz));
                }
                BackwardReference.ConvGradients g = BackwardReference.convolveBackward(x, w, dz, conv.kernel(),
                        conv.stride(), conv.dilation(), conv.groups(), conv.outChannels(), conv.padding());
                accumulate(conv.name() + ".weight", g.weight());
                accumulate(in, g.input());
            });
            return BackwardReference.clamp(normalised, lo, hi);
        }
    }
}
