package dev.mnv2.load;

import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.NetworkConfig;
import dev.mnv2.model.NetworkSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleFunction;
import java.util.function.Function;

/**
 * Fits the layers a model file stores onto the project's own architecture, for every format: the network is
 * always built by {@link MobileNetV2} or {@link dev.mnv2.model.DeepLabV3} from a configuration, and the file
 * only has to supply that configuration and the weights. A configuration read from the file's metadata is
 * checked ({@link #problem}); one the file does not state gets its width multiplier inferred from the
 * channel counts ({@link #width}). Either way the candidate is compared as a weightless
 * {@link NetworkSpec}, and one needing more weights than the file holds is refused before anything is
 * allocated, so a small hostile file cannot make a reader allocate gigabytes.
 */
public final class ArchitectureFit {
    /** Widest model a file may hold: the paper stops at 1.4; 4 already means some 55 M parameters. */
    public static final double MAX_WIDTH = 4;

    /**
     * Largest input side a file may declare. No published MobileNetV2 exceeds 513, and at twice this the
     * stem's output alone (8192² × 32 floats) would not fit in a Java array: a file claiming more is refused
     * on reading instead of failing at its first inference.
     */
    public static final int MAX_RESOLUTION = 8192;

    /** The widths users name (the published checkpoints'), tried first so that they are what is reported. */
    private static final double[] STANDARD_WIDTHS = {1.0, 0.75, 0.5, 0.35, 1.3, 1.4};

    private ArchitectureFit() {}

    /**
     * Null when {@code config} builds a network that the file fits, else the problem: its input size outside
     * what a file may declare, a configuration that builds no network, more weights than the file's
     * {@code storedValues}, or whatever {@code mismatch} finds between the spec and the file.
     *
     * @param storedValues parameter values the file really holds (not what its shapes claim)
     * @param mismatch why the file's layers differ from a spec, or null when they match
     */
    public static String problem(NetworkConfig config, long storedValues, Function<NetworkSpec, String> mismatch) {
        return check(config, storedValues, mismatch).problem();
    }

    /** A candidate's problem (null when it fits) and the weights it needs (-1 when it builds no network). */
    private record Check(String problem, long needed) {}

    private static Check check(NetworkConfig config, long storedValues, Function<NetworkSpec, String> mismatch) {
        String problem = resolutionProblem("inputHeight x inputWidth", config.inputHeight(), config.inputWidth());
        if (problem != null) {
            return new Check(problem, -1);
        }
        NetworkSpec spec;
        long needed;
        try {
            spec = config.spec();
            needed = spec.parametersWithoutBatchNorm();
        } catch (RuntimeException e) { // IllegalArgumentException or ArithmeticException of absurd sizes
            return new Check(describe(config) + " gives no network: " + e.getMessage(), -1);
        }
        if (needed > storedValues) {
            return new Check(describe(config) + " needs " + needed + " weights but the file holds only "
                    + storedValues + " values", needed);
        }
        return new Check(mismatch.apply(spec), needed);
    }

    /**
     * The configuration, at the width multiplier a file does not store, whose network the file fits. The
     * candidates are the standard widths, then the ratios of each stored convolution's output channels to its
     * count at width 1 (rounded to hundredths first, then exact, and at the lower edge of the channel
     * rounding), so that any width whose rounded channel counts are the file's is found; the first candidate
     * without a {@link #problem} wins.
     *
     * @param configAt the configuration at a width, with everything else read from the file
     * @param storedChannels the output channels of the file's convolutions, in execution order
     * @param storedValues parameter values the file really holds
     * @param mismatch why the file's layers differ from a spec, or null when they match
     * @throws IllegalArgumentException naming the problem of the candidate closest to the file in size
     */
    public static <C extends NetworkConfig> C width(DoubleFunction<C> configAt, int[] storedChannels,
                                                    long storedValues, Function<NetworkSpec, String> mismatch) {
        List<ConvSpec> base = configAt.apply(1.0).spec().convolutions();
        Set<Double> candidates = new LinkedHashSet<>();
        for (double w : STANDARD_WIDTHS) {
            candidates.add(w);
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(base.size(), storedChannels.length); i++) {
            double unit = base.get(i).outChannels();
            ratios.add(storedChannels[i] / unit);
            ratios.add((storedChannels[i] - MobileNetV2.CHANNEL_DIVISOR / 2.0 + 1e-9) / unit);
        }
        ratios.forEach(r -> candidates.add(Math.round(r * 100) / 100.0));
        candidates.addAll(ratios);

        String closest = null;
        long closestDistance = Long.MAX_VALUE;
        for (double width : candidates) {
            if (!(width > 0)) {
                continue;
            }
            C config;
            try {
                config = configAt.apply(width);
            } catch (IllegalArgumentException e) {
                continue; // the knobs read from the file fail at this width only: another may fit
            }
            Check check = width > MAX_WIDTH ? new Check("its channel counts suggest width " + width + ", above the "
                    + MAX_WIDTH + " a file may have", weightsOf(config)) : check(config, storedValues, mismatch);
            if (check.problem() == null) {
                return config;
            }
            String problem = check.problem();
            long distance = check.needed() < 0 ? Long.MAX_VALUE : Math.abs(check.needed() - storedValues);
            if (closest == null || distance < closestDistance) {
                closest = "width " + width + ": " + problem;
                closestDistance = distance;
            }
        }
        throw new IllegalArgumentException("no MobileNetV2 width fits the file's " + storedChannels.length
                + " convolutions" + (closest == null ? "" : " (closest, " + closest + ")"));
    }

    /**
     * Null when an input of {@code height × width} lies within the sizes a file may declare, else the
     * problem, naming the input as {@code what} (the file's field it came from).
     */
    public static String resolutionProblem(String what, long height, long width) {
        if (Math.min(height, width) < NetworkConfig.MIN_RESOLUTION || Math.max(height, width) > MAX_RESOLUTION) {
            return what + " " + height + "x" + width + " is outside the " + NetworkConfig.MIN_RESOLUTION + " to "
                    + MAX_RESOLUTION + " pixels per side a model file may have";
        }
        return null;
    }

    /** The weights a network of {@code config} needs, computed without building it; -1 when it builds none. */
    private static long weightsOf(NetworkConfig config) {
        try {
            return config.spec().parametersWithoutBatchNorm();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The knobs a size problem depends on, for messages. */
    private static String describe(NetworkConfig config) {
        Map<String, String> map = config.toMap();
        return "configuration (width " + config.width()
                + (map.containsKey("expansion") ? ", expansion " + map.get("expansion") : "")
                + ", " + config.classes() + " classes, " + config.inputHeight() + "x" + config.inputWidth() + " input)";
    }
}
