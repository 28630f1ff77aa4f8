package dev.mnv2.model;

import java.util.Map;

/** The knobs a network was built from; enough to rebuild its architecture. */
public sealed interface NetworkConfig permits MobileNetV2Config, MobileNetV1Config {
    /** Short architecture name, e.g. {@code mobilenet_v2}. */
    String architecture();

    double width();

    int inputHeight();

    int inputWidth();

    int classes();

    /** The architecture built from this configuration, with zero weights and identity batch norms. */
    Network create();

    /** Every knob as a string, for checkpoint metadata. */
    Map<String, String> toMap();
}
