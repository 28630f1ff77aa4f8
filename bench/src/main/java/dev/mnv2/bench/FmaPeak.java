package dev.mnv2.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fp32 FMA throughput of one thread, measured rather than computed from /proc/cpuinfo's clock (which can be
 * the nominal one, far below the boost clock a busy core runs at) and an assumed unit count (which differs by CPU
 * generation at 512 bits). Independent accumulator chains keep both FMA pipes busy through their latency;
 * the best of several short runs is taken, as a peak should be.
 */
final class FmaPeak {
    private static final int CHAINS = 12;

    private FmaPeak() {}

    /** One width's measured peak. */
    record Width(int bits, int lanes, double gflops) {}

    /** The peak at every vector width this JVM offers, widest first. */
    static List<Width> measure(long millisPerWidth) {
        List<Width> widths = new ArrayList<>();
        for (VectorSpecies<Float> species : List.of(FloatVector.SPECIES_512, FloatVector.SPECIES_256)) {
            if (species.vectorBitSize() > FloatVector.SPECIES_PREFERRED.vectorBitSize()) {
                continue;
            }
            widths.add(new Width(species.vectorBitSize(), species.length(), gflops(species, millisPerWidth)));
        }
        return widths;
    }

    /** The widest width's peak in GFLOP/s per thread. */
    static double widest(List<Width> widths) {
        return widths.get(0).gflops();
    }

    /** One line for a benchmark's header. */
    static String describe(List<Width> widths) {
        List<String> parts = new ArrayList<>();
        for (Width w : widths) {
            parts.add(String.format(Locale.ROOT, "%d-bit %.1f GFLOP/s", w.bits(), w.gflops()));
        }
        return "FMA peak measured per thread (" + CHAINS + " independent fp32 FMA chains): " + String.join(", ", parts);
    }

    private static double gflops(VectorSpecies<Float> species, long millis) {
        long iterations = 1 << 14;
        float sink = 0;
        // The first calls run interpreted (each vector op allocating) until the JIT compiles the loop: half the
        // time warms up, the other half is measured, with at least a few calls in each.
        long warmEnd = System.nanoTime() + millis * 500_000;
        for (int calls = 0; calls < 20 || System.nanoTime() < warmEnd; calls++) {
            sink += chains(species, iterations);
        }
        double best = 0;
        long end = System.nanoTime() + millis * 500_000;
        for (int calls = 0; calls < 5 || System.nanoTime() < end; calls++) {
            long t0 = System.nanoTime();
            sink += chains(species, iterations);
            double seconds = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, iterations * CHAINS * species.length() * 2.0 / seconds / 1e9);
        }
        if (Float.isNaN(sink)) {
            throw new AssertionError("unreachable: the chains converge");
        }
        return best;
    }

    private static float chains(VectorSpecies<Float> species, long iterations) {
        return species.vectorBitSize() == 512 ? chains512(iterations) : chains256(iterations);
    }

    // One loop per width, each naming its species as a constant: the JIT turns vector operations into
    // instructions only where the species is a compile-time constant, and a loop shared by both widths would
    // also mix their type profiles. Twelve chains of a = a·b + c cover two FMA pipes' 4-cycle latency; b below 1
    // keeps every value finite and far from denormal; distinct starts keep the JIT from merging chains.

    private static float chains512(long iterations) {
        VectorSpecies<Float> s = FloatVector.SPECIES_512;
        FloatVector b = FloatVector.broadcast(s, 0.999f);
        FloatVector c = FloatVector.broadcast(s, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(s, 0.10f), a1 = FloatVector.broadcast(s, 0.11f);
        FloatVector a2 = FloatVector.broadcast(s, 0.12f), a3 = FloatVector.broadcast(s, 0.13f);
        FloatVector a4 = FloatVector.broadcast(s, 0.14f), a5 = FloatVector.broadcast(s, 0.15f);
        FloatVector a6 = FloatVector.broadcast(s, 0.16f), a7 = FloatVector.broadcast(s, 0.17f);
        FloatVector a8 = FloatVector.broadcast(s, 0.18f), a9 = FloatVector.broadcast(s, 0.19f);
        FloatVector a10 = FloatVector.broadcast(s, 0.20f), a11 = FloatVector.broadcast(s, 0.21f);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(b, c); a1 = a1.fma(b, c); a2 = a2.fma(b, c); a3 = a3.fma(b, c);
            a4 = a4.fma(b, c); a5 = a5.fma(b, c); a6 = a6.fma(b, c); a7 = a7.fma(b, c);
            a8 = a8.fma(b, c); a9 = a9.fma(b, c); a10 = a10.fma(b, c); a11 = a11.fma(b, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    private static float chains256(long iterations) {
        VectorSpecies<Float> s = FloatVector.SPECIES_256;
        FloatVector b = FloatVector.broadcast(s, 0.999f);
        FloatVector c = FloatVector.broadcast(s, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(s, 0.10f), a1 = FloatVector.broadcast(s, 0.11f);
        FloatVector a2 = FloatVector.broadcast(s, 0.12f), a3 = FloatVector.broadcast(s, 0.13f);
        FloatVector a4 = FloatVector.broadcast(s, 0.14f), a5 = FloatVector.broadcast(s, 0.15f);
        FloatVector a6 = FloatVector.broadcast(s, 0.16f), a7 = FloatVector.broadcast(s, 0.17f);
        FloatVector a8 = FloatVector.broadcast(s, 0.18f), a9 = FloatVector.broadcast(s, 0.19f);
        FloatVector a10 = FloatVector.broadcast(s, 0.20f), a11 = FloatVector.broadcast(s, 0.21f);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(b, c); a1 = a1.fma(b, c); a2 = a2.fma(b, c); a3 = a3.fma(b, c);
            a4 = a4.fma(b, c); a5 = a5.fma(b, c); a6 = a6.fma(b, c); a7 = a7.fma(b, c);
            a8 = a8.fma(b, c); a9 = a9.fma(b, c); a10 = a10.fma(b, c); a11 = a11.fma(b, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
