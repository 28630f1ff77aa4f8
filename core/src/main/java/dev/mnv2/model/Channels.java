package dev.mnv2.model;

/** Channel-count rounding used by the reference MobileNet implementations. */
public final class Channels {
    private Channels() {}

    /**
     * Rounds {@code value} to the nearest multiple of {@code divisor}, at least {@code divisor}, and never
     * below 90 % of {@code value} (the reference implementations' {@code _make_divisible}).
     */
    public static int makeDivisible(double value, int divisor) {
        int rounded = Math.max(divisor, (int) (value + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * value) {
            rounded += divisor;
        }
        return rounded;
    }
}
