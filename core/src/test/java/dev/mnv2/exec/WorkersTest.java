package dev.mnv2.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkersTest {
    /**
     * Jobs of 2, 1 and 3 parts in turn, on more threads than this machine has cores (so workers are preempted
     * between reading a ticket and claiming it): every part of every job runs exactly once, and all of them have
     * finished when run returns. A worker holding the last job's ticket once claimed a part of the next one
     * under the old generation, ran it twice and let run return early: DeepLab's outputs went wrong at random.
     */
    @Test
    void everyPartRunsOnceAndHasFinishedWhenRunReturns() {
        int jobs = 200_000;
        int threads = 2 * Runtime.getRuntime().availableProcessors() + 1;
        int[] pattern = {2, 1, 3};
        AtomicIntegerArray runs = new AtomicIntegerArray(jobs * 3);
        try (Workers workers = new Workers(threads, "workers-test")) {
            for (int j = 0; j < jobs; j++) {
                int job = j;
                int parts = pattern[j % pattern.length];
                workers.run((worker, part) -> {
                    // a little work, of varying length, widens the windows in which workers overtake each other
                    for (int spin = (job * 7 + part * 13) % 64; spin > 0; spin--) {
                        Thread.onSpinWait();
                    }
                    runs.incrementAndGet(job * 3 + part);
                }, parts);
                for (int p = 0; p < parts; p++) {
                    assertEquals(1, runs.get(j * 3 + p), "job " + j + " part " + p + " when run returned");
                }
            }
            for (int j = 0; j < jobs; j++) {
                for (int p = 0; p < 3; p++) {
                    assertEquals(p < pattern[j % pattern.length] ? 1 : 0, runs.get(j * 3 + p), "job " + j + " part " + p);
                }
            }
        }
    }
}
