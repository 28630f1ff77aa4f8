package dev.mnv2.reference;

import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Network;
import java.util.HashMap;
import java.util.Map;

/**
 * The parameter arrays of a network under test, looked up by their torchvision module names. The reference
 * networks take only these arrays from the code under test; structure and layouts are their own.
 */
final class NamedParameters {
    private final Map<String, Conv2d> convolutions = new HashMap<>();
    private final Dense classifier;

    NamedParameters(Network network) {
        for (Conv2d conv : network.convolutions()) {
            convolutions.put(conv.name(), conv);
        }
        classifier = network.classifier();
    }

    /**
     * The convolution called {@code name}; the reference's own count of its weights must match the array's
     * length, so a layer of another shape fails here, naming itself.
     */
    Conv2d conv(String name, long expectedWeights) {
        Conv2d conv = convolutions.get(name);
        if (conv == null) {
            throw new AssertionError("the network has no convolution " + name + "; it has "
                    + convolutions.keySet().stream().sorted().toList());
        }
        if (conv.weight().length != expectedWeights) {
            throw new AssertionError(name + ": the reference expects " + expectedWeights + " weights, the network has "
                    + conv.weight().length);
        }
        return conv;
    }

    /** The classifier's {@code [in][out]} weights and bias, which must be called {@code name}. */
    Dense dense(String name) {
        if (!classifier.name().equals(name)) {
            throw new AssertionError("the classifier is " + classifier.name() + ", the reference expects " + name);
        }
        return classifier;
    }
}
