package dev.mnv2.interop;

import dev.mnv2.model.ArchitectureRow;
import dev.mnv2.model.Channels;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds the width multiplier of a MobileNetV2 stored without its configuration (a torchvision state_dict,
 * a torchvision ONNX export) from its layer shapes: the candidates are the standard widths, then a
 * 0.05 grid; a candidate is kept when the network {@link MobileNetV2#create} builds for it has exactly
 * the stored shapes, so the result is the project's own architecture, never a look-alike.
 */
public final class ArchitectureInference {
    private static final double[] STANDARD_WIDTHS = {1.0, 0.75, 0.5, 0.35, 1.3, 1.4};
    private static final ArchitectureRow STEM = MobileNetV2.TABLE_2.get(0);
    /** The last 1×1 convolution: the last "conv2d 1x1" row with channels (the one after it is the classifier). */
    private static final ArchitectureRow LAST = MobileNetV2.TABLE_2.stream()
            .filter(r -> r.operator().equals("conv2d 1x1") && r.c() > 0).reduce((a, b) -> b).orElseThrow();

    private ArchitectureInference() {}

    /**
     * @param base the builder with everything but the width set (resolution, classes, padding, ...)
     * @param stemChannels output channels of the first convolution
     * @param lastChannels output channels of the last 1×1 convolution (the classifier's input)
     * @param mismatch describes how a candidate network differs from the stored one, or null if it fits
     * @throws IllegalArgumentException naming the mismatch of the closest candidate when none fits
     */
    public static MobileNetV2Config width(MobileNetV2.Builder base, int stemChannels, int lastChannels,
                                          Function<Network, String> mismatch) {
        Set<Double> candidates = new LinkedHashSet<>();
        for (double w : STANDARD_WIDTHS) {
            candidates.add(w);
        }
        for (int i = 1; i <= 80; i++) {
            candidates.add(i / 20.0);
        }
        List<String> problems = new ArrayList<>();
        for (double width : candidates) {
            if (Channels.makeDivisible(STEM.c() * width, MobileNetV2.CHANNEL_DIVISOR) != stemChannels
                    || Channels.makeDivisible(LAST.c() * Math.max(1.0, width), MobileNetV2.CHANNEL_DIVISOR) != lastChannels) {
                continue;
            }
            MobileNetV2Config config = base.width(width).config();
            String problem = mismatch.apply(MobileNetV2.create(config));
            if (problem == null) {
                return config;
            }
            problems.add("width " + width + ": " + problem);
        }
        throw new IllegalArgumentException("no MobileNetV2 width fits a " + stemChannels + "-channel stem and a "
                + lastChannels + "-channel last convolution"
                + (problems.isEmpty() ? "" : " (" + problems.get(0) + ")"));
    }

    /**
     * Checks, before anything is allocated, that {@code config} (read from a file's metadata) builds a network
     * of the size the file's tensors have, so that a corrupted width or expansion factor can neither make
     * {@link MobileNetV2#create} allocate gigabytes nor be silently accepted. Returns the problem, or null.
     *
     * @param expandedChannels output channels of the first expansion convolution (block features.2)
     */
    public static String sizeMismatch(MobileNetV2Config config, long stemChannels, long expandedChannels,
                                      long lastChannels, long classes) {
        double w = config.width();
        long stem = Channels.makeDivisible(STEM.c() * w, MobileNetV2.CHANNEL_DIVISOR);
        ArchitectureRow firstBlock = MobileNetV2.TABLE_2.get(1);
        ArchitectureRow secondBlock = MobileNetV2.TABLE_2.get(2);
        int t = config.expansion() > 0 ? config.expansion() : secondBlock.t();
        long expanded = (long) t * Channels.makeDivisible(firstBlock.c() * w, MobileNetV2.CHANNEL_DIVISOR);
        long last = Channels.makeDivisible(LAST.c() * Math.max(1.0, w), MobileNetV2.CHANNEL_DIVISOR);
        if (stem != stemChannels || expanded != expandedChannels || last != lastChannels || config.classes() != classes) {
            return "configuration (width " + w + ", expansion " + t + ", " + config.classes() + " classes) needs "
                    + stem + "/" + expanded + "/" + last + "/" + config.classes()
                    + " channels in the stem, first expansion, last conv and classifier; the tensors have "
                    + stemChannels + "/" + expandedChannels + "/" + lastChannels + "/" + classes;
        }
        return null;
    }
}
