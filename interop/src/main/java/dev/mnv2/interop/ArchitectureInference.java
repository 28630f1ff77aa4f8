package dev.mnv2.interop;

import dev.mnv2.model.ArchitectureRow;
import dev.mnv2.model.Channels;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkConfig;
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
    /**
     * Largest input side an imported file may declare. No published MobileNetV2 exceeds 224, and at twice
     * this the stem's output alone (8192² × 32 floats) would not fit in a Java array: a file claiming more
     * is refused on reading instead of being accepted to fail at its first inference.
     */
    public static final int MAX_RESOLUTION = 8192;
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
     * @param storedValues how many parameter values the file holds; bigger candidates are never built
     * @param mismatch describes how a candidate network differs from the stored one, or null if it fits
     * @throws IllegalArgumentException naming the mismatch of the closest candidate when none fits
     */
    public static MobileNetV2Config width(MobileNetV2.Builder base, int stemChannels, int lastChannels,
                                          long storedValues, Function<Network, String> mismatch) {
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
            String problem = sizeProblem(config, storedValues);
            if (problem == null) {
                problem = mismatch.apply(MobileNetV2.create(config));
            }
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

    /** {@link #resolutionProblem} of a configuration read from a file's metadata, naming its entries. */
    public static String resolutionProblem(MobileNetV2Config config) {
        return resolutionProblem("inputHeight x inputWidth", config.inputHeight(), config.inputWidth());
    }

    /**
     * Null when an input of {@code height × width} lies within the resolutions an import accepts, else the
     * problem, naming the input as {@code what} (the file's field it came from).
     */
    public static String resolutionProblem(String what, long height, long width) {
        if (Math.min(height, width) < NetworkConfig.MIN_RESOLUTION || Math.max(height, width) > MAX_RESOLUTION) {
            return what + " " + height + "x" + width + " is outside the " + NetworkConfig.MIN_RESOLUTION + " to "
                    + MAX_RESOLUTION + " pixels per side an imported MobileNetV2 may have";
        }
        return null;
    }

    /**
     * Weights and biases (batch norms excluded) of the network {@link MobileNetV2#create} builds for
     * {@code config}, computed from Table 2 without allocating it. A test keeps it equal to
     * {@code create(config).parametersWithoutBatchNorm()}.
     */
    public static long weightCount(MobileNetV2Config config) {
        double w = config.width();
        long in = 3;
        long total = 0;
        for (ArchitectureRow row : MobileNetV2.TABLE_2) {
            switch (row.operator()) {
                case "conv2d" -> {
                    long out = Channels.makeDivisible(row.c() * w, MobileNetV2.CHANNEL_DIVISOR);
                    total += 9 * in * out;
                    in = out;
                }
                case "bottleneck" -> {
                    long out = Channels.makeDivisible(row.c() * w, MobileNetV2.CHANNEL_DIVISOR);
                    long t = row.t() > 1 && config.expansion() > 0 ? config.expansion() : row.t();
                    for (int i = 0; i < row.n(); i++) {
                        long hidden = in * t;
                        total += (t != 1 ? in * hidden : 0) + 9 * hidden + hidden * out;
                        in = out;
                    }
                }
                case "conv2d 1x1" -> {
                    if (row.c() > 0) {
                        long out = Channels.makeDivisible(row.c() * Math.max(1.0, w), MobileNetV2.CHANNEL_DIVISOR);
                        total += in * out;
                        in = out;
                    } else {
                        total += in * config.classes() + config.classes();
                    }
                }
                default -> { }
            }
        }
        return total;
    }

    /**
     * Null when a network of {@code config} has no more weights than the {@code storedValues} a file holds,
     * else the problem: checked before {@link MobileNetV2#create} so that a small hostile file cannot make
     * it allocate gigabytes.
     */
    public static String sizeProblem(MobileNetV2Config config, long storedValues) {
        long needed = weightCount(config);
        return needed <= storedValues ? null
                : "configuration needs " + needed + " weights but the file holds only " + storedValues + " values";
    }
}
