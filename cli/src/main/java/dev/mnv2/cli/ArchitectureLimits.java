package dev.mnv2.cli;

import dev.mnv2.model.NetworkConfig;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Bounds of the architecture options and the picocli converters that enforce them, shared by every command
 * that takes them. Within the bounds every count {@code summary} prints (parameters, multiply-accumulates,
 * activation bytes) fits 64-bit arithmetic with a wide margin; a value outside them is a usage error that
 * names the option.
 */
final class ArchitectureLimits {
    static final double MAX_WIDTH = 100;
    static final int MAX_RESOLUTION = 16384;
    static final int MAX_CLASSES = 1_000_000;
    static final int MAX_EXPANSION = 100;

    private ArchitectureLimits() {}

    /** An input size given as R (square) or HxW. */
    record InputSize(int height, int width) {
        @Override
        public String toString() {
            return height == width ? Integer.toString(height) : height + "x" + width;
        }
    }

    /** Width multiplier in (0, {@value #MAX_WIDTH}]. */
    static final class Width implements ITypeConverter<Double> {
        @Override
        public Double convert(String text) {
            double width;
            try {
                width = Double.parseDouble(text.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + text + "' is not a number");
            }
            if (!(width > 0 && width <= MAX_WIDTH)) {
                throw new TypeConversionException("must be > 0 and at most " + (int) MAX_WIDTH + ", got " + text);
            }
            return width;
        }
    }

    /** R or HxW, every side from {@value NetworkConfig#MIN_RESOLUTION} to {@value #MAX_RESOLUTION}. */
    static final class Resolution implements ITypeConverter<InputSize> {
        @Override
        public InputSize convert(String text) {
            String[] parts = text.toLowerCase(Locale.ROOT).split("x", -1);
            int[] sides = new int[parts.length];
            try {
                if (parts.length > 2) {
                    throw new NumberFormatException();
                }
                for (int i = 0; i < parts.length; i++) {
                    sides[i] = Integer.parseInt(parts[i].trim());
                }
            } catch (NumberFormatException e) {
                throw new TypeConversionException("must be a number like 224 or HxW like 160x128, got '" + text + "'");
            }
            for (int side : sides) {
                if (side < NetworkConfig.MIN_RESOLUTION || side > MAX_RESOLUTION) {
                    throw new TypeConversionException("every side must be from " + NetworkConfig.MIN_RESOLUTION
                            + " to " + MAX_RESOLUTION + ", got " + text);
                }
            }
            return new InputSize(sides[0], sides[sides.length - 1]);
        }
    }

    /** An integer within [min, max]. */
    abstract static class IntRange implements ITypeConverter<Integer> {
        private final int min;
        private final int max;

        IntRange(int min, int max) {
            this.min = min;
            this.max = max;
        }

        @Override
        public Integer convert(String text) {
            int value;
            try {
                value = Integer.parseInt(text.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + text + "' is not a whole number from " + min + " to " + max);
            }
            if (value < min || value > max) {
                throw new TypeConversionException("must be from " + min + " to " + max + ", got " + value);
            }
            return value;
        }
    }

    /** A segmentation backbone's output stride: 16 (the published model's) or 8 (paper Table 7's OS 8 rows). */
    static final class OutputStride implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            return switch (text.trim()) {
                case "16" -> 16;
                case "8" -> 8;
                default -> throw new TypeConversionException("must be 16 or 8, got '" + text + "'");
            };
        }
    }

    /** Class count from 1 to {@value #MAX_CLASSES}. */
    static final class Classes extends IntRange {
        Classes() {
            super(1, MAX_CLASSES);
        }
    }

    /** Expansion factor from 0 (Table 2's) to {@value #MAX_EXPANSION}. */
    static final class Expansion extends IntRange {
        Expansion() {
            super(0, MAX_EXPANSION);
        }
    }
}
