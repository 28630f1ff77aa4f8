package dev.mnv2.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LatencyTest {
    @Test
    void warmsUpForAtLeastTheTimeAskedThenTimesEachCall() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        long start = System.nanoTime();
        Latency.Result r = Latency.measure(() -> {
            calls.incrementAndGet();
            Thread.sleep(1);
        }, 50, 7);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(7, r.samples());
        assertTrue(elapsedMs >= 50, elapsedMs + " ms");
        assertTrue(calls.get() >= 3 + 7, calls.get() + " calls");
        assertTrue(r.minMs() >= 1 && r.medianMs() >= r.minMs() && r.p90Ms() >= r.medianMs(), r.toString());
    }

    @Test
    void noWarmUpStillMakesThreeCallsFirst() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Latency.measure(calls::incrementAndGet, 0, 5);
        assertEquals(8, calls.get());
    }
}
