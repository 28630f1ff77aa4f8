package dev.mnv2.fuzz;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import java.util.stream.IntStream;

/**
 * The networks the model-file seeds are written from: the smallest MobileNetV2 the builder makes
 * (channels round up to 8, the last 1x1 conv keeps 1280), so that each seed is a complete, valid file of
 * tens of kilobytes and the fuzzer spends its time on structure rather than on weight bytes.
 */
public final class SeedNetworks {
    private SeedNetworks() {}

    public static Network tiny() {
        return MobileNetV2.builder().width(0.1).resolution(32).classes(3).seed(5).build();
    }

    public static Network labelled(Network network) {
        return network.withLabels(IntStream.range(0, network.config().classes())
                .mapToObj(i -> "class " + i).toList());
    }
}
