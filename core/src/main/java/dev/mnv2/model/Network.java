package dev.mnv2.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A network definition: its configuration, input shape, the stages its architecture table expands into,
 * and the class labels (empty when unknown). Holds parameters but no execution state; run it with
 * {@link dev.mnv2.exec.Predictor}.
 */
public record Network(NetworkConfig config, Shape input, List<Stage> stages, List<String> labels) {
    public Network {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(input, "input");
        stages = List.copyOf(stages);
        labels = List.copyOf(labels);
        Shape shape = input;
        for (Stage stage : stages) {
            for (Layer layer : stage.layers()) {
                shape = layer.outputShape(shape);
            }
        }
        if (!labels.isEmpty() && labels.size() != shape.elements()) {
            throw new IllegalArgumentException(
                    labels.size() + " labels given for " + shape.elements() + " outputs");
        }
    }

    /** All layers in execution order. */
    public List<Layer> layers() {
        List<Layer> all = new ArrayList<>();
        for (Stage stage : stages) {
            all.addAll(stage.layers());
        }
        return all;
    }

    /** All convolutions in execution order, block-internal ones included. */
    public List<Conv2d> convolutions() {
        List<Conv2d> convs = new ArrayList<>();
        for (Layer layer : layers()) {
            if (layer instanceof Conv2d conv) {
                convs.add(conv);
            } else if (layer instanceof InvertedResidual block) {
                if (block.expand() != null) {
                    convs.add(block.expand());
                }
                convs.add(block.depthwise());
                convs.add(block.project());
            }
        }
        return convs;
    }

    /** What this network computes, without its parameters. */
    public NetworkSpec spec() {
        return new NetworkSpec(config, input, stages.stream().map(Stage::spec).toList());
    }

    /** Shape of the network's output for one image. */
    public Shape outputShape() {
        Shape shape = input;
        for (Layer layer : layers()) {
            shape = layer.outputShape(shape);
        }
        return shape;
    }

    public int classes() {
        return outputShape().channels();
    }

    public long parameters() {
        return spec().parameters();
    }

    public long parametersWithoutBatchNorm() {
        return spec().parametersWithoutBatchNorm();
    }

    /** Multiply-accumulates of every conv and fully-connected layer for one image. */
    public long macs() {
        return spec().macs();
    }

    /** The same network with every convolution replaced by {@code f(conv)}. */
    public Network mapConvolutions(UnaryOperator<Conv2d> f) {
        List<Stage> mapped = new ArrayList<>();
        for (Stage stage : stages) {
            List<Layer> layers = new ArrayList<>();
            for (Layer layer : stage.layers()) {
                if (layer instanceof Conv2d conv) {
                    layers.add(f.apply(conv));
                } else if (layer instanceof InvertedResidual b) {
                    layers.add(b.withConvs(b.expand() == null ? null : f.apply(b.expand()),
                            f.apply(b.depthwise()), f.apply(b.project())));
                } else {
                    layers.add(layer);
                }
            }
            mapped.add(new Stage(stage.row(), layers));
        }
        return new Network(config, input, mapped, labels);
    }

    /** The same network with every batch norm folded into its convolution (weights copied). */
    public Network foldBatchNorm() {
        return mapConvolutions(Conv2d::foldBatchNorm);
    }

    public Network withLabels(List<String> newLabels) {
        return new Network(config, input, stages, newLabels);
    }

    /** The classifier layer (the last dense layer). */
    public Dense classifier() {
        List<Layer> all = layers();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i) instanceof Dense dense) {
                return dense;
            }
        }
        throw new IllegalStateException("network has no classifier");
    }
}
