package dev.mnv2.data;

/** Derives independent seeds from a seed and indices (SplitMix64's finaliser on each step). */
final class Seeds {
    private Seeds() {}

    static long mix(long seed, long... indices) {
        long h = mix64(seed);
        for (long index : indices) {
            h = mix64(h ^ mix64(index + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
