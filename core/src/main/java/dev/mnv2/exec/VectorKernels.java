package dev.mnv2.exec;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on {@code jdk.incubator.vector}, vectorised over channels (NHWC keeps them contiguous). Every lane
 * performs the same operations in the same order as {@link ScalarKernels}; channel counts that are not a
 * multiple of the vector length finish in the scalar code. The accumulators are stored raw and clamped in
 * a pass over the (cache-hot) strip just written, on the float bits as integers: on JDK 17 lane-wise max/min
 * and blends are not compiled to single instructions and would halve the GEMM's speed. No vector passes
 * through a helper method of this class: C2 leaves a call site un-inlined when it has run fewer than
 * {@code MinInliningThreshold} times before its caller compiles, and a vector it returns or takes then has an
 * inexact type, so every operation merged with it runs as allocating Java code. Loaded only when the module is
 * present.
 */
final class VectorKernels implements Kernels {
    /**
     * The kernels' vector: the hardware's widest of 512 and 256 bits, or the width {@code -Dmnv2.vector.bits}
     * names (the tests run both; a 512-bit vector on AVX2 hardware is emulated by the JDK, correct but slow).
     */
    static final VectorSpecies<Float> S = species(Integer.getInteger("mnv2.vector.bits",
            FloatVector.SPECIES_PREFERRED.vectorBitSize()));
    private static final int L = S.length();
    private static final VectorSpecies<Integer> I = S.vectorShape().withLanes(int.class);

    private static VectorSpecies<Float> species(int bits) {
        return bits >= 512 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    }

    /** The width of {@link #S} in bits. */
    static int bits() {
        return S.vectorBitSize();
    }

    /** False where the hardware's vectors are narrower than 256 bits: the JDK would emulate these kernels. */
    boolean wideEnough() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    /** Pixels per pass over a strip of weight columns, so the input rows stay in cache. */
    private static final int PIXEL_CHUNK = 96;

    @Override
    public void pointwise(float[] in, int inOff, int pixels, int inC, float[] w, float[] bias, int outC,
                          float lo, float hi, float[] out, int outOff, float[] res, int resOff, int o0, int o1) {
        boolean allColumns = o0 == 0 && o1 == outC;
        // ReLU and ReLU6 without a shortcut: each strip's block clamped while it is still in L1, not in a pass
        // over the whole chunk (a wide layer's chunk is hundreds of KB: the pass cost a fifth of the product).
        boolean clampStrips = res == null && fromZero(lo, hi);
        for (int p0 = 0, p1; p0 < pixels; p0 = p1) {
            p1 = chunkEnd(p0, pixels);
            product(in, inOff, p0, p1, inC, w, bias, false, outC, out, outOff, o0, o1, clampStrips, hi);
            if (clampStrips) {
                continue;
            }
            if (allColumns) {
                finish(out, outOff + p0 * outC, (p1 - p0) * outC, lo, hi, res, resOff + p0 * outC);
            } else {
                for (int p = p0; p < p1; p++) {
                    finish(out, outOff + p * outC + o0, o1 - o0, lo, hi, res, resOff + p * outC + o0);
                }
            }
        }
    }

    @Override
    public void matmul(float[] a, int aOff, int rows, int inner, float[] b, int cols, boolean accumulate,
                       float[] out, int outOff, int o0, int o1) {
        for (int p0 = 0, p1; p0 < rows; p0 = p1) {
            p1 = chunkEnd(p0, rows);
            product(a, aOff, p0, p1, inner, b, null, accumulate, cols, out, outOff, o0, o1, false, 0);
        }
    }

    /**
     * The end of the chunk from {@code p0}: {@link #PIXEL_CHUNK} pixels on, or the last pixel where fewer than a
     * register block would be left after that (14×14's 196 pixels had ended in a chunk of 4 single pixels).
     */
    private static int chunkEnd(int p0, int pixels) {
        int end = p0 + PIXEL_CHUNK;
        return pixels - end < WIDE_BLOCK ? pixels : end;
    }

    /**
     * Columns [o0, o1) of pixels [p0, p1) of the product with packed weights: each chain starts from
     * {@code out}'s value when {@code accumulate}, else from the bias (0 when it is null). Each strip's values
     * are then clamped to [0, hi] when {@code clamp}.
     */
    private static void product(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias,
                                boolean accumulate, int outC, float[] out, int outOff, int o0, int o1,
                                boolean clamp, float hi) {
        int o = o0;
        if (L == 16) {
            float[] packed = null;
            int singles = p0;
            int packEnd = endsInBlock9(p0, p1) ? p1 - 9 : p1;
            if (packs((o1 - o0) / (2 * Kernels.STRIP), inC) && packEnd - p0 >= WIDE_BLOCK) {
                packed = packedBlocks(inC);
                singles = pack(in, inOff, p0, packEnd, inC, accumulate, packed);
            }
            for (; o + 2 * Kernels.STRIP <= o1; o += 2 * Kernels.STRIP) {
                if (packed != null) {
                    stripPair16Packed(packed, p0, packEnd, inC, w, bias, accumulate, outC, o, out, outOff, clamp, hi);
                    if (singles < p1) {
                        stripPair16(in, inOff, singles, p1, inC, w, bias, accumulate, outC, o, out, outOff, clamp, hi);
                    }
                } else {
                    stripPair16(in, inOff, p0, p1, inC, w, bias, accumulate, outC, o, out, outOff, clamp, hi);
                }
            }
            if (o + Kernels.STRIP + 8 <= o1) {
                strip16And8(in, inOff, p0, p1, inC, w, bias, accumulate, outC, o, out, outOff);
                if (clamp) clampColumns(out, outOff, p0, p1, outC, o, Kernels.STRIP + 8, hi);
                o += Kernels.STRIP + 8;
            }
        }
        for (; o + Kernels.STRIP <= o1; o += Kernels.STRIP) {
            if (L == 16) {
                strip16(in, inOff, p0, p1, inC, w, bias, accumulate, outC, o, out, outOff);
            } else {
                columns2(in, inOff, p0, p1, inC, w, bias, accumulate, outC, o, out, outOff);
            }
            if (clamp) clampColumns(out, outOff, p0, p1, outC, o, Kernels.STRIP, hi);
        }
        for (; o + 8 <= o1; o += 8) {
            columns8(in, inOff, p0, p1, inC, w, bias, accumulate, outC, o, out, outOff);
            if (clamp) clampColumns(out, outOff, p0, p1, outC, o, 8, hi);
        }
        if (o < o1) {
            ScalarKernels.pointwiseChannels(in, inOff + p0 * inC, p1 - p0, inC, w, bias, accumulate, outC,
                    out, outOff + p0 * outC, o, o1);
            if (clamp) clampColumns(out, outOff, p0, p1, outC, o, o1 - o, hi);
        }
    }

    /**
     * {@link #clampFromZero} of columns [o, o + width) of pixels [p0, p1), written just now and still in L1;
     * columns past the last whole vector as {@link ScalarKernels#finish} clamps them.
     */
    private static void clampColumns(float[] out, int outOff, int p0, int p1, int outC, int o, int width, float hi) {
        int vectorWidth = width - width % L;
        clampFromZero(out, outOff + p0 * outC + o, p1 - p0, outC, vectorWidth, hi);
        for (int p = p0; vectorWidth < width && p < p1; p++) {
            ScalarKernels.finish(out, outOff + p * outC + o + vectorWidth, width - vectorWidth, 0f, hi, null, 0);
        }
    }


    /** Pixels per register block of the 256-bit matrix product. */
    private static final int NARROW_BLOCK = 4;

    /**
     * One 16-column strip with 8-lane vectors (AVX2), output channels [o, o + 2L) of pixels [p0, p1): 4 pixels
     * × 2 vectors of accumulators at a time. Every
     * load is indexed by the reduction's loop counter, so C2 proves the bounds once per loop instead of checking
     * each weight load (a separately stepped index kept those checks, and the spills they force, in the loop).
     * C2 schedules the block's broadcasts ahead of its FMAs, so a 6-pixel block no longer fits the 16 AVX2
     * registers; 4 × 2 uses 14.
     */
    private static void columns2(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias,
                                 boolean accumulate, int outC, int o, float[] out, int outOff) {
        FloatVector b0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        FloatVector b1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o + L);
        int p = p0;
        // A tail of 2 or 3 pixels runs as the block ending at p1, cheaper than single pixels; the pixels it
        // shares with the previous block are recomputed to the same bits (not when accumulating: they would
        // be added twice).
        int tail = accumulate ? NARROW_BLOCK : 2;
        boolean anyBlock = p1 - p0 >= NARROW_BLOCK;
        while (anyBlock && p1 - p >= tail) {
            p = Math.min(p, p1 - NARROW_BLOCK);
            FloatVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
            if (accumulate) {
                int d = outOff + p * outC + o;
                a00 = FloatVector.fromArray(S, out, d);
                a01 = FloatVector.fromArray(S, out, d + L);
                a10 = FloatVector.fromArray(S, out, d + outC);
                a11 = FloatVector.fromArray(S, out, d + outC + L);
                a20 = FloatVector.fromArray(S, out, d + 2 * outC);
                a21 = FloatVector.fromArray(S, out, d + 2 * outC + L);
                a30 = FloatVector.fromArray(S, out, d + 3 * outC);
                a31 = FloatVector.fromArray(S, out, d + 3 * outC + L);
            }
            int x0 = inOff + p * inC;
            int x1 = x0 + inC;
            int x2 = x1 + inC;
            int x3 = x2 + inC;
            for (int i = 0; i < inC; i++) {
                int wi = o * inC + i * (2 * L);
                FloatVector w0 = FloatVector.fromArray(S, w, wi);
                FloatVector w1 = FloatVector.fromArray(S, w, wi + L);
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a00 = w0.fma(x, a00);
                a01 = w1.fma(x, a01);
                x = FloatVector.broadcast(S, in[x1 + i]);
                a10 = w0.fma(x, a10);
                a11 = w1.fma(x, a11);
                x = FloatVector.broadcast(S, in[x2 + i]);
                a20 = w0.fma(x, a20);
                a21 = w1.fma(x, a21);
                x = FloatVector.broadcast(S, in[x3 + i]);
                a30 = w0.fma(x, a30);
                a31 = w1.fma(x, a31);
            }
            int d = outOff + p * outC + o;
            a00.intoArray(out, d);
            a01.intoArray(out, d + L);
            a10.intoArray(out, d + outC);
            a11.intoArray(out, d + outC + L);
            d += 2 * outC;
            a20.intoArray(out, d);
            a21.intoArray(out, d + L);
            a30.intoArray(out, d + outC);
            a31.intoArray(out, d + outC + L);
            p += NARROW_BLOCK;
        }
        for (; p < p1; p++) {
            FloatVector a0 = b0, a1 = b1;
            if (accumulate) {
                a0 = FloatVector.fromArray(S, out, outOff + p * outC + o);
                a1 = FloatVector.fromArray(S, out, outOff + p * outC + o + L);
            }
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                int wi = o * inC + i * (2 * L);
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a0 = FloatVector.fromArray(S, w, wi).fma(x, a0);
                a1 = FloatVector.fromArray(S, w, wi + L).fma(x, a1);
            }
            int d = outOff + p * outC + o;
            a0.intoArray(out, d);
            a1.intoArray(out, d + L);
        }
    }

    /** Pixels per register block of the 512-bit matrix product. */
    private static final int WIDE_BLOCK = 8;

    /** Whether [p0, p1) is 8k + 1 pixels, k ≥ 1: its last 9 run as one {@link #stripPair16Block9}. */
    private static boolean endsInBlock9(int p0, int p1) {
        return p1 - p0 >= 9 && (p1 - p0) % WIDE_BLOCK == 1;
    }

    /**
     * Two 16-column strips with 16-lane vectors (AVX-512), output channels [o, o + 32): 8 pixels × 2 vectors of
     * accumulators at a time. 16 accumulators, 2 weight vectors and the broadcasts fit the 32 registers; 8
     * pixels against 2 weight loads keeps the loads per FMA below what a 4 × 2 block needs. Both weight loads
     * are indexed by the loop counter times 16 (the second strip's weights follow the first's), so C2 checks
     * their bounds once per loop and multiplies nothing in it. With {@code clamp}, every value is then clamped to
     * [0, hi] (ReLU, ReLU6).
     */
    private static void stripPair16(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias,
                                    boolean accumulate, int outC, int o, float[] out, int outOff,
                                    boolean clamp, float hi) {
        if (endsInBlock9(p0, p1)) {
            stripPair16(in, inOff, p0, p1 - 9, inC, w, bias, accumulate, outC, o, out, outOff, clamp, hi);
            stripPair16Block9(in, inOff, p1 - 9, inC, w, bias, accumulate, outC, o, out, outOff);
            if (clamp) clampFromZero(out, outOff + (p1 - 9) * outC + o, 9, outC, 2 * L, hi);
            return;
        }
        FloatVector b0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        FloatVector b1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o + L);
        int first = o * inC;
        int second = first + L * inC;
        int p = p0;
        // As in columns2: a tail of 3 or more pixels runs as the block ending at p1 (not when accumulating).
        int tail = accumulate ? WIDE_BLOCK : 3;
        boolean anyBlock = p1 - p0 >= WIDE_BLOCK;
        while (anyBlock && p1 - p >= tail) {
            p = Math.min(p, p1 - WIDE_BLOCK);
            stripPair16Block8(in, inOff, p, inC, w, bias, accumulate, outC, o, out, outOff, clamp, hi);
            p += WIDE_BLOCK;
        }
        int singles = p;
        for (; p < p1; p++) {
            int d = outOff + p * outC + o;
            FloatVector a0 = accumulate ? FloatVector.fromArray(S, out, d) : b0;
            FloatVector a1 = accumulate ? FloatVector.fromArray(S, out, d + L) : b1;
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a0 = FloatVector.fromArray(S, w, first + i * L).fma(x, a0);
                a1 = FloatVector.fromArray(S, w, second + i * L).fma(x, a1);
            }
            a0.intoArray(out, d);
            a1.intoArray(out, d + L);
        }
        if (clamp && singles < p1) clampFromZero(out, outOff + singles * outC + o, p1 - singles, outC, 2 * L, hi);
    }

    /**
     * {@link #stripPair16}'s register block of 8 pixels from {@code p}, clamped to [0, hi] in registers before its
     * stores when {@code clamp} (as {@link #clampFromZero} does in memory): a pass over the stored block reloaded
     * every vector, and the short expansions ran 10-20 % slower with ReLU6 than without. A method of its own: with
     * the clamp inlined in stripPair16's loop, C1 ran out of virtual registers, gave up, and C2 never compiled it.
     */
    private static void stripPair16Block8(float[] in, int inOff, int p, int inC, float[] w, float[] bias,
                                          boolean accumulate, int outC, int o, float[] out, int outOff,
                                          boolean clamp, float hi) {
        FloatVector b0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        FloatVector b1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o + L);
        int first = o * inC;
        int second = first + L * inC;
        int d = outOff + p * outC + o;
        FloatVector a00 = b0, a10 = b0, a20 = b0, a30 = b0, a40 = b0, a50 = b0, a60 = b0, a70 = b0;
        FloatVector a01 = b1, a11 = b1, a21 = b1, a31 = b1, a41 = b1, a51 = b1, a61 = b1, a71 = b1;
        if (accumulate) {
            a00 = FloatVector.fromArray(S, out, d);
            a10 = FloatVector.fromArray(S, out, d + outC);
            a20 = FloatVector.fromArray(S, out, d + 2 * outC);
            a30 = FloatVector.fromArray(S, out, d + 3 * outC);
            a40 = FloatVector.fromArray(S, out, d + 4 * outC);
            a50 = FloatVector.fromArray(S, out, d + 5 * outC);
            a60 = FloatVector.fromArray(S, out, d + 6 * outC);
            a70 = FloatVector.fromArray(S, out, d + 7 * outC);
            a01 = FloatVector.fromArray(S, out, d + L);
            a11 = FloatVector.fromArray(S, out, d + outC + L);
            a21 = FloatVector.fromArray(S, out, d + 2 * outC + L);
            a31 = FloatVector.fromArray(S, out, d + 3 * outC + L);
            a41 = FloatVector.fromArray(S, out, d + 4 * outC + L);
            a51 = FloatVector.fromArray(S, out, d + 5 * outC + L);
            a61 = FloatVector.fromArray(S, out, d + 6 * outC + L);
            a71 = FloatVector.fromArray(S, out, d + 7 * outC + L);
        }
        int x0 = inOff + p * inC;
        for (int i = 0; i < inC; i++) {
            FloatVector w0 = FloatVector.fromArray(S, w, first + i * L);
            FloatVector w1 = FloatVector.fromArray(S, w, second + i * L);
            FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
            a00 = w0.fma(x, a00);
            a01 = w1.fma(x, a01);
            x = FloatVector.broadcast(S, in[x0 + inC + i]);
            a10 = w0.fma(x, a10);
            a11 = w1.fma(x, a11);
            x = FloatVector.broadcast(S, in[x0 + 2 * inC + i]);
            a20 = w0.fma(x, a20);
            a21 = w1.fma(x, a21);
            x = FloatVector.broadcast(S, in[x0 + 3 * inC + i]);
            a30 = w0.fma(x, a30);
            a31 = w1.fma(x, a31);
            x = FloatVector.broadcast(S, in[x0 + 4 * inC + i]);
            a40 = w0.fma(x, a40);
            a41 = w1.fma(x, a41);
            x = FloatVector.broadcast(S, in[x0 + 5 * inC + i]);
            a50 = w0.fma(x, a50);
            a51 = w1.fma(x, a51);
            x = FloatVector.broadcast(S, in[x0 + 6 * inC + i]);
            a60 = w0.fma(x, a60);
            a61 = w1.fma(x, a61);
            x = FloatVector.broadcast(S, in[x0 + 7 * inC + i]);
            a70 = w0.fma(x, a70);
            a71 = w1.fma(x, a71);
        }
        // A NaN among the sums shows in their sum (as does an inf - inf, a false alarm): then the exact clamp in
        // memory, which keeps NaNs as Math.max and min do; else integer max and min alone, right for every number.
        boolean inRegisters = clamp && !a00.add(a01).add(a10.add(a11)).add(a20.add(a21).add(a30.add(a31)))
                .add(a40.add(a41).add(a50.add(a51)).add(a60.add(a61).add(a70.add(a71))))
                .test(VectorOperators.IS_NAN).anyTrue();
        if (inRegisters) {
            IntVector top = IntVector.broadcast(I, Float.floatToRawIntBits(hi));
            a00.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d);
            a01.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + L);
            a10.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + outC);
            a11.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + outC + L);
            a20.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 2 * outC);
            a21.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 2 * outC + L);
            a30.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 3 * outC);
            a31.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 3 * outC + L);
            a40.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 4 * outC);
            a41.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 4 * outC + L);
            a50.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 5 * outC);
            a51.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 5 * outC + L);
            a60.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 6 * outC);
            a61.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 6 * outC + L);
            a70.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 7 * outC);
            a71.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 7 * outC + L);
        } else {
            a00.intoArray(out, d);
            a01.intoArray(out, d + L);
            a10.intoArray(out, d + outC);
            a11.intoArray(out, d + outC + L);
            a20.intoArray(out, d + 2 * outC);
            a21.intoArray(out, d + 2 * outC + L);
            a30.intoArray(out, d + 3 * outC);
            a31.intoArray(out, d + 3 * outC + L);
            a40.intoArray(out, d + 4 * outC);
            a41.intoArray(out, d + 4 * outC + L);
            a50.intoArray(out, d + 5 * outC);
            a51.intoArray(out, d + 5 * outC + L);
            a60.intoArray(out, d + 6 * outC);
            a61.intoArray(out, d + 6 * outC + L);
            a70.intoArray(out, d + 7 * outC);
            a71.intoArray(out, d + 7 * outC + L);
            if (clamp) clampFromZero(out, d, WIDE_BLOCK, outC, 2 * L, hi);
        }
    }

    /**
     * {@link #stripPair16} over exactly 9 pixels from {@code p}: 18 sums, which the 32 registers still hold. Ends a
     * range of 8k + 1 pixels (7×7's 49, 5×5's 25, 3×3's 9), whose last pixel alone had cost about half a block.
     */
    private static void stripPair16Block9(float[] in, int inOff, int p, int inC, float[] w, float[] bias,
                                          boolean accumulate, int outC, int o, float[] out, int outOff) {
        FloatVector b0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        FloatVector b1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o + L);
        int first = o * inC;
        int second = first + L * inC;
        int d = outOff + p * outC + o;
        FloatVector a00 = b0, a10 = b0, a20 = b0, a30 = b0, a40 = b0, a50 = b0, a60 = b0, a70 = b0, a80 = b0;
        FloatVector a01 = b1, a11 = b1, a21 = b1, a31 = b1, a41 = b1, a51 = b1, a61 = b1, a71 = b1, a81 = b1;
        if (accumulate) {
            a00 = FloatVector.fromArray(S, out, d);
            a01 = FloatVector.fromArray(S, out, d + L);
            a10 = FloatVector.fromArray(S, out, d + outC);
            a11 = FloatVector.fromArray(S, out, d + outC + L);
            a20 = FloatVector.fromArray(S, out, d + 2 * outC);
            a21 = FloatVector.fromArray(S, out, d + 2 * outC + L);
            a30 = FloatVector.fromArray(S, out, d + 3 * outC);
            a31 = FloatVector.fromArray(S, out, d + 3 * outC + L);
            a40 = FloatVector.fromArray(S, out, d + 4 * outC);
            a41 = FloatVector.fromArray(S, out, d + 4 * outC + L);
            a50 = FloatVector.fromArray(S, out, d + 5 * outC);
            a51 = FloatVector.fromArray(S, out, d + 5 * outC + L);
            a60 = FloatVector.fromArray(S, out, d + 6 * outC);
            a61 = FloatVector.fromArray(S, out, d + 6 * outC + L);
            a70 = FloatVector.fromArray(S, out, d + 7 * outC);
            a71 = FloatVector.fromArray(S, out, d + 7 * outC + L);
            a80 = FloatVector.fromArray(S, out, d + 8 * outC);
            a81 = FloatVector.fromArray(S, out, d + 8 * outC + L);
        }
        int x0 = inOff + p * inC;
        for (int i = 0; i < inC; i++) {
            FloatVector w0 = FloatVector.fromArray(S, w, first + i * L);
            FloatVector w1 = FloatVector.fromArray(S, w, second + i * L);
            FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
            a00 = w0.fma(x, a00);
            a01 = w1.fma(x, a01);
            x = FloatVector.broadcast(S, in[x0 + inC + i]);
            a10 = w0.fma(x, a10);
            a11 = w1.fma(x, a11);
            x = FloatVector.broadcast(S, in[x0 + 2 * inC + i]);
            a20 = w0.fma(x, a20);
            a21 = w1.fma(x, a21);
            x = FloatVector.broadcast(S, in[x0 + 3 * inC + i]);
            a30 = w0.fma(x, a30);
            a31 = w1.fma(x, a31);
            x = FloatVector.broadcast(S, in[x0 + 4 * inC + i]);
            a40 = w0.fma(x, a40);
            a41 = w1.fma(x, a41);
            x = FloatVector.broadcast(S, in[x0 + 5 * inC + i]);
            a50 = w0.fma(x, a50);
            a51 = w1.fma(x, a51);
            x = FloatVector.broadcast(S, in[x0 + 6 * inC + i]);
            a60 = w0.fma(x, a60);
            a61 = w1.fma(x, a61);
            x = FloatVector.broadcast(S, in[x0 + 7 * inC + i]);
            a70 = w0.fma(x, a70);
            a71 = w1.fma(x, a71);
            x = FloatVector.broadcast(S, in[x0 + 8 * inC + i]);
            a80 = w0.fma(x, a80);
            a81 = w1.fma(x, a81);
        }
        a00.intoArray(out, d);
        a01.intoArray(out, d + L);
        a10.intoArray(out, d + outC);
        a11.intoArray(out, d + outC + L);
        a20.intoArray(out, d + 2 * outC);
        a21.intoArray(out, d + 2 * outC + L);
        a30.intoArray(out, d + 3 * outC);
        a31.intoArray(out, d + 3 * outC + L);
        a40.intoArray(out, d + 4 * outC);
        a41.intoArray(out, d + 4 * outC + L);
        a50.intoArray(out, d + 5 * outC);
        a51.intoArray(out, d + 5 * outC + L);
        a60.intoArray(out, d + 6 * outC);
        a61.intoArray(out, d + 6 * outC + L);
        a70.intoArray(out, d + 7 * outC);
        a71.intoArray(out, d + 7 * outC + L);
        a80.intoArray(out, d + 8 * outC);
        a81.intoArray(out, d + 8 * outC + L);
    }

    /**
     * Whether {@link #product} packs a chunk's pixels before running {@code pairs} strip pairs over {@code inC}
     * input channels: from 6 pairs on, or from 3 where the reduction is long. Measured with
     * {@code PointwiseBenchmark} on an AVX-512 Xeon: packing took 576 → 96 and 960 → 160 from 185 and 128 µs
     * to 159 and 119, but 16 → 96 at 112×112 from 500 to 538 µs.
     */
    private static boolean packs(int pairs, int inC) {
        return pairs >= 6 || pairs >= 3 && inC >= 128;
    }

    /** Each thread's packed pixels ({@link #pack}), grown to the widest layer it has run, so steady-state calls allocate nothing. */
    private static final ThreadLocal<float[]> PACKED = ThreadLocal.withInitial(() -> new float[0]);

    /** Floats per packed register block: a last group of fewer than 16 channels takes a whole group's room. */
    private static int packedBlock(int inC) {
        return WIDE_BLOCK * ((inC + L - 1) / L * L);
    }

    private static float[] packedBlocks(int inC) {
        float[] packed = PACKED.get();
        int need = (PIXEL_CHUNK / WIDE_BLOCK + 1) * packedBlock(inC);
        if (packed.length < need) {
            packed = new float[need];
            PACKED.set(packed);
        }
        return packed;
    }

    /**
     * The register blocks {@link #stripPair16} would run over pixels [p0, p1), copied to {@code packed} in groups
     * of 16 channels, the block's 8 pixels one after another within a group ({@code [channel / 16][pixel][16]}):
     * then a block's 8 broadcasts share one index and differ by a constant offset, where unpacked rows each
     * need an address computed in the loop (on Intel's cores those additions, and the spills they force, held
     * the product to about 55 % of the FMA peak). Whole vectors move, so the copy costs little beside the
     * product. Returns the first pixel no block covers.
     */
    private static int pack(float[] in, int inOff, int p0, int p1, int inC, boolean accumulate, float[] packed) {
        int tail = accumulate ? WIDE_BLOCK : 3;
        int whole = inC - inC % L;
        int p = p0;
        for (int b = 0; p1 - p >= tail; b += packedBlock(inC)) {
            p = Math.min(p, p1 - WIDE_BLOCK);
            for (int k = 0; k < WIDE_BLOCK; k++) {
                int x = inOff + (p + k) * inC;
                int d = b + k * L;
                for (int g = 0; g < whole; g += L) {
                    FloatVector.fromArray(S, in, x + g).intoArray(packed, d + g * WIDE_BLOCK);
                }
                if (whole < inC) {
                    System.arraycopy(in, x + whole, packed, d + whole * WIDE_BLOCK, inC - whole);
                }
            }
            p += WIDE_BLOCK;
        }
        return p;
    }

    /**
     * {@link #stripPair16}'s register blocks over pixels [p0, p1) from their {@link #pack}ed inputs; not the single
     * pixels after them. With {@code clamp}, each block is clamped to [0, hi] as {@link #stripPair16Block8}'s are.
     */
    private static void stripPair16Packed(float[] packed, int p0, int p1, int inC, float[] w, float[] bias,
                                          boolean accumulate, int outC, int o, float[] out, int outOff,
                                          boolean clamp, float hi) {
        int tail = accumulate ? WIDE_BLOCK : 3;
        int p = p0;
        for (int x0 = 0; p1 - p >= tail; x0 += packedBlock(inC)) {
            p = Math.min(p, p1 - WIDE_BLOCK);
            stripPair16PackedBlock8(packed, x0, p, inC, w, bias, accumulate, outC, o, out, outOff, clamp, hi);
            p += WIDE_BLOCK;
        }
    }

    /** {@link #stripPair16Block8} of the packed block at {@code x0}, for {@link #stripPair16Packed}. */
    private static void stripPair16PackedBlock8(float[] packed, int x0, int p, int inC, float[] w, float[] bias,
                                                boolean accumulate, int outC, int o, float[] out, int outOff,
                                                boolean clamp, float hi) {
        FloatVector b0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        FloatVector b1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o + L);
        int first = o * inC;
        int second = first + L * inC;
        int d = outOff + p * outC + o;
        FloatVector a00 = b0, a10 = b0, a20 = b0, a30 = b0, a40 = b0, a50 = b0, a60 = b0, a70 = b0;
        FloatVector a01 = b1, a11 = b1, a21 = b1, a31 = b1, a41 = b1, a51 = b1, a61 = b1, a71 = b1;
        if (accumulate) {
            a00 = FloatVector.fromArray(S, out, d);
            a10 = FloatVector.fromArray(S, out, d + outC);
            a20 = FloatVector.fromArray(S, out, d + 2 * outC);
            a30 = FloatVector.fromArray(S, out, d + 3 * outC);
            a40 = FloatVector.fromArray(S, out, d + 4 * outC);
            a50 = FloatVector.fromArray(S, out, d + 5 * outC);
            a60 = FloatVector.fromArray(S, out, d + 6 * outC);
            a70 = FloatVector.fromArray(S, out, d + 7 * outC);
            a01 = FloatVector.fromArray(S, out, d + L);
            a11 = FloatVector.fromArray(S, out, d + outC + L);
            a21 = FloatVector.fromArray(S, out, d + 2 * outC + L);
            a31 = FloatVector.fromArray(S, out, d + 3 * outC + L);
            a41 = FloatVector.fromArray(S, out, d + 4 * outC + L);
            a51 = FloatVector.fromArray(S, out, d + 5 * outC + L);
            a61 = FloatVector.fromArray(S, out, d + 6 * outC + L);
            a71 = FloatVector.fromArray(S, out, d + 7 * outC + L);
        }
        for (int i = 0; i < inC; i++) {
            FloatVector w0 = FloatVector.fromArray(S, w, first + i * L);
            FloatVector w1 = FloatVector.fromArray(S, w, second + i * L);
            // Channel i of pixel 0: its group's start plus its place in the group (one loop, not a loop
            // per group: C2 boxes vectors carried through a nested loop's merges).
            int k = x0 + i + (i / L) * (WIDE_BLOCK - 1) * L;
            FloatVector x = FloatVector.broadcast(S, packed[k]);
            a00 = w0.fma(x, a00);
            a01 = w1.fma(x, a01);
            x = FloatVector.broadcast(S, packed[k + L]);
            a10 = w0.fma(x, a10);
            a11 = w1.fma(x, a11);
            x = FloatVector.broadcast(S, packed[k + 2 * L]);
            a20 = w0.fma(x, a20);
            a21 = w1.fma(x, a21);
            x = FloatVector.broadcast(S, packed[k + 3 * L]);
            a30 = w0.fma(x, a30);
            a31 = w1.fma(x, a31);
            x = FloatVector.broadcast(S, packed[k + 4 * L]);
            a40 = w0.fma(x, a40);
            a41 = w1.fma(x, a41);
            x = FloatVector.broadcast(S, packed[k + 5 * L]);
            a50 = w0.fma(x, a50);
            a51 = w1.fma(x, a51);
            x = FloatVector.broadcast(S, packed[k + 6 * L]);
            a60 = w0.fma(x, a60);
            a61 = w1.fma(x, a61);
            x = FloatVector.broadcast(S, packed[k + 7 * L]);
            a70 = w0.fma(x, a70);
            a71 = w1.fma(x, a71);
        }
        // The same stores as stripPair16Block8's: a method taking the 16 sums would box them.
        // A NaN among the sums shows in their sum (as does an inf - inf, a false alarm): then the exact clamp in
        // memory, which keeps NaNs as Math.max and min do; else integer max and min alone, right for every number.
        boolean inRegisters = clamp && !a00.add(a01).add(a10.add(a11)).add(a20.add(a21).add(a30.add(a31)))
                .add(a40.add(a41).add(a50.add(a51)).add(a60.add(a61).add(a70.add(a71))))
                .test(VectorOperators.IS_NAN).anyTrue();
        if (inRegisters) {
            IntVector top = IntVector.broadcast(I, Float.floatToRawIntBits(hi));
            a00.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d);
            a01.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + L);
            a10.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + outC);
            a11.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + outC + L);
            a20.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 2 * outC);
            a21.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 2 * outC + L);
            a30.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 3 * outC);
            a31.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 3 * outC + L);
            a40.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 4 * outC);
            a41.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 4 * outC + L);
            a50.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 5 * outC);
            a51.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 5 * outC + L);
            a60.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 6 * outC);
            a61.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 6 * outC + L);
            a70.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 7 * outC);
            a71.reinterpretAsInts().max(0).min(top).reinterpretAsFloats().intoArray(out, d + 7 * outC + L);
        } else {
            a00.intoArray(out, d);
            a01.intoArray(out, d + L);
            a10.intoArray(out, d + outC);
            a11.intoArray(out, d + outC + L);
            a20.intoArray(out, d + 2 * outC);
            a21.intoArray(out, d + 2 * outC + L);
            a30.intoArray(out, d + 3 * outC);
            a31.intoArray(out, d + 3 * outC + L);
            a40.intoArray(out, d + 4 * outC);
            a41.intoArray(out, d + 4 * outC + L);
            a50.intoArray(out, d + 5 * outC);
            a51.intoArray(out, d + 5 * outC + L);
            a60.intoArray(out, d + 6 * outC);
            a61.intoArray(out, d + 6 * outC + L);
            a70.intoArray(out, d + 7 * outC);
            a71.intoArray(out, d + 7 * outC + L);
            if (clamp) clampFromZero(out, d, WIDE_BLOCK, outC, 2 * L, hi);
        }
    }

    /**
     * {@link #stripPair16} for a 16-column strip and an 8-column one, output channels [o, o + 24): the 8-column
     * strip runs in the high lanes' junk as {@link #columns8} does, its chains staged.
     */
    private static void strip16And8(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias,
                                    boolean accumulate, int outC, int o, float[] out, int outOff) {
        float[] stage = STAGE.get();
        FloatVector b0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        // Where the 24 columns are a pixel's whole row (24-channel projections), rows are stored in order as
        // whole vectors, as columns8 does for 8 columns, except the range's last and when accumulating.
        boolean wholeRows = outC == Kernels.STRIP + 8 && !accumulate;
        startStage(stage, 0, bias, o + L, false, out, 0);
        FloatVector b1 = FloatVector.fromArray(S, stage, 0);
        int first = o * inC;
        int second = first + L * inC;
        int p = p0;
        // As in columns2: a tail of 3 or more pixels runs as the block ending at p1 (not when accumulating).
        int tail = accumulate ? WIDE_BLOCK : 3;
        boolean anyBlock = p1 - p0 >= WIDE_BLOCK;
        while (anyBlock && p1 - p >= tail) {
            p = Math.min(p, p1 - WIDE_BLOCK);
            int d = outOff + p * outC + o;
            FloatVector a00 = b0, a10 = b0, a20 = b0, a30 = b0, a40 = b0, a50 = b0, a60 = b0, a70 = b0;
            if (accumulate) {
                a00 = FloatVector.fromArray(S, out, d);
                a10 = FloatVector.fromArray(S, out, d + outC);
                a20 = FloatVector.fromArray(S, out, d + 2 * outC);
                a30 = FloatVector.fromArray(S, out, d + 3 * outC);
                a40 = FloatVector.fromArray(S, out, d + 4 * outC);
                a50 = FloatVector.fromArray(S, out, d + 5 * outC);
                a60 = FloatVector.fromArray(S, out, d + 6 * outC);
                a70 = FloatVector.fromArray(S, out, d + 7 * outC);
            }
            boolean direct = wholeRows && p + WIDE_BLOCK < p1;
            FloatVector a01 = b1, a11 = b1, a21 = b1, a31 = b1, a41 = b1, a51 = b1, a61 = b1, a71 = b1;
            if (!direct) {
                for (int j = 0; j < WIDE_BLOCK; j++) {
                    startStage(stage, j * L, bias, o + L, accumulate, out, d + j * outC + L);
                }
                a01 = FloatVector.fromArray(S, stage, 0);
                a11 = FloatVector.fromArray(S, stage, L);
                a21 = FloatVector.fromArray(S, stage, 2 * L);
                a31 = FloatVector.fromArray(S, stage, 3 * L);
                a41 = FloatVector.fromArray(S, stage, 4 * L);
                a51 = FloatVector.fromArray(S, stage, 5 * L);
                a61 = FloatVector.fromArray(S, stage, 6 * L);
                a71 = FloatVector.fromArray(S, stage, 7 * L);
            }
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                FloatVector w0 = FloatVector.fromArray(S, w, first + i * L);
                FloatVector w1 = FloatVector.fromArray(S, w, second + i * 8);
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a00 = w0.fma(x, a00);
                a01 = w1.fma(x, a01);
                x = FloatVector.broadcast(S, in[x0 + inC + i]);
                a10 = w0.fma(x, a10);
                a11 = w1.fma(x, a11);
                x = FloatVector.broadcast(S, in[x0 + 2 * inC + i]);
                a20 = w0.fma(x, a20);
                a21 = w1.fma(x, a21);
                x = FloatVector.broadcast(S, in[x0 + 3 * inC + i]);
                a30 = w0.fma(x, a30);
                a31 = w1.fma(x, a31);
                x = FloatVector.broadcast(S, in[x0 + 4 * inC + i]);
                a40 = w0.fma(x, a40);
                a41 = w1.fma(x, a41);
                x = FloatVector.broadcast(S, in[x0 + 5 * inC + i]);
                a50 = w0.fma(x, a50);
                a51 = w1.fma(x, a51);
                x = FloatVector.broadcast(S, in[x0 + 6 * inC + i]);
                a60 = w0.fma(x, a60);
                a61 = w1.fma(x, a61);
                x = FloatVector.broadcast(S, in[x0 + 7 * inC + i]);
                a70 = w0.fma(x, a70);
                a71 = w1.fma(x, a71);
            }
            if (direct) {
                // Each row's second vector, then the next row's first, which overwrites its junk lanes.
                a00.intoArray(out, d);
                a01.intoArray(out, d + L);
                a10.intoArray(out, d + outC);
                a11.intoArray(out, d + outC + L);
                a20.intoArray(out, d + 2 * outC);
                a21.intoArray(out, d + 2 * outC + L);
                a30.intoArray(out, d + 3 * outC);
                a31.intoArray(out, d + 3 * outC + L);
                a40.intoArray(out, d + 4 * outC);
                a41.intoArray(out, d + 4 * outC + L);
                a50.intoArray(out, d + 5 * outC);
                a51.intoArray(out, d + 5 * outC + L);
                a60.intoArray(out, d + 6 * outC);
                a61.intoArray(out, d + 6 * outC + L);
                a70.intoArray(out, d + 7 * outC);
                a71.intoArray(out, d + 7 * outC + L);
                p += WIDE_BLOCK;
                continue;
            }
            a00.intoArray(out, d);
            a10.intoArray(out, d + outC);
            a20.intoArray(out, d + 2 * outC);
            a30.intoArray(out, d + 3 * outC);
            a40.intoArray(out, d + 4 * outC);
            a50.intoArray(out, d + 5 * outC);
            a60.intoArray(out, d + 6 * outC);
            a70.intoArray(out, d + 7 * outC);
            a01.intoArray(stage, 0);
            a11.intoArray(stage, L);
            a21.intoArray(stage, 2 * L);
            a31.intoArray(stage, 3 * L);
            a41.intoArray(stage, 4 * L);
            a51.intoArray(stage, 5 * L);
            a61.intoArray(stage, 6 * L);
            a71.intoArray(stage, 7 * L);
            for (int j = 0; j < WIDE_BLOCK; j++) {
                System.arraycopy(stage, j * L, out, d + j * outC + L, 8);
            }
            p += WIDE_BLOCK;
        }
        for (; p < p1; p++) {
            int d = outOff + p * outC + o;
            FloatVector a0 = accumulate ? FloatVector.fromArray(S, out, d) : b0;
            startStage(stage, 0, bias, o + L, accumulate, out, d + L);
            FloatVector a1 = FloatVector.fromArray(S, stage, 0);
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                FloatVector x = FloatVector.broadcast(S, in[x0 + i]);
                a0 = FloatVector.fromArray(S, w, first + i * L).fma(x, a0);
                a1 = FloatVector.fromArray(S, w, second + i * 8).fma(x, a1);
            }
            a0.intoArray(out, d);
            a1.intoArray(stage, 0);
            System.arraycopy(stage, 0, out, d + L, 8);
        }
    }

    /**
     * One 16-column strip with 16-lane vectors (AVX-512): {@link #strip16Block12}'s 12 pixels at a time, then 8 × 1
     * vector and single pixels.
     */
    private static void strip16(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias,
                                boolean accumulate, int outC, int o, float[] out, int outOff) {
        FloatVector b = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        int p = p0;
        for (; p1 - p >= 12; p += 12) {
            strip16Block12(in, inOff, p, inC, w, bias, accumulate, outC, o, out, outOff);
        }
        int tail = accumulate ? WIDE_BLOCK : 3;
        boolean anyBlock = p1 - p0 >= WIDE_BLOCK;
        while (anyBlock && p1 - p >= tail) {
            p = Math.min(p, p1 - WIDE_BLOCK);
            int d = outOff + p * outC + o;
            FloatVector a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
            if (accumulate) {
                a0 = FloatVector.fromArray(S, out, d);
                a1 = FloatVector.fromArray(S, out, d + outC);
                a2 = FloatVector.fromArray(S, out, d + 2 * outC);
                a3 = FloatVector.fromArray(S, out, d + 3 * outC);
                a4 = FloatVector.fromArray(S, out, d + 4 * outC);
                a5 = FloatVector.fromArray(S, out, d + 5 * outC);
                a6 = FloatVector.fromArray(S, out, d + 6 * outC);
                a7 = FloatVector.fromArray(S, out, d + 7 * outC);
            }
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                FloatVector wv = FloatVector.fromArray(S, w, o * inC + i * L);
                a0 = wv.fma(FloatVector.broadcast(S, in[x0 + i]), a0);
                a1 = wv.fma(FloatVector.broadcast(S, in[x0 + inC + i]), a1);
                a2 = wv.fma(FloatVector.broadcast(S, in[x0 + 2 * inC + i]), a2);
                a3 = wv.fma(FloatVector.broadcast(S, in[x0 + 3 * inC + i]), a3);
                a4 = wv.fma(FloatVector.broadcast(S, in[x0 + 4 * inC + i]), a4);
                a5 = wv.fma(FloatVector.broadcast(S, in[x0 + 5 * inC + i]), a5);
                a6 = wv.fma(FloatVector.broadcast(S, in[x0 + 6 * inC + i]), a6);
                a7 = wv.fma(FloatVector.broadcast(S, in[x0 + 7 * inC + i]), a7);
            }
            a0.intoArray(out, d);
            a1.intoArray(out, d + outC);
            a2.intoArray(out, d + 2 * outC);
            a3.intoArray(out, d + 3 * outC);
            a4.intoArray(out, d + 4 * outC);
            a5.intoArray(out, d + 5 * outC);
            a6.intoArray(out, d + 6 * outC);
            a7.intoArray(out, d + 7 * outC);
            p += WIDE_BLOCK;
        }
        for (; p < p1; p++) {
            int d = outOff + p * outC + o;
            FloatVector a = accumulate ? FloatVector.fromArray(S, out, d) : b;
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                a = FloatVector.fromArray(S, w, o * inC + i * L).fma(FloatVector.broadcast(S, in[x0 + i]), a);
            }
            a.intoArray(out, d);
        }
    }

    /**
     * 12 pixels of {@link #strip16}'s single column vector: AVX-512's 32 registers hold 12 sums, 4 more chains
     * than the two FMA pipes' latency needs, where 8 left none to spare.
     */
    private static void strip16Block12(float[] in, int inOff, int p, int inC, float[] w, float[] bias,
                                       boolean accumulate, int outC, int o, float[] out, int outOff) {
        FloatVector b = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, o);
        int d = outOff + p * outC + o;
        FloatVector a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b, a10 = b, a11 = b;
        if (accumulate) {
            a0 = FloatVector.fromArray(S, out, d);
            a1 = FloatVector.fromArray(S, out, d + outC);
            a2 = FloatVector.fromArray(S, out, d + 2 * outC);
            a3 = FloatVector.fromArray(S, out, d + 3 * outC);
            a4 = FloatVector.fromArray(S, out, d + 4 * outC);
            a5 = FloatVector.fromArray(S, out, d + 5 * outC);
            a6 = FloatVector.fromArray(S, out, d + 6 * outC);
            a7 = FloatVector.fromArray(S, out, d + 7 * outC);
            a8 = FloatVector.fromArray(S, out, d + 8 * outC);
            a9 = FloatVector.fromArray(S, out, d + 9 * outC);
            a10 = FloatVector.fromArray(S, out, d + 10 * outC);
            a11 = FloatVector.fromArray(S, out, d + 11 * outC);
        }
        int x0 = inOff + p * inC;
        for (int i = 0; i < inC; i++) {
            FloatVector wv = FloatVector.fromArray(S, w, o * inC + i * L);
            a0 = wv.fma(FloatVector.broadcast(S, in[x0 + i]), a0);
            a1 = wv.fma(FloatVector.broadcast(S, in[x0 + inC + i]), a1);
            a2 = wv.fma(FloatVector.broadcast(S, in[x0 + 2 * inC + i]), a2);
            a3 = wv.fma(FloatVector.broadcast(S, in[x0 + 3 * inC + i]), a3);
            a4 = wv.fma(FloatVector.broadcast(S, in[x0 + 4 * inC + i]), a4);
            a5 = wv.fma(FloatVector.broadcast(S, in[x0 + 5 * inC + i]), a5);
            a6 = wv.fma(FloatVector.broadcast(S, in[x0 + 6 * inC + i]), a6);
            a7 = wv.fma(FloatVector.broadcast(S, in[x0 + 7 * inC + i]), a7);
            a8 = wv.fma(FloatVector.broadcast(S, in[x0 + 8 * inC + i]), a8);
            a9 = wv.fma(FloatVector.broadcast(S, in[x0 + 9 * inC + i]), a9);
            a10 = wv.fma(FloatVector.broadcast(S, in[x0 + 10 * inC + i]), a10);
            a11 = wv.fma(FloatVector.broadcast(S, in[x0 + 11 * inC + i]), a11);
        }
        a0.intoArray(out, d);
        a1.intoArray(out, d + outC);
        a2.intoArray(out, d + 2 * outC);
        a3.intoArray(out, d + 3 * outC);
        a4.intoArray(out, d + 4 * outC);
        a5.intoArray(out, d + 5 * outC);
        a6.intoArray(out, d + 6 * outC);
        a7.intoArray(out, d + 7 * outC);
        a8.intoArray(out, d + 8 * outC);
        a9.intoArray(out, d + 9 * outC);
        a10.intoArray(out, d + 10 * outC);
        a11.intoArray(out, d + 11 * outC);
    }

    /**
     * Output channels [o, o + 8), an 8-column strip: 6 pixels × one vector at a time, in {@link #S} (one JVM must
     * not mix vector shapes: on JDK 17 a second shape pollutes the Vector API's shared type profiles, and C2 then
     * boxes every vector). At 512 bits only the low 8 lanes count: row i's load also reads row i + 1 (or the
     * packing's padding) into the high lanes, which are never stored. So the chains start from and end in a
     * staging array, not in {@code out}, whose next floats belong to the next pixel.
     */
    private static void columns8(float[] in, int inOff, int p0, int p1, int inC, float[] w, float[] bias,
                                 boolean accumulate, int outC, int o, float[] out, int outOff) {
        float[] stage = STAGE.get();
        int strip = o * inC;
        // Where the 8 columns are a pixel's whole row, a block stores whole vectors in pixel order instead: each
        // one's junk lanes land on the next row before that row is stored. Not for the range's last pixel
        // (the next row may be another part's), nor when accumulating (the next block starts from that row).
        boolean wholeRows = outC == 8 && !accumulate;
        startStage(stage, 0, bias, o, false, out, 0);
        FloatVector b = FloatVector.fromArray(S, stage, 0);
        int p = p0;
        for (; p + 6 <= p1; p += 6) {
            int d = outOff + p * outC + o;
            boolean direct = wholeRows && p + 6 < p1;
            FloatVector a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b;
            if (!direct) {
                for (int j = 0; j < 6; j++) {
                    startStage(stage, j * L, bias, o, accumulate, out, d + j * outC);
                }
                a0 = FloatVector.fromArray(S, stage, 0);
                a1 = FloatVector.fromArray(S, stage, L);
                a2 = FloatVector.fromArray(S, stage, 2 * L);
                a3 = FloatVector.fromArray(S, stage, 3 * L);
                a4 = FloatVector.fromArray(S, stage, 4 * L);
                a5 = FloatVector.fromArray(S, stage, 5 * L);
            }
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                FloatVector wv = FloatVector.fromArray(S, w, strip + i * 8);
                a0 = wv.fma(FloatVector.broadcast(S, in[x0 + i]), a0);
                a1 = wv.fma(FloatVector.broadcast(S, in[x0 + inC + i]), a1);
                a2 = wv.fma(FloatVector.broadcast(S, in[x0 + 2 * inC + i]), a2);
                a3 = wv.fma(FloatVector.broadcast(S, in[x0 + 3 * inC + i]), a3);
                a4 = wv.fma(FloatVector.broadcast(S, in[x0 + 4 * inC + i]), a4);
                a5 = wv.fma(FloatVector.broadcast(S, in[x0 + 5 * inC + i]), a5);
            }
            if (direct) {
                a0.intoArray(out, d);
                a1.intoArray(out, d + 8);
                a2.intoArray(out, d + 16);
                a3.intoArray(out, d + 24);
                a4.intoArray(out, d + 32);
                a5.intoArray(out, d + 40);
                continue;
            }
            a0.intoArray(stage, 0);
            a1.intoArray(stage, L);
            a2.intoArray(stage, 2 * L);
            a3.intoArray(stage, 3 * L);
            a4.intoArray(stage, 4 * L);
            a5.intoArray(stage, 5 * L);
            for (int j = 0; j < 6; j++) {
                System.arraycopy(stage, j * L, out, d + j * outC, 8);
            }
        }
        for (; p < p1; p++) {
            int d = outOff + p * outC + o;
            startStage(stage, 0, bias, o, accumulate, out, d);
            FloatVector a = FloatVector.fromArray(S, stage, 0);
            int x0 = inOff + p * inC;
            for (int i = 0; i < inC; i++) {
                a = FloatVector.fromArray(S, w, strip + i * 8).fma(FloatVector.broadcast(S, in[x0 + i]), a);
            }
            a.intoArray(stage, 0);
            System.arraycopy(stage, 0, out, d, 8);
        }
    }

    /** The staging array of {@link #columns8} and {@link #strip16And8}, one per thread, so that steady-state calls allocate nothing. */
    private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[WIDE_BLOCK * L]);

    /** The 8 chains' start values at {@code stage[s]}: {@code out}'s when accumulating, else the bias (or 0). */
    private static void startStage(float[] stage, int s, float[] bias, int o, boolean accumulate, float[] out, int d) {
        if (accumulate) {
            System.arraycopy(out, d, stage, s, 8);
        } else if (bias != null) {
            System.arraycopy(bias, o, stage, s, 8);
        } else {
            Arrays.fill(stage, s, s + 8, 0f);
        }
    }


    /** Bytes of both operands' rows that one pass of {@link #addOuterProducts} reads: half of a 32 kB L1. */
    private static final int OUTER_CHUNK_BYTES = 16 * 1024;

    @Override
    public void addOuterProducts(float[] a, int aOff, int aWidth, float[] b, int bOff, int bWidth, int count,
                                 float[] out, int i0, int i1) {
        int vectorEnd = bWidth - bWidth % L;
        // Every register block rereads the chunk's rows, so they must stay in L1.
        int chunk = Math.max(8, Math.min(128, OUTER_CHUNK_BYTES / ((aWidth + bWidth) * Float.BYTES)));
        for (int p0 = 0; p0 < count; p0 += chunk) {
            int p1 = Math.min(count, p0 + chunk);
            int i = i0;
            for (; i + 4 <= i1; i += 4) {
                int o = 0;
                for (; o + 2 * L <= bWidth; o += 2 * L) {
                    outerRows4(a, aOff, aWidth, b, bOff, bWidth, p0, p1, out, i, o);
                }
                for (; o < vectorEnd; o += L) {
                    outerRows4Narrow(a, aOff, aWidth, b, bOff, bWidth, p0, p1, out, i, o);
                }
            }
            for (; i < i1; i++) {
                for (int o = 0; o < vectorEnd; o += L) {
                    outerRow(a, aOff, aWidth, b, bOff, bWidth, p0, p1, out, i, o);
                }
            }
            if (vectorEnd < bWidth) {
                ScalarKernels.outerProductColumns(a, aOff + p0 * aWidth, aWidth, b, bOff + p0 * bWidth, bWidth,
                        p1 - p0, out, i0, i1, vectorEnd, bWidth);
            }
        }
    }

    /** Rows [i, i + 4) × columns [o, o + 2L) of {@link #addOuterProducts} over pixels [p0, p1), in registers. */
    private static void outerRows4(float[] a, int aOff, int aWidth, float[] b, int bOff, int bWidth, int p0, int p1,
                                   float[] out, int i, int o) {
        int r0 = i * bWidth + o;
        int r1 = r0 + bWidth;
        int r2 = r1 + bWidth;
        int r3 = r2 + bWidth;
        FloatVector a00 = FloatVector.fromArray(S, out, r0);
        FloatVector a01 = FloatVector.fromArray(S, out, r0 + L);
        FloatVector a10 = FloatVector.fromArray(S, out, r1);
        FloatVector a11 = FloatVector.fromArray(S, out, r1 + L);
        FloatVector a20 = FloatVector.fromArray(S, out, r2);
        FloatVector a21 = FloatVector.fromArray(S, out, r2 + L);
        FloatVector a30 = FloatVector.fromArray(S, out, r3);
        FloatVector a31 = FloatVector.fromArray(S, out, r3 + L);
        for (int p = p0; p < p1; p++) {
            int x = aOff + p * aWidth + i;
            int y = bOff + p * bWidth + o;
            FloatVector y0 = FloatVector.fromArray(S, b, y);
            FloatVector y1 = FloatVector.fromArray(S, b, y + L);
            FloatVector v = FloatVector.broadcast(S, a[x]);
            a00 = y0.fma(v, a00);
            a01 = y1.fma(v, a01);
            v = FloatVector.broadcast(S, a[x + 1]);
            a10 = y0.fma(v, a10);
            a11 = y1.fma(v, a11);
            v = FloatVector.broadcast(S, a[x + 2]);
            a20 = y0.fma(v, a20);
            a21 = y1.fma(v, a21);
            v = FloatVector.broadcast(S, a[x + 3]);
            a30 = y0.fma(v, a30);
            a31 = y1.fma(v, a31);
        }
        a00.intoArray(out, r0);
        a01.intoArray(out, r0 + L);
        a10.intoArray(out, r1);
        a11.intoArray(out, r1 + L);
        a20.intoArray(out, r2);
        a21.intoArray(out, r2 + L);
        a30.intoArray(out, r3);
        a31.intoArray(out, r3 + L);
    }

    /** Rows [i, i + 4) × columns [o, o + L): four independent chains, where one would wait on each FMA. */
    private static void outerRows4Narrow(float[] a, int aOff, int aWidth, float[] b, int bOff, int bWidth, int p0,
                                         int p1, float[] out, int i, int o) {
        int r0 = i * bWidth + o;
        FloatVector a0 = FloatVector.fromArray(S, out, r0);
        FloatVector a1 = FloatVector.fromArray(S, out, r0 + bWidth);
        FloatVector a2 = FloatVector.fromArray(S, out, r0 + 2 * bWidth);
        FloatVector a3 = FloatVector.fromArray(S, out, r0 + 3 * bWidth);
        for (int p = p0; p < p1; p++) {
            int x = aOff + p * aWidth + i;
            FloatVector y = FloatVector.fromArray(S, b, bOff + p * bWidth + o);
            a0 = y.fma(FloatVector.broadcast(S, a[x]), a0);
            a1 = y.fma(FloatVector.broadcast(S, a[x + 1]), a1);
            a2 = y.fma(FloatVector.broadcast(S, a[x + 2]), a2);
            a3 = y.fma(FloatVector.broadcast(S, a[x + 3]), a3);
        }
        a0.intoArray(out, r0);
        a1.intoArray(out, r0 + bWidth);
        a2.intoArray(out, r0 + 2 * bWidth);
        a3.intoArray(out, r0 + 3 * bWidth);
    }

    /** Row i × columns [o, o + L) of {@link #addOuterProducts} over pixels [p0, p1). */
    private static void outerRow(float[] a, int aOff, int aWidth, float[] b, int bOff, int bWidth, int p0, int p1,
                                 float[] out, int i, int o) {
        int r = i * bWidth + o;
        FloatVector acc = FloatVector.fromArray(S, out, r);
        for (int p = p0; p < p1; p++) {
            acc = FloatVector.fromArray(S, b, bOff + p * bWidth + o).fma(FloatVector.broadcast(S, a[aOff + p * aWidth + i]), acc);
        }
        acc.intoArray(out, r);
    }

    @Override
    public void depthwiseRow(float[] in, int[] rowOff, int inW, int channels, int kernel, int stride, int dilation,
                             int padLeft, float[] w, float[] bias, float lo, float hi,
                             float[] out, int outOff, int outW, float[] res, int resOff) {
        // ReLU and ReLU6 without a shortcut are clamped as each vector is stored, not in a second pass.
        boolean fused = kernel == 3 && res == null && fromZero(lo, hi);
        int c = 0;
        for (; c + L <= channels; c += L) {
            if (kernel == 3) {
                depthwise3(in, rowOff, inW, channels, stride, dilation, padLeft, w, bias, fused, hi, out, outOff,
                        outW, c);
            } else {
                depthwiseAny(in, rowOff, inW, channels, kernel, stride, dilation, padLeft, w, bias,
                        out, outOff, outW, c);
            }
        }
        if (c < channels) {
            ScalarKernels.depthwiseChannels(in, rowOff, inW, channels, kernel, stride, dilation, padLeft, w, bias,
                    out, outOff, outW, c, channels);
        }
        if (!fused) {
            finish(out, outOff, outW * channels, lo, hi, res, resOff);
        } else if (c < channels) {
            for (int ox = 0; ox < outW; ox++) {
                ScalarKernels.finish(out, outOff + ox * channels + c, channels - c, lo, hi, null, 0);
            }
        }
    }

    /**
     * 3×3 taps of channels [c, c + L) along a row, the nine weight vectors held in registers; each result clamped
     * to [0, hi] as {@link #clampFromZero} does as it is stored when {@code clamp}.
     */
    private static void depthwise3(float[] in, int[] rowOff, int inW, int channels, int stride, int dilation,
                                   int padLeft, float[] w, float[] bias, boolean clamp, float hi,
                                   float[] out, int outOff, int outW, int c) {
        boolean allRows = rowOff[0] >= 0 && rowOff[1] >= 0 && rowOff[2] >= 0;
        // Output columns whose three taps all fall inside the row: no padding checks there.
        int innerStart = Math.min(outW, (padLeft + stride - 1) / stride);
        int innerEnd = Math.max(innerStart, Math.min(outW, Math.floorDiv(inW - 1 - 2 * dilation + padLeft, stride) + 1));
        int lastX = (outW - 1) * stride - padLeft;
        boolean leftEdge = innerStart == 1 && padLeft == 1;
        boolean rightEdge = innerEnd == outW - 1 && lastX >= 0 && lastX + 2 == inW;
        // A whole row in one pass where only the first and last pixels may each miss one column: a narrow row
        // (7 or 14 pixels) spent more on the separate edge pass and its set-up than on its interior.
        if (clamp && allRows && dilation == 1 && (stride == 1 || stride == 2) && outW >= 2 && inW >= 2
                && (innerStart == 0 || leftEdge) && (innerEnd == outW || rightEdge)) {
            int x = (innerStart * stride - padLeft) * channels;
            int dst = outOff + innerStart * channels + c;
            int r0 = rowOff[0] + c;
            int r1 = rowOff[1] + c;
            int r2 = rowOff[2] + c;
            if (stride == 1) {
                depthwise3Rolling(in, r0, r1, r2, channels, w, bias, c, hi, out, dst, x, innerEnd - innerStart,
                        leftEdge, rightEdge);
            } else {
                depthwise3RollingStride2(in, r0, r1, r2, channels, w, bias, c, hi, out, dst, x,
                        innerEnd - innerStart, leftEdge, rightEdge);
            }
            return;
        }
        FloatVector w00 = FloatVector.fromArray(S, w, c);
        FloatVector w01 = FloatVector.fromArray(S, w, channels + c);
        FloatVector w02 = FloatVector.fromArray(S, w, 2 * channels + c);
        FloatVector w10 = FloatVector.fromArray(S, w, 3 * channels + c);
        FloatVector w11 = FloatVector.fromArray(S, w, 4 * channels + c);
        FloatVector w12 = FloatVector.fromArray(S, w, 5 * channels + c);
        FloatVector w20 = FloatVector.fromArray(S, w, 6 * channels + c);
        FloatVector w21 = FloatVector.fromArray(S, w, 7 * channels + c);
        FloatVector w22 = FloatVector.fromArray(S, w, 8 * channels + c);
        FloatVector b = FloatVector.fromArray(S, bias, c);
        IntVector hiBits = IntVector.broadcast(I, Float.floatToRawIntBits(hi));
        int r0 = rowOff[0] + c;
        int r1 = rowOff[1] + c;
        int r2 = rowOff[2] + c;
        if (!allRows) {
            innerStart = innerEnd = outW;
        }
        int step = stride * channels;
        int d1 = dilation * channels;
        int d2 = 2 * dilation * channels;
        // The inside and the edges in separate loops: C2 eliminates the inner loop's range checks only when it is
        // not nested in the edge loop. No vector is passed to a method C2 might not inline: it would be boxed.
        int x = (innerStart * stride - padLeft) * channels;
        int end = outOff + innerEnd * channels + c;
        // One loop per case: a vector chosen by a branch (clamped or not) makes C2 box it.
        if (clamp) {
            int dst = outOff + innerStart * channels + c;
            if (dilation == 1 && (stride == 1 || stride == 2)) {
                int pixels = innerEnd - innerStart;
                if (stride == 1) {
                    depthwise3Rolling(in, r0, r1, r2, channels, w, bias, c, hi, out, dst, x, pixels, false, false);
                } else {
                    depthwise3RollingStride2(in, r0, r1, r2, channels, w, bias, c, hi, out, dst, x, pixels, false,
                            false);
                }
                x += pixels * step;
                dst += pixels * channels;
            }
            for (; dst < end; x += step, dst += channels) {
                FloatVector acc = FloatVector.fromArray(S, in, r0 + x).fma(w00, b);
                acc = FloatVector.fromArray(S, in, r0 + x + d1).fma(w01, acc);
                acc = FloatVector.fromArray(S, in, r0 + x + d2).fma(w02, acc);
                acc = FloatVector.fromArray(S, in, r1 + x).fma(w10, acc);
                acc = FloatVector.fromArray(S, in, r1 + x + d1).fma(w11, acc);
                acc = FloatVector.fromArray(S, in, r1 + x + d2).fma(w12, acc);
                acc = FloatVector.fromArray(S, in, r2 + x).fma(w20, acc);
                acc = FloatVector.fromArray(S, in, r2 + x + d1).fma(w21, acc);
                acc = FloatVector.fromArray(S, in, r2 + x + d2).fma(w22, acc);
                IntVector bits = acc.reinterpretAsInts();
                IntVector number = bits.and(0x7fffffff).sub(0x7f800001).lanewise(VectorOperators.ASHR, 31);
                bits.max(0).min(hiBits).and(number).or(bits.and(number.not())).reinterpretAsFloats().intoArray(out, dst);
            }
        } else {
            for (int dst = outOff + innerStart * channels + c; dst < end; x += step, dst += channels) {
                FloatVector acc = FloatVector.fromArray(S, in, r0 + x).fma(w00, b);
                acc = FloatVector.fromArray(S, in, r0 + x + d1).fma(w01, acc);
                acc = FloatVector.fromArray(S, in, r0 + x + d2).fma(w02, acc);
                acc = FloatVector.fromArray(S, in, r1 + x).fma(w10, acc);
                acc = FloatVector.fromArray(S, in, r1 + x + d1).fma(w11, acc);
                acc = FloatVector.fromArray(S, in, r1 + x + d2).fma(w12, acc);
                acc = FloatVector.fromArray(S, in, r2 + x).fma(w20, acc);
                acc = FloatVector.fromArray(S, in, r2 + x + d1).fma(w21, acc);
                acc = FloatVector.fromArray(S, in, r2 + x + d2).fma(w22, acc);
                acc.intoArray(out, dst);
            }
        }
        edges3(in, rowOff, inW, channels, stride, dilation, padLeft, w, bias, clamp, hi, out, outOff, outW, c,
                innerStart, innerEnd);
    }

    /**
     * {@link #depthwise3}'s stride-1 interior, clamped: {@code pixels} pixels from input offset {@code x} (of each
     * row, {@code r0..r2} holding channel c) and output offset {@code dst}. A window of the last three input
     * columns of each row stays in registers, so each pixel loads one new column per row: three loads with
     * their address arithmetic and range checks per nine multiply-adds. That arithmetic, not the FMA units, bound
     * the earlier blocks of four pixels, which loaded six columns per row for every four. A method of its own
     * (loading its own weights): in one with the rest, C1 ran out of virtual registers and C2 never compiled it.
     */
    private static void depthwise3Rolling(float[] in, int r0, int r1, int r2, int channels, float[] w, float[] bias,
                                          int c, float hi, float[] out, int dst, int x, int pixels,
                                          boolean leftEdge, boolean rightEdge) {
        FloatVector w00 = FloatVector.fromArray(S, w, c);
        FloatVector w01 = FloatVector.fromArray(S, w, channels + c);
        FloatVector w02 = FloatVector.fromArray(S, w, 2 * channels + c);
        FloatVector w10 = FloatVector.fromArray(S, w, 3 * channels + c);
        FloatVector w11 = FloatVector.fromArray(S, w, 4 * channels + c);
        FloatVector w12 = FloatVector.fromArray(S, w, 5 * channels + c);
        FloatVector w20 = FloatVector.fromArray(S, w, 6 * channels + c);
        FloatVector w21 = FloatVector.fromArray(S, w, 7 * channels + c);
        FloatVector w22 = FloatVector.fromArray(S, w, 8 * channels + c);
        FloatVector b = FloatVector.fromArray(S, bias, c);
        IntVector hiBits = IntVector.broadcast(I, Float.floatToRawIntBits(hi));
        if (pixels <= 0 && !leftEdge && !rightEdge) {
            return;
        }
        // Columns x and x + 1 of each row; column x + 2 is loaded in the loop.
        FloatVector a0 = FloatVector.fromArray(S, in, r0 + x);
        FloatVector b0 = FloatVector.fromArray(S, in, r0 + x + channels);
        FloatVector a1 = FloatVector.fromArray(S, in, r1 + x);
        FloatVector b1 = FloatVector.fromArray(S, in, r1 + x + channels);
        FloatVector a2 = FloatVector.fromArray(S, in, r2 + x);
        FloatVector b2 = FloatVector.fromArray(S, in, r2 + x + channels);
        if (leftEdge) { // the pixel before, whose left column is padding (x is column 0), in edges3's order
            FloatVector acc = a0.fma(w01, b);
            acc = b0.fma(w02, acc);
            acc = a1.fma(w11, acc);
            acc = b1.fma(w12, acc);
            acc = a2.fma(w21, acc);
            acc = b2.fma(w22, acc);
            acc.intoArray(out, dst - channels);
            clampFromZero(out, dst - channels, 1, 0, L, hi);
        }
        int q0 = r0 + x + 2 * channels;
        int q1 = r1 + x + 2 * channels;
        int q2 = r2 + x + 2 * channels;
        for (int n = 0; n < pixels; n++, q0 += channels, q1 += channels, q2 += channels, dst += channels) {
            FloatVector c0 = FloatVector.fromArray(S, in, q0);
            FloatVector c1 = FloatVector.fromArray(S, in, q1);
            FloatVector c2 = FloatVector.fromArray(S, in, q2);
            FloatVector acc = a0.fma(w00, b);
            acc = b0.fma(w01, acc);
            acc = c0.fma(w02, acc);
            acc = a1.fma(w10, acc);
            acc = b1.fma(w11, acc);
            acc = c1.fma(w12, acc);
            acc = a2.fma(w20, acc);
            acc = b2.fma(w21, acc);
            acc = c2.fma(w22, acc);
            IntVector bits = acc.reinterpretAsInts();
            IntVector number = bits.and(0x7fffffff).sub(0x7f800001).lanewise(VectorOperators.ASHR, 31);
            bits.max(0).min(hiBits).and(number).or(bits.and(number.not())).reinterpretAsFloats().intoArray(out, dst);
            a0 = b0;
            b0 = c0;
            a1 = b1;
            b1 = c1;
            a2 = b2;
            b2 = c2;
        }
        if (rightEdge) { // the pixel after, whose right column is padding: a and b are its first two
            FloatVector acc = a0.fma(w00, b);
            acc = b0.fma(w01, acc);
            acc = a1.fma(w10, acc);
            acc = b1.fma(w11, acc);
            acc = a2.fma(w20, acc);
            acc = b2.fma(w21, acc);
            acc.intoArray(out, dst);
            clampFromZero(out, dst, 1, 0, L, hi);
        }
    }

    /**
     * {@link #depthwise3Rolling} for stride 2: each pixel's last input column of a row is the next pixel's first,
     * so each pixel loads two new columns per row.
     */
    private static void depthwise3RollingStride2(float[] in, int r0, int r1, int r2, int channels, float[] w,
                                                 float[] bias, int c, float hi, float[] out, int dst, int x,
                                                 int pixels, boolean leftEdge, boolean rightEdge) {
        FloatVector w00 = FloatVector.fromArray(S, w, c);
        FloatVector w01 = FloatVector.fromArray(S, w, channels + c);
        FloatVector w02 = FloatVector.fromArray(S, w, 2 * channels + c);
        FloatVector w10 = FloatVector.fromArray(S, w, 3 * channels + c);
        FloatVector w11 = FloatVector.fromArray(S, w, 4 * channels + c);
        FloatVector w12 = FloatVector.fromArray(S, w, 5 * channels + c);
        FloatVector w20 = FloatVector.fromArray(S, w, 6 * channels + c);
        FloatVector w21 = FloatVector.fromArray(S, w, 7 * channels + c);
        FloatVector w22 = FloatVector.fromArray(S, w, 8 * channels + c);
        FloatVector b = FloatVector.fromArray(S, bias, c);
        IntVector hiBits = IntVector.broadcast(I, Float.floatToRawIntBits(hi));
        if (pixels <= 0 && !leftEdge && !rightEdge) {
            return;
        }
        // Column x of each row; columns x + 1 and x + 2 are loaded in the loop.
        FloatVector a0 = FloatVector.fromArray(S, in, r0 + x);
        FloatVector a1 = FloatVector.fromArray(S, in, r1 + x);
        FloatVector a2 = FloatVector.fromArray(S, in, r2 + x);
        if (leftEdge) { // the pixel before: columns -1 (padding), 0 and 1 = x, in edges3's order
            FloatVector acc = FloatVector.fromArray(S, in, r0 + x - channels).fma(w01, b);
            acc = a0.fma(w02, acc);
            acc = FloatVector.fromArray(S, in, r1 + x - channels).fma(w11, acc);
            acc = a1.fma(w12, acc);
            acc = FloatVector.fromArray(S, in, r2 + x - channels).fma(w21, acc);
            acc = a2.fma(w22, acc);
            acc.intoArray(out, dst - channels);
            clampFromZero(out, dst - channels, 1, 0, L, hi);
        }
        int q0 = r0 + x + channels;
        int q1 = r1 + x + channels;
        int q2 = r2 + x + channels;
        int step = 2 * channels;
        for (int n = 0; n < pixels; n++, q0 += step, q1 += step, q2 += step, dst += channels) {
            FloatVector b0 = FloatVector.fromArray(S, in, q0);
            FloatVector c0 = FloatVector.fromArray(S, in, q0 + channels);
            FloatVector b1 = FloatVector.fromArray(S, in, q1);
            FloatVector c1 = FloatVector.fromArray(S, in, q1 + channels);
            FloatVector b2 = FloatVector.fromArray(S, in, q2);
            FloatVector c2 = FloatVector.fromArray(S, in, q2 + channels);
            FloatVector acc = a0.fma(w00, b);
            acc = b0.fma(w01, acc);
            acc = c0.fma(w02, acc);
            acc = a1.fma(w10, acc);
            acc = b1.fma(w11, acc);
            acc = c1.fma(w12, acc);
            acc = a2.fma(w20, acc);
            acc = b2.fma(w21, acc);
            acc = c2.fma(w22, acc);
            IntVector bits = acc.reinterpretAsInts();
            IntVector number = bits.and(0x7fffffff).sub(0x7f800001).lanewise(VectorOperators.ASHR, 31);
            bits.max(0).min(hiBits).and(number).or(bits.and(number.not())).reinterpretAsFloats().intoArray(out, dst);
            a0 = c0;
            a1 = c1;
            a2 = c2;
        }
        if (rightEdge) { // the pixel after: its first column is a, its last is padding
            int q = x + 2 * pixels * channels + channels;
            FloatVector acc = a0.fma(w00, b);
            acc = FloatVector.fromArray(S, in, r0 + q).fma(w01, acc);
            acc = a1.fma(w10, acc);
            acc = FloatVector.fromArray(S, in, r1 + q).fma(w11, acc);
            acc = a2.fma(w20, acc);
            acc = FloatVector.fromArray(S, in, r2 + q).fma(w21, acc);
            acc.intoArray(out, dst);
            clampFromZero(out, dst, 1, 0, L, hi);
        }
    }

    /**
     * {@link #depthwise3}'s columns [0, innerStart) and [innerEnd, outW), whose taps may fall in the padding. A
     * method of its own, reloading the weights, so that depthwise3 stays small enough for C2 to inline the clamp
     * into its inner loop.
     */
    private static void edges3(float[] in, int[] rowOff, int inW, int channels, int stride, int dilation,
                               int padLeft, float[] w, float[] bias, boolean clamp, float hi, float[] out,
                               int outOff, int outW, int c, int innerStart, int innerEnd) {
        FloatVector w00 = FloatVector.fromArray(S, w, c);
        FloatVector w01 = FloatVector.fromArray(S, w, channels + c);
        FloatVector w02 = FloatVector.fromArray(S, w, 2 * channels + c);
        FloatVector w10 = FloatVector.fromArray(S, w, 3 * channels + c);
        FloatVector w11 = FloatVector.fromArray(S, w, 4 * channels + c);
        FloatVector w12 = FloatVector.fromArray(S, w, 5 * channels + c);
        FloatVector w20 = FloatVector.fromArray(S, w, 6 * channels + c);
        FloatVector w21 = FloatVector.fromArray(S, w, 7 * channels + c);
        FloatVector w22 = FloatVector.fromArray(S, w, 8 * channels + c);
        FloatVector b = FloatVector.fromArray(S, bias, c);
        int r0 = rowOff[0] + c;
        int r1 = rowOff[1] + c;
        int r2 = rowOff[2] + c;
        boolean top = rowOff[0] >= 0;
        boolean middle = rowOff[1] >= 0;
        boolean bottom = rowOff[2] >= 0;
        for (int ox = innerStart > 0 ? 0 : innerEnd; ox < outW; ox = ox + 1 == innerStart ? innerEnd : ox + 1) {
            int x0 = ox * stride - padLeft;
            int x1 = x0 + dilation;
            int x2 = x1 + dilation;
            boolean left = x0 >= 0 && x0 < inW;
            boolean centre = x1 >= 0 && x1 < inW;
            boolean right = x2 >= 0 && x2 < inW;
            FloatVector acc = b;
            if (top) {
                if (left) acc = FloatVector.fromArray(S, in, r0 + x0 * channels).fma(w00, acc);
                if (centre) acc = FloatVector.fromArray(S, in, r0 + x1 * channels).fma(w01, acc);
                if (right) acc = FloatVector.fromArray(S, in, r0 + x2 * channels).fma(w02, acc);
            }
            if (middle) {
                if (left) acc = FloatVector.fromArray(S, in, r1 + x0 * channels).fma(w10, acc);
                if (centre) acc = FloatVector.fromArray(S, in, r1 + x1 * channels).fma(w11, acc);
                if (right) acc = FloatVector.fromArray(S, in, r1 + x2 * channels).fma(w12, acc);
            }
            if (bottom) {
                if (left) acc = FloatVector.fromArray(S, in, r2 + x0 * channels).fma(w20, acc);
                if (centre) acc = FloatVector.fromArray(S, in, r2 + x1 * channels).fma(w21, acc);
                if (right) acc = FloatVector.fromArray(S, in, r2 + x2 * channels).fma(w22, acc);
            }
            int dst = outOff + ox * channels + c;
            acc.intoArray(out, dst);
            if (clamp) {
                clampFromZero(out, dst, 1, 0, L, hi);
            }
        }
    }

    private static void depthwiseAny(float[] in, int[] rowOff, int inW, int channels, int kernel, int stride,
                                     int dilation, int padLeft, float[] w, float[] bias,
                                     float[] out, int outOff, int outW, int c) {
        FloatVector b = FloatVector.fromArray(S, bias, c);
        for (int ox = 0; ox < outW; ox++) {
            int x0 = ox * stride - padLeft;
            FloatVector acc = b;
            for (int ky = 0; ky < kernel; ky++) {
                if (rowOff[ky] < 0) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int ix = x0 + kx * dilation;
                    if (ix < 0 || ix >= inW) continue;
                    FloatVector x = FloatVector.fromArray(S, in, rowOff[ky] + ix * channels + c);
                    acc = x.fma(FloatVector.fromArray(S, w, (ky * kernel + kx) * channels + c), acc);
                }
            }
            acc.intoArray(out, outOff + ox * channels + c);
        }
    }

    @Override
    public void depthwiseInputGradientRow(float[] dy, int[] rowOff, int outW, int channels, int kernel, int stride,
                                          int dilation, int padLeft, float[] w, boolean accumulate,
                                          float[] dx, int dxOff, int inW) {
        int vectorEnd = channels - channels % L;
        // Taps outer, channels inner, summed in dx itself: which taps reach a pixel is found once per tap, and
        // no vector stays live across that search (a vector live across a call would be boxed).
        for (int ix = 0; ix < inW; ix++) {
            int dst = dxOff + ix * channels;
            if (!accumulate) {
                Arrays.fill(dx, dst, dst + channels, 0f);
            }
            for (int ky = 0; ky < kernel; ky++) {
                if (rowOff[ky] < 0) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int ox = ScalarKernels.outputColumn(ix, kx, stride, dilation, padLeft, outW);
                    if (ox < 0) continue;
                    int src = rowOff[ky] + ox * channels;
                    int tap = (ky * kernel + kx) * channels;
                    int c = 0;
                    for (; c < vectorEnd; c += L) {
                        FloatVector.fromArray(S, dy, src + c).fma(FloatVector.fromArray(S, w, tap + c),
                                FloatVector.fromArray(S, dx, dst + c)).intoArray(dx, dst + c);
                    }
                    for (; c < channels; c++) {
                        dx[dst + c] = Math.fma(dy[src + c], w[tap + c], dx[dst + c]);
                    }
                }
            }
        }
    }

    @Override
    public void depthwiseWeightGradientRow(float[] x, int[] rowOff, int inW, int channels, int kernel, int stride,
                                           int dilation, int padLeft, float[] dy, int dyOff, int outW, float[] dw,
                                           int c0, int c1) {
        int c = c0;
        // Four channel vectors at a time: each tap's chain runs over a whole row, so one chain alone would wait
        // on the fused multiply-add's latency.
        for (; c + 4 * L <= c1; c += 4 * L) {
            for (int ky = 0; ky < kernel; ky++) {
                if (rowOff[ky] < 0) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int tap = (ky * kernel + kx) * channels + c;
                    int first = ScalarKernels.firstOutputColumn(kx, stride, dilation, padLeft);
                    int end = ScalarKernels.endOutputColumn(kx, stride, dilation, padLeft, inW, outW);
                    FloatVector a0 = FloatVector.fromArray(S, dw, tap);
                    FloatVector a1 = FloatVector.fromArray(S, dw, tap + L);
                    FloatVector a2 = FloatVector.fromArray(S, dw, tap + 2 * L);
                    FloatVector a3 = FloatVector.fromArray(S, dw, tap + 3 * L);
                    for (int ox = first; ox < end; ox++) {
                        int src = rowOff[ky] + (ox * stride - padLeft + kx * dilation) * channels + c;
                        int g = dyOff + ox * channels + c;
                        a0 = FloatVector.fromArray(S, dy, g).fma(FloatVector.fromArray(S, x, src), a0);
                        a1 = FloatVector.fromArray(S, dy, g + L).fma(FloatVector.fromArray(S, x, src + L), a1);
                        a2 = FloatVector.fromArray(S, dy, g + 2 * L).fma(FloatVector.fromArray(S, x, src + 2 * L), a2);
                        a3 = FloatVector.fromArray(S, dy, g + 3 * L).fma(FloatVector.fromArray(S, x, src + 3 * L), a3);
                    }
                    a0.intoArray(dw, tap);
                    a1.intoArray(dw, tap + L);
                    a2.intoArray(dw, tap + 2 * L);
                    a3.intoArray(dw, tap + 3 * L);
                }
            }
        }
        for (; c + L <= c1; c += L) {
            for (int ky = 0; ky < kernel; ky++) {
                if (rowOff[ky] < 0) continue;
                for (int kx = 0; kx < kernel; kx++) {
                    int tap = (ky * kernel + kx) * channels + c;
                    int end = ScalarKernels.endOutputColumn(kx, stride, dilation, padLeft, inW, outW);
                    FloatVector acc = FloatVector.fromArray(S, dw, tap);
                    for (int ox = ScalarKernels.firstOutputColumn(kx, stride, dilation, padLeft); ox < end; ox++) {
                        int src = rowOff[ky] + (ox * stride - padLeft + kx * dilation) * channels + c;
                        acc = FloatVector.fromArray(S, dy, dyOff + ox * channels + c)
                                .fma(FloatVector.fromArray(S, x, src), acc);
                    }
                    acc.intoArray(dw, tap);
                }
            }
        }
        if (c < c1) {
            ScalarKernels.depthwiseWeightGradientChannels(x, rowOff, inW, channels, kernel, stride, dilation, padLeft,
                    dy, dyOff, outW, dw, c, c1);
        }
    }

    @Override
    public void batchNormGradientSums(float[] x, int xOff, float[] dy, int dyOff, int pixels, int channels,
                                      float[] scale, float[] shift, float[] mean, float[] inverseStd, float lo,
                                      float hi, float[] sum, float[] product, int c0, int c1) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int vectorEnd = c0 + (c1 - c0) / L * L;
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            int grad = dyOff + p * channels;
            for (int c = c0; c < vectorEnd; c += L) {
                FloatVector centred = FloatVector.fromArray(S, x, src + c).sub(FloatVector.fromArray(S, mean, c));
                FloatVector a = centred.fma(FloatVector.fromArray(S, scale, c), FloatVector.fromArray(S, shift, c));
                // dy where lo < a < hi, +0 elsewhere: ScalarKernels#inside's bit mask, lane-wise (-z & ~z has the
                // sign bit set exactly where z > +0).
                IntVector above = a.sub(vlo).reinterpretAsInts();
                IntVector below = vhi.sub(a).reinterpretAsInts();
                IntVector inside = above.neg().and(above.not()).and(below.neg()).and(below.not())
                        .lanewise(VectorOperators.ASHR, 31);
                FloatVector g = FloatVector.fromArray(S, dy, grad + c).reinterpretAsInts().and(inside)
                        .reinterpretAsFloats();
                g.add(FloatVector.fromArray(S, sum, c)).intoArray(sum, c);
                FloatVector normalised = centred.mul(FloatVector.fromArray(S, inverseStd, c));
                g.fma(normalised, FloatVector.fromArray(S, product, c)).intoArray(product, c);
            }
        }
        if (vectorEnd < c1) {
            ScalarKernels.INSTANCE.batchNormGradientSums(x, xOff, dy, dyOff, pixels, channels, scale, shift, mean,
                    inverseStd, lo, hi, sum, product, vectorEnd, c1);
        }
    }

    @Override
    public void batchNormSums(float[] x, int xOff, int pixels, int channels, float[] mean, float[] sum, int c0,
                              int c1) {
        int vectorEnd = c0 + (c1 - c0) / L * L;
        for (int c = c0; c < vectorEnd; c += L) {
            FloatVector total = FloatVector.fromArray(S, sum, c);
            FloatVector m = mean == null ? null : FloatVector.fromArray(S, mean, c);
            for (int p = 0; p < pixels; p++) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + p * channels + c);
                if (m == null) {
                    total = total.add(v);
                } else {
                    FloatVector d = v.sub(m);
                    total = d.fma(d, total);
                }
            }
            total.intoArray(sum, c);
        }
        if (vectorEnd < c1) {
            ScalarKernels.INSTANCE.batchNormSums(x, xOff, pixels, channels, mean, sum, vectorEnd, c1);
        }
    }

    @Override
    public void batchNormNormalize(float[] x, int xOff, int pixels, int channels, float[] mean, float[] scale,
                                   float[] shift, float lo, float hi, float[] y, int yOff) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int vectorEnd = channels - channels % L;
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            int dst = yOff + p * channels;
            for (int c = 0; c < vectorEnd; c += L) {
                FloatVector centred = FloatVector.fromArray(S, x, src + c).sub(FloatVector.fromArray(S, mean, c));
                centred.fma(FloatVector.fromArray(S, scale, c), FloatVector.fromArray(S, shift, c)).max(vlo).min(vhi)
                        .intoArray(y, dst + c);
            }
        }
        if (vectorEnd < channels) {
            ScalarKernels.batchNormNormalizeChannels(x, xOff, pixels, channels, mean, scale, shift, lo, hi, y, yOff,
                    vectorEnd, channels);
        }
    }

    @Override
    public void batchNormInputGradient(float[] x, int xOff, float[] dy, int dyOff, int pixels, int channels,
                                       float[] scale, float[] shift, float[] mean, float[] slope, float[] offset,
                                       float lo, float hi, boolean accumulate, float[] dx, int dxOff) {
        FloatVector vlo = FloatVector.broadcast(S, lo);
        FloatVector vhi = FloatVector.broadcast(S, hi);
        int vectorEnd = channels - channels % L;
        for (int p = 0; p < pixels; p++) {
            int src = xOff + p * channels;
            int grad = dyOff + p * channels;
            int dst = dxOff + p * channels;
            for (int c = 0; c < vectorEnd; c += L) {
                FloatVector centred = FloatVector.fromArray(S, x, src + c).sub(FloatVector.fromArray(S, mean, c));
                FloatVector s = FloatVector.fromArray(S, scale, c);
                FloatVector a = centred.fma(s, FloatVector.fromArray(S, shift, c));
                // As in batchNormGradientSums: dy where lo < a < hi, +0 elsewhere.
                IntVector above = a.sub(vlo).reinterpretAsInts();
                IntVector below = vhi.sub(a).reinterpretAsInts();
                IntVector inside = above.neg().and(above.not()).and(below.neg()).and(below.not())
                        .lanewise(VectorOperators.ASHR, 31);
                FloatVector g = FloatVector.fromArray(S, dy, grad + c).reinterpretAsInts().and(inside)
                        .reinterpretAsFloats();
                FloatVector d = s.fma(g, centred.fma(FloatVector.fromArray(S, slope, c),
                        FloatVector.fromArray(S, offset, c)));
                if (accumulate) {
                    d = FloatVector.fromArray(S, dx, dst + c).add(d);
                }
                d.intoArray(dx, dst + c);
            }
        }
        if (vectorEnd < channels) {
            ScalarKernels.batchNormInputGradientChannels(x, xOff, dy, dyOff, pixels, channels, scale, shift, mean,
                    slope, offset, lo, hi, accumulate, dx, dxOff, vectorEnd, channels);
        }
    }

    /**
     * Register blocks over the row's interior, where every tap of a pixel is inside the input: {@link #PAIR_BLOCK}
     * pixels × 2 column vectors, then 8 pixels × the last single vector.
     * Each tap is a broadcast input value times a weight vector. The interior's last few pixels run as one more
     * block overlapping the one before; the edge pixels take one pixel at a time with their own tap range.
     * Kernel rows in the padding are left out by the loop bounds. Columns past
     * the last whole vector, and dilated kernels (no stem has one), are the scalar kernel's.
     */
    @Override
    public void convRow(float[] in, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy, float[] w,
                        float[] bias, float lo, float hi, float[] out, int outOff) {
        int kernel = g.kernel();
        int stride = g.stride();
        int outC = g.outC();
        int outW = g.outW();
        int vectorEnd = g.dilation() == 1 ? outC - outC % L : 0;
        int taps = kernel * kernel * inC;
        int rowTaps = kernel * inC;
        int rowFloats = inW * inC;
        int iy0 = g.firstInputRow(oy);
        int ky0 = Math.max(0, -iy0);
        int rows = Math.max(0, Math.min(kernel, inH - iy0) - ky0);
        // Offset of tap (ky0, 0, 0) of output pixel 0; pixel ox's is xStep further per pixel.
        int src = inOff + (iy0 + ky0) * rowFloats - g.padLeft() * inC;
        int xStep = stride * inC;
        int innerStart = Math.min(outW, (g.padLeft() + stride - 1) / stride);
        int innerEnd = Math.max(innerStart, Math.min(outW, Math.floorDiv(inW - kernel + g.padLeft(), stride) + 1));
        int c = 0;
        for (; c + 2 * L <= vectorEnd; c += 2 * L) {
            int wa = weightColumn(c, outC, taps, ky0 * rowTaps);
            int sa = Kernels.stripWidth(Kernels.stripStart(c, outC), outC);
            int wb = weightColumn(c + L, outC, taps, ky0 * rowTaps);
            int sb = Kernels.stripWidth(Kernels.stripStart(c + L, outC), outC);
            int ox = innerStart;
            for (; ox + PAIR_BLOCK <= innerEnd; ox += PAIR_BLOCK) {
                convPair(in, src + ox * xStep, xStep, rows, rowFloats, rowTaps, w, wa, sa, wb, sb, bias, c,
                        out, outOff + ox * outC + c, outC);
            }
            // The interior's last pixels as the block ending at innerEnd (a few pixels again, with the same
            // sums): one at a time, each is one chain of dependent multiply-adds, latency-bound.
            if (ox < innerEnd && innerEnd - innerStart >= PAIR_BLOCK) {
                ox = innerEnd - PAIR_BLOCK;
                convPair(in, src + ox * xStep, xStep, rows, rowFloats, rowTaps, w, wa, sa, wb, sb, bias, c,
                        out, outOff + ox * outC + c, outC);
                ox = innerEnd;
            }
            convEdges(in, src, xStep, rows, rowFloats, rowTaps, inC, inW, g, innerStart, ox, w, wa, sa, bias, c,
                    out, outOff);
            convEdges(in, src, xStep, rows, rowFloats, rowTaps, inC, inW, g, innerStart, ox, w, wb, sb, bias, c + L,
                    out, outOff);
        }
        if (c < vectorEnd) {
            int wa = weightColumn(c, outC, taps, ky0 * rowTaps);
            int sa = Kernels.stripWidth(Kernels.stripStart(c, outC), outC);
            int ox = innerStart;
            for (; ox + 8 <= innerEnd; ox += 8) {
                convSingle8(in, src + ox * xStep, xStep, rows, rowFloats, rowTaps, w, wa, sa, bias, c,
                        out, outOff + ox * outC + c, outC);
            }
            if (ox < innerEnd && innerEnd - innerStart >= 8) { // as in the pair loop
                ox = innerEnd - 8;
                convSingle8(in, src + ox * xStep, xStep, rows, rowFloats, rowTaps, w, wa, sa, bias, c,
                        out, outOff + ox * outC + c, outC);
                ox = innerEnd;
            }
            convEdges(in, src, xStep, rows, rowFloats, rowTaps, inC, inW, g, innerStart, ox, w, wa, sa, bias, c,
                    out, outOff);
        }
        if (vectorEnd < outC) {
            for (int ox = 0; ox < outW; ox++) {
                ScalarKernels.convPixelPacked(in, inOff, inH, inW, inC, g, oy, ox, w, bias, out, outOff + ox * outC,
                        vectorEnd, outC);
            }
        }
        finish(out, outOff, outW * outC, lo, hi, null, 0);
    }

    /** Where column {@code c}'s weight for tap {@code t} is: this plus {@code t} times its strip's width. */
    private static int weightColumn(int c, int outC, int taps, int t) {
        int strip = Kernels.stripStart(c, outC);
        return strip * taps + c - strip + t * Kernels.stripWidth(strip, outC);
    }

    /**
     * Pixels per {@link #convPair} block: 8 where the vectors are 512 bits wide (AVX-512's 32 registers hold the
     * 16 sums with both weight vectors and a broadcast), 4 with 256-bit vectors (AVX2 has 16 registers).
     */
    private static final int PAIR_BLOCK = L >= 16 ? 8 : 4;

    private static void convPair(float[] in, int src, int xStep, int rows, int rowFloats, int rowTaps, float[] w,
                                 int wa, int sa, int wb, int sb, float[] bias, int c, float[] out, int dst,
                                 int outC) {
        if (PAIR_BLOCK == 8) {
            convPair8(in, src, xStep, rows, rowFloats, rowTaps, w, wa, sa, wb, sb, bias, c, out, dst, outC);
        } else {
            convPair4(in, src, xStep, rows, rowFloats, rowTaps, w, wa, sa, wb, sb, bias, c, out, dst, outC);
        }
    }

    private static void convPair8(float[] in, int src, int xStep, int rows, int rowFloats, int rowTaps, float[] w,
                                  int wa, int sa, int wb, int sb, float[] bias, int c, float[] out, int dst,
                                  int outC) {
        FloatVector a0 = FloatVector.fromArray(S, bias, c);
        FloatVector b0 = FloatVector.fromArray(S, bias, c + L);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
        int taps = rows * rowTaps;
        for (int t = 0, j = 0, x = src; t < taps; t++) { // as convPair4's
            FloatVector va = FloatVector.fromArray(S, w, wa + t * sa);
            FloatVector vb = FloatVector.fromArray(S, w, wb + t * sb);
            FloatVector x0 = FloatVector.broadcast(S, in[x + j]);
            a0 = x0.fma(va, a0);
            b0 = x0.fma(vb, b0);
            FloatVector x1 = FloatVector.broadcast(S, in[x + xStep + j]);
            a1 = x1.fma(va, a1);
            b1 = x1.fma(vb, b1);
            FloatVector x2 = FloatVector.broadcast(S, in[x + 2 * xStep + j]);
            a2 = x2.fma(va, a2);
            b2 = x2.fma(vb, b2);
            FloatVector x3 = FloatVector.broadcast(S, in[x + 3 * xStep + j]);
            a3 = x3.fma(va, a3);
            b3 = x3.fma(vb, b3);
            FloatVector x4 = FloatVector.broadcast(S, in[x + 4 * xStep + j]);
            a4 = x4.fma(va, a4);
            b4 = x4.fma(vb, b4);
            FloatVector x5 = FloatVector.broadcast(S, in[x + 5 * xStep + j]);
            a5 = x5.fma(va, a5);
            b5 = x5.fma(vb, b5);
            FloatVector x6 = FloatVector.broadcast(S, in[x + 6 * xStep + j]);
            a6 = x6.fma(va, a6);
            b6 = x6.fma(vb, b6);
            FloatVector x7 = FloatVector.broadcast(S, in[x + 7 * xStep + j]);
            a7 = x7.fma(va, a7);
            b7 = x7.fma(vb, b7);
            if (++j == rowTaps) {
                j = 0;
                x += rowFloats;
            }
        }
        a0.intoArray(out, dst);
        b0.intoArray(out, dst + L);
        a1.intoArray(out, dst + outC);
        b1.intoArray(out, dst + outC + L);
        a2.intoArray(out, dst + 2 * outC);
        b2.intoArray(out, dst + 2 * outC + L);
        a3.intoArray(out, dst + 3 * outC);
        b3.intoArray(out, dst + 3 * outC + L);
        a4.intoArray(out, dst + 4 * outC);
        b4.intoArray(out, dst + 4 * outC + L);
        a5.intoArray(out, dst + 5 * outC);
        b5.intoArray(out, dst + 5 * outC + L);
        a6.intoArray(out, dst + 6 * outC);
        b6.intoArray(out, dst + 6 * outC + L);
        a7.intoArray(out, dst + 7 * outC);
        b7.intoArray(out, dst + 7 * outC + L);
    }

    private static void convPair4(float[] in, int src, int xStep, int rows, int rowFloats, int rowTaps, float[] w,
                              int wa, int sa, int wb, int sb, float[] bias, int c, float[] out, int dst,
                              int outC) {
        FloatVector a0 = FloatVector.fromArray(S, bias, c);
        FloatVector b0 = FloatVector.fromArray(S, bias, c + L);
        FloatVector a1 = a0, a2 = a0, a3 = a0, b1 = b0, b2 = b0, b3 = b0;
        // One loop over the taps (a nested row loop made C2 box the accumulators): x walks the input, jumping
        // to the next kernel row after rowTaps taps.
        int taps = rows * rowTaps;
        for (int t = 0, j = 0, x = src; t < taps; t++) {
            FloatVector va = FloatVector.fromArray(S, w, wa + t * sa);
            FloatVector vb = FloatVector.fromArray(S, w, wb + t * sb);
            FloatVector x0 = FloatVector.broadcast(S, in[x + j]);
            a0 = x0.fma(va, a0);
            b0 = x0.fma(vb, b0);
            FloatVector x1 = FloatVector.broadcast(S, in[x + xStep + j]);
            a1 = x1.fma(va, a1);
            b1 = x1.fma(vb, b1);
            FloatVector x2 = FloatVector.broadcast(S, in[x + 2 * xStep + j]);
            a2 = x2.fma(va, a2);
            b2 = x2.fma(vb, b2);
            FloatVector x3 = FloatVector.broadcast(S, in[x + 3 * xStep + j]);
            a3 = x3.fma(va, a3);
            b3 = x3.fma(vb, b3);
            if (++j == rowTaps) {
                j = 0;
                x += rowFloats;
            }
        }
        a0.intoArray(out, dst);
        b0.intoArray(out, dst + L);
        a1.intoArray(out, dst + outC);
        b1.intoArray(out, dst + outC + L);
        a2.intoArray(out, dst + 2 * outC);
        b2.intoArray(out, dst + 2 * outC + L);
        a3.intoArray(out, dst + 3 * outC);
        b3.intoArray(out, dst + 3 * outC + L);
    }

    private static void convSingle8(float[] in, int src, int xStep, int rows, int rowFloats, int rowTaps, float[] w,
                                    int wa, int sa, float[] bias, int c, float[] out, int dst, int outC) {
        FloatVector a0 = FloatVector.fromArray(S, bias, c);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int taps = rows * rowTaps;
        for (int t = 0, j = 0, x = src; t < taps; t++) {
            FloatVector va = FloatVector.fromArray(S, w, wa + t * sa);
            a0 = FloatVector.broadcast(S, in[x + j]).fma(va, a0);
            a1 = FloatVector.broadcast(S, in[x + xStep + j]).fma(va, a1);
            a2 = FloatVector.broadcast(S, in[x + 2 * xStep + j]).fma(va, a2);
            a3 = FloatVector.broadcast(S, in[x + 3 * xStep + j]).fma(va, a3);
            a4 = FloatVector.broadcast(S, in[x + 4 * xStep + j]).fma(va, a4);
            a5 = FloatVector.broadcast(S, in[x + 5 * xStep + j]).fma(va, a5);
            a6 = FloatVector.broadcast(S, in[x + 6 * xStep + j]).fma(va, a6);
            a7 = FloatVector.broadcast(S, in[x + 7 * xStep + j]).fma(va, a7);
            if (++j == rowTaps) {
                j = 0;
                x += rowFloats;
            }
        }
        a0.intoArray(out, dst);
        a1.intoArray(out, dst + outC);
        a2.intoArray(out, dst + 2 * outC);
        a3.intoArray(out, dst + 3 * outC);
        a4.intoArray(out, dst + 4 * outC);
        a5.intoArray(out, dst + 5 * outC);
        a6.intoArray(out, dst + 6 * outC);
        a7.intoArray(out, dst + 7 * outC);
    }

    /**
     * Column vector {@code c} of the pixels the blocks left: those before {@code innerStart} and from {@code
     * from} on, one at a time, each over the kernel columns inside the input.
     */
    private static void convEdges(float[] in, int src, int xStep, int rows, int rowFloats, int rowTaps, int inC,
                                  int inW, ConvGeometry g, int innerStart, int from, float[] w, int wa, int sa,
                                  float[] bias, int c, float[] out, int outOff) {
        int outW = g.outW();
        int outC = g.outC();
        for (int ox = innerStart > 0 ? 0 : from; ox < outW; ox = ox + 1 == innerStart ? from : ox + 1) {
            int x0 = ox * g.stride() - g.padLeft();
            int j0 = Math.max(0, -x0) * inC;
            int j1 = Math.min(g.kernel(), inW - x0) * inC;
            FloatVector acc = FloatVector.fromArray(S, bias, c);
            // One loop, as convPair4's: j runs over [j0, j1) of each kernel row.
            int taps = j1 > j0 ? rows * (j1 - j0) : 0;
            for (int t = 0, j = j0, x = src + ox * xStep, wt = wa + j0 * sa; t < taps; t++) {
                acc = FloatVector.broadcast(S, in[x + j]).fma(FloatVector.fromArray(S, w, wt), acc);
                wt += sa;
                if (++j == j1) {
                    j = j0;
                    x += rowFloats;
                    wt += (rowTaps - j1 + j0) * sa;
                }
            }
            acc.intoArray(out, outOff + ox * outC + c);
        }
    }

    /**
     * {@link ScalarKernels#gatherPatches} with a kernel row of adjacent pixels that fits one vector (the stem's
     * 3 × 3 channels) copied as one vector: its lanes past the row belong to the next kernel row, which the next
     * copy rewrites, and the last copy of the matrix, which has no next, is the scalar one.
     */
    @Override
    public void gatherPatches(float[] input, int inOff, int inH, int inW, int inC, ConvGeometry g, int oy,
                              float[] patches) {
        int kernel = g.kernel();
        int rowTaps = kernel * inC;
        boolean oneVector = rowTaps <= L && g.dilation() == 1;
        for (int ox = 0, p = 0; ox < g.outW(); ox++) {
            int x0 = ox * g.stride() - g.padLeft();
            boolean inside = x0 >= 0 && x0 + kernel - 1 < inW;
            for (int ky = 0; ky < kernel; ky++, p += rowTaps) {
                int iy = g.firstInputRow(oy) + ky;
                int src = inOff + (iy * inW + x0) * inC;
                if (oneVector && inside && iy >= 0 && iy < inH && src + L <= input.length && p + L <= patches.length) {
                    FloatVector.fromArray(S, input, src).intoArray(patches, p);
                } else {
                    ScalarKernels.gatherKernelRow(input, inOff, inH, inW, inC, g, oy, ox, ky, patches, p);
                }
            }
        }
    }

    @Override
    public void globalAveragePool(float[] in, int inOff, int positions, int channels, float[] out, int outOff) {
        float scale = 1f / positions;
        int c = 0;
        for (; c + L <= channels; c += L) {
            FloatVector sum = FloatVector.zero(S);
            for (int p = 0; p < positions; p++) {
                sum = sum.add(FloatVector.fromArray(S, in, inOff + p * channels + c));
            }
            sum.mul(scale).intoArray(out, outOff + c);
        }
        if (c < channels) {
            ScalarKernels.poolChannels(in, inOff, positions, channels, out, outOff, c, channels);
        }
    }

    /** Whether {@link #clampFromZero} is the clamp to [lo, hi]: ReLU and ReLU6. */
    private static boolean fromZero(float lo, float hi) {
        return Float.floatToRawIntBits(lo) == 0 && hi >= 0;
    }

    /**
     * {@code Math.min(Math.max(v, +0f), hi)} for {@code hi >= 0} (ReLU, ReLU6) in place over {@code n} floats (a
     * multiple of {@link #L}) of {@code rows} rows {@code pitch} apart, on the float bits as integers, which JDK 17 compiles to single instructions where
     * lane-wise float max/min, with Java's NaN and -0 rules, take several each. Non-negative floats order as
     * their bits do, and every negative float (-0 included) has negative bits, so integer max with 0 then min
     * with hi's bits is the clamp; NaN lanes, which Math.max and min return unchanged, are put back from the
     * input. {@link #depthwise3} and its blocks repeat these three lines in their loops: as a method taking a vector, C2 did not
     * always inline it, and then boxed every vector it was given.
     */
    private static void clampFromZero(float[] out, int off, int rows, int pitch, int n, float hi) {
        IntVector top = IntVector.broadcast(I, Float.floatToRawIntBits(hi));
        for (int r = 0; r < rows; r++) {
            int row = off + r * pitch;
            for (int i = 0; i < n; i += L) {
                IntVector bits = FloatVector.fromArray(S, out, row + i).reinterpretAsInts();
                // -1 where the lane is not NaN (magnitude bits at most +inf's), 0 where it is.
                IntVector number = bits.and(0x7fffffff).sub(0x7f800001).lanewise(VectorOperators.ASHR, 31);
                bits.max(0).min(top).and(number).or(bits.and(number.not())).reinterpretAsFloats()
                        .intoArray(out, row + i);
            }
        }
    }

    /**
     * {@link ScalarKernels#finish} a vector at a time: lane-wise max/min have exactly
     * {@link Math#max}/{@link Math#min}'s semantics, so the result is the same to the bit.
     */
    private static void finish(float[] out, int off, int n, float lo, float hi, float[] res, int resOff) {
        int vectorEnd = n - n % L;
        if (fromZero(lo, hi)) {
            clampFromZero(out, off, 1, 0, vectorEnd, hi);
        } else if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) {
            FloatVector vlo = FloatVector.broadcast(S, lo);
            FloatVector vhi = FloatVector.broadcast(S, hi);
            for (int i = 0; i < vectorEnd; i += L) {
                FloatVector.fromArray(S, out, off + i).max(vlo).min(vhi).intoArray(out, off + i);
            }
        }
        if (res != null) {
            for (int i = 0; i < vectorEnd; i += L) {
                FloatVector.fromArray(S, out, off + i).add(FloatVector.fromArray(S, res, resOff + i))
                        .intoArray(out, off + i);
            }
        }
        ScalarKernels.finish(out, off + vectorEnd, n - vectorEnd, lo, hi, res, res == null ? 0 : resOff + vectorEnd);
    }
}
