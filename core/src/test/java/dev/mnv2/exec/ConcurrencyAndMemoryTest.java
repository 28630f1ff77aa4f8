package dev.mnv2.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shortcut;
import dev.mnv2.testing.RandomData;
import dev.mnv2.util.Latency;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One predictor shared by many threads; planned against measured activation memory of both modes. */
class ConcurrencyAndMemoryTest {

    @Test
    void manyThreadsSharingOnePredictorGetIdenticalResults() throws Exception {
        Network network = MobileNetV2.builder().width(0.5).resolution(96).classes(20).seed(12).build();
        int callers = 6;
        List<Tensor> inputs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        try (Predictor alone = Predictor.builder(network).threads(1).build()) {
            for (int i = 0; i < callers; i++) {
                inputs.add(RandomData.tensor(1 + i % 3, network.input(), 100 + i));
                expected.add(alone.forward(inputs.get(i)).data());
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try (Predictor shared = Predictor.builder(network).threads(2).build()) {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                int caller = i;
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 8; round++) {
                        assertArrayEquals(expected.get(caller), shared.forward(inputs.get(caller)).data(),
                                "caller " + caller + " round " + round);
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Measured memory is observed: the executor's buffers start filled with a NaN marker and only what the
     * kernels overwrote counts. On one thread the plan is tight (at least 90 % of it is written); a second
     * thread's scratch adds to the measured memory but stays within the plan for two.
     */
    @Test
    void memoryEfficientModeUsesItsPlannedBoundAndFarLessThanLayerByLayer() {
        Network network = MobileNetV2.builder().width(1.0).resolution(224).classes(1000).seed(3).build();
        Tensor x = RandomData.tensor(1, network.input(), 1);
        long[][] measured = new long[2][3];
        long[][] planned = new long[2][3];
        for (ExecutionMode mode : ExecutionMode.values()) {
            for (int threads : new int[] {1, 2}) {
                try (Predictor p = Predictor.builder(network).mode(mode).threads(threads).build()) {
                    assertEquals(0, p.measuredActivationBytes(), "nothing measured before a run");
                    // Several runs: parts go to whichever thread claims them first, and on a loaded machine the
                    // caller may run every part of one forward pass before the worker wakes.
                    for (int run = 0; run < 5; run++) {
                        p.forward(x);
                    }
                    measured[mode.ordinal()][threads] = p.measuredActivationBytes();
                    planned[mode.ordinal()][threads] = p.plannedActivationBytes();
                }
            }
        }
        for (ExecutionMode mode : ExecutionMode.values()) {
            long[] m = measured[mode.ordinal()];
            long[] plan = planned[mode.ordinal()];
            String what = mode + ": measured " + Arrays.toString(m) + " bytes on 1, 2 threads, planned "
                    + Arrays.toString(plan);
            assertTrue(m[1] <= plan[1] && m[1] >= 0.9 * plan[1], what);
            assertTrue(m[2] <= plan[2], what);
            if (mode == ExecutionMode.MEMORY_EFFICIENT) {
                assertTrue(m[2] > m[1], what + ": the second thread's tiles are measured");
            }
        }
        long efficient = measured[ExecutionMode.MEMORY_EFFICIENT.ordinal()][1];
        long layered = measured[ExecutionMode.LAYER_BY_LAYER.ordinal()][1];
        assertTrue(efficient < 0.5 * layered, "memory-efficient " + efficient + " vs layer-by-layer " + layered);
        assertEquals(planned[ExecutionMode.MEMORY_EFFICIENT.ordinal()][1], Plan.of(network).activationBytes());
        // §5.1: the input and the two largest bottleneck tensors (112x112x32 into block 1, 112x112x16 out of
        // it) dominate; tiles of expanded rows add less than a fifth.
        long bottlenecks = (112L * 112 * (32 + 16) + 224L * 224 * 3) * Float.BYTES;
        assertTrue(efficient < 1.2 * bottlenecks, efficient + " vs " + bottlenecks);
    }

    /** The activation plan from shapes alone is the one a predictor allocates, for every kind of layer. */
    @Test
    void activationBytesFromTheArchitectureEqualThePlans() {
        List<Network> networks = List.of(
                MobileNetV2.create(MobileNetV2.builder().resolution(160, 96).config()),
                MobileNetV2.create(MobileNetV2.builder().width(0.35).resolution(97).padding(Padding.symmetric(1))
                        .expansion(4).config()),
                MobileNetV2.create(MobileNetV2.builder().width(0.5).resolution(64).shortcut(Shortcut.EXPANSION).config()),
                MobileNetV1.create(MobileNetV1.builder().width(0.25).resolution(128).config()));
        for (Network network : networks) {
            for (ExecutionMode mode : ExecutionMode.values()) {
                for (int threads : new int[] {1, 3}) {
                    assertEquals(Plan.of(network, mode).activationBytes(threads),
                            Plan.activationBytes(network.spec(), mode, threads), network.config() + " " + mode);
                }
            }
        }
    }

    @Test
    void aBufferLargerThanAJavaArrayIsAClearError() {
        // 32768x32768 input: the stem's 16384x16384x32 output has 2^33 floats.
        Network network = MobileNetV2.create(MobileNetV2.builder().width(0.35).resolution(32768).config());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Plan.of(network));
        assertTrue(e.getMessage().contains("larger than a Java array"), e.getMessage());
    }

    /** Only values the kernels overwrote count: a frame reports the input, then each buffer's written extent. */
    @Test
    void measuredBytesAreTheWrittenExtentOfEachBuffer() {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(5).seed(1).build();
        Plan plan = Plan.of(network, ExecutionMode.MEMORY_EFFICIENT);
        Plan.Frame frame = plan.new Frame(1);
        int first = Plan.INPUT + 1; // the first buffer the plan owns
        long input = network.input().elements() * Float.BYTES;
        assertEquals(input, frame.measuredBytes(), "nothing written yet");
        frame.buffers[first][9] = 0f;
        assertEquals(input + 10 * Float.BYTES, frame.measuredBytes(), "ten values up to the one written");
        frame.scratch[0].buffers[Plan.TILE][3] = -1f;
        frame.buffers[first][4] = 2f;
        assertEquals(input + 14 * Float.BYTES, frame.measuredBytes(), "extents, not counts of values");
    }

    @Test
    void steadyStateCallsAllocateNothingOnTheCallingThread() {
        Network network = MobileNetV2.builder().width(0.35).resolution(96).classes(10).seed(5).build();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (ExecutionMode mode : ExecutionMode.values()) {
            for (int t : new int[] {1, 2}) {
                for (int batch : new int[] {1, 4}) {
                    try (Predictor p = Predictor.builder(network).mode(mode).threads(t).build()) {
                        Tensor x = RandomData.tensor(batch, network.input(), 3);
                        Tensor out = Tensor.zeros(batch, p.outputShape());
                        // Until C2 has compiled the kernels (interpreted vector code allocates): 400 calls, then on
                        // until the JIT has been quiet for 200 ms (at most 20 s). A fixed 400 left a kernel that
                        // C2 was still compiling in about one run in three.
                        Latency.JitActivity jit = Latency.JitActivity.ofThisJvm();
                        long start = System.nanoTime();
                        for (int i = 0; i < 400 || !jit.quietFor(System.nanoTime(), 200_000_000L)
                                && System.nanoTime() - start < 20_000_000_000L; i++) {
                            p.forward(x, out);
                        }
                        long id = Thread.currentThread().getId();
                        long before = threads.getThreadAllocatedBytes(id);
                        for (int i = 0; i < 20; i++) {
                            p.forward(x, out);
                        }
                        long allocated = threads.getThreadAllocatedBytes(id) - before;
                        assertTrue(allocated < 1024, mode + "/" + t + " threads/batch " + batch + ": " + allocated
                                + " bytes allocated in 20 calls");
                    }
                }
            }
        }
    }

    @Test
    void closedPredictorStillRunsOnTheCallersThreadAndBadOptionsAreRejected() {
        Network network = MobileNetV2.builder().width(0.35).resolution(64).classes(5).seed(1).build();
        Tensor x = RandomData.tensor(2, network.input(), 2);
        float[] before;
        Predictor p = Predictor.builder(network).threads(2).build();
        before = p.forward(x).data();
        p.close();
        assertArrayEquals(before, p.forward(x).data(), "after close() the caller's thread does all the work");
        assertArrayEquals(Arrays.copyOf(before, 5), p.forward(new Tensor(1, x.shape(), x.image(0))).data(),
                "batch 1 (layers split over the pool) after close()");
        assertThrows(IllegalArgumentException.class, () -> Predictor.builder(network).threads(0));
        try (Predictor again = Predictor.builder(network).threads(1).mode(ExecutionMode.LAYER_BY_LAYER).build()) {
            assertArrayEquals(before, again.forward(x).data());
        }
    }
}
