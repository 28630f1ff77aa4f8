package dev.mnv2.load;

import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * A model read from a file, ready to run: the network (ending in logits), the input it expects and the
 * labels of its classes ({@link InputSpec}), and the {@link Task} its logits serve. {@link Models#load}
 * returns it for every format; {@link dev.mnv2.image.ImageClassifier#create(LoadedModel)} and
 * {@link dev.mnv2.image.ImageSegmenter#create(LoadedModel)} run it.
 *
 * <p>The labels are the input spec's: the network is given the same ones, so {@code network().labels()}
 * and {@code input().labels()} always agree.
 *
 * @param network the network, with the spec's labels
 * @param input the size, pixel scaling and labels
 */
public record LoadedModel(Network network, InputSpec input) {
    public LoadedModel {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(input, "input");
        Shape in = network.input();
        if (in.height() != input.height() || in.width() != input.width()) {
            throw new IllegalArgumentException("input spec is " + input.height() + "x" + input.width()
                    + " but the network takes " + in.height() + "x" + in.width());
        }
        if (!input.labels().isEmpty() && input.labels().size() != network.classes()) {
            throw new IllegalArgumentException(input.labels().size() + " labels for " + network.classes()
                    + " classes");
        }
        if (!network.labels().equals(input.labels())) {
            network = network.withLabels(input.labels());
        }
    }

    /**
     * {@code network} with the input spec its layout's ecosystem implies ({@link PixelScaling#conventionOf}:
     * [-1, 1] for TensorFlow padding, ImageNet's mean and deviation for PyTorch's) and its own labels: what
     * a file without mnv2 metadata is read as.
     */
    public static LoadedModel of(Network network) {
        Shape in = network.input();
        return new LoadedModel(network, new InputSpec(in.height(), in.width(),
                PixelScaling.conventionOf(network.config()), network.labels()));
    }

    /** What the logits are for, as the network's architecture says. */
    public Task task() {
        return Task.of(network.config());
    }

    /** The same model with pixels scaled by {@code scaling} (for a file that states the wrong one). */
    public LoadedModel withScaling(PixelScaling scaling) {
        return new LoadedModel(network, input.withScaling(scaling));
    }

    /** The same model with {@code labels}, one per class (for a file that has none). */
    public LoadedModel withLabels(List<String> labels) {
        return new LoadedModel(network, input.withLabels(labels));
    }
}
