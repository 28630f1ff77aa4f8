package dev.mnv2.util;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JitActivityTest {
    private static final long MS = 1_000_000;
    private static final long WINDOW = 500 * MS;

    private final AtomicLong compiledMs = new AtomicLong();
    private final AtomicLong backgroundNs = new AtomicLong();
    private final Latency.JitActivity jit = new Latency.JitActivity(compiledMs::get, backgroundNs::get);

    @Test
    void aCompilationStillRunningKeepsItBusyThoughNoneHasEnded() {
        jit.quietFor(0, WINDOW);
        // A compiler thread at work for 1.5 s, half a core: the total compilation time does not change meanwhile.
        for (long t = 100; t <= 1500; t += 100) {
            backgroundNs.addAndGet(50 * MS);
            assertFalse(jit.quietFor(t * MS, WINDOW), t + " ms");
        }
        // Its end adds to the total once; then nothing runs.
        compiledMs.addAndGet(1500);
        assertFalse(jit.quietFor(1600 * MS, WINDOW));
        assertFalse(jit.quietFor(2000 * MS, WINDOW));
        assertTrue(jit.quietFor(2100 * MS, WINDOW));
    }

    @Test
    void housekeepingBelowFivePercentOfACoreCountsAsQuiet() {
        jit.quietFor(0, WINDOW);
        for (long t = 100; t <= 1000; t += 100) {
            backgroundNs.addAndGet(3 * MS);
            compiledMs.addAndGet(t % 300 == 0 ? 1 : 0);
            jit.quietFor(t * MS, WINDOW);
        }
        assertTrue(jit.quietFor(1000 * MS, WINDOW));
    }

    @Test
    void samplesOnlyEvery100Ms() {
        jit.quietFor(0, 0);
        backgroundNs.addAndGet(80 * MS);
        assertTrue(jit.quietFor(99 * MS, 0));
        assertFalse(jit.quietFor(100 * MS, 1));
    }

    @Test
    void aWindowOfZeroIsQuietAtOnceAndAnyOtherNotAtTheFirstSample() {
        assertTrue(new Latency.JitActivity(() -> 0, () -> 0).quietFor(5, 0));
        assertFalse(jit.quietFor(5, 1));
    }

    @Test
    void thisJvmsWatchEndsWhenNothingRuns() throws InterruptedException {
        Latency.JitActivity real = Latency.JitActivity.ofThisJvm();
        long start = System.nanoTime();
        boolean quiet = false;
        while (!quiet && System.nanoTime() - start < 10_000 * MS) {
            Thread.sleep(5);
            quiet = real.quietFor(System.nanoTime(), WINDOW);
        }
        assertTrue(quiet, "an idle JVM never looked quiet for 500 ms in 10 s");
    }
}
