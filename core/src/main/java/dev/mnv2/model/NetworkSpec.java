package dev.mnv2.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A network's architecture without its parameters: configuration, input shape and the stages of layer
 * specs its architecture table expands into. Shapes, parameter counts and multiply-accumulates of any
 * configuration come from here without allocating a weight; {@link #create()} allocates them.
 */
public record NetworkSpec(NetworkConfig config, Shape input, List<StageSpec> stages) {
    public NetworkSpec {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(input, "input");
        stages = List.copyOf(stages);
        Shape shape = input;
        for (StageSpec stage : stages) {
            for (LayerSpec layer : stage.layers()) {
                shape = layer.outputShape(shape);
            }
        }
    }

    /** All layer specs in execution order. */
    public List<LayerSpec> layers() {
        List<LayerSpec> all = new ArrayList<>();
        for (StageSpec stage : stages) {
            all.addAll(stage.layers());
        }
        return all;
    }

    /** Shape of the network's output for one image. */
    public Shape outputShape() {
        Shape shape = input;
        for (LayerSpec layer : layers()) {
            shape = layer.outputShape(shape);
        }
        return shape;
    }

    public long parameters() {
        return layers().stream().mapToLong(LayerSpec::parameters).reduce(0, Math::addExact);
    }

    public long parametersWithoutBatchNorm() {
        return layers().stream().mapToLong(LayerSpec::parametersWithoutBatchNorm).reduce(0, Math::addExact);
    }

    /** Multiply-accumulates of every conv and fully-connected layer for one image. */
    public long macs() {
        long total = 0;
        Shape shape = input;
        for (LayerSpec layer : layers()) {
            total = Math.addExact(total, layer.macs(shape));
            shape = layer.outputShape(shape);
        }
        return total;
    }

    /**
     * The network of this spec with zero weights, and identity batch norms with the configuration's epsilon,
     * ready for a loader.
     */
    public Network create() {
        float eps = config.batchNormEpsilon();
        List<Stage> built = new ArrayList<>();
        for (StageSpec stage : stages) {
            List<Layer> layers = new ArrayList<>();
            for (LayerSpec spec : stage.layers()) {
                if (spec instanceof ConvSpec conv) {
                    layers.add(Conv2d.zeros(conv, eps));
                } else if (spec instanceof BlockSpec block) {
                    layers.add(InvertedResidual.zeros(block, eps));
                } else if (spec instanceof DenseSpec dense) {
                    layers.add(Dense.zeros(dense));
                } else if (spec instanceof GlobalAveragePool pool) {
                    layers.add(pool);
                } else if (spec instanceof Dropout dropout) {
                    layers.add(dropout);
                }
            }
            built.add(new Stage(stage.row(), layers));
        }
        return new Network(config, input, built, List.of());
    }
}
