package dev.mnv2.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Pins every one-thread child JVM to one CPU ({@code taskset -c N}), the same for every engine and round. On the
 * shared 2-core machines one vCPU at a time can run the same code about 30 % slower than the other, for seconds to
 * minutes, and the slow one changes (a neighbour on its host core, presumably: the guest sees no steal time).
 * Unpinned, the engines of one round could land on different CPUs, so their ratio depended on where the scheduler
 * put them; pinned, back-to-back children meet the same CPU in much the same state. Children of more threads
 * are not pinned.
 */
final class CorePin {
    private static final int CPU = firstCpu();

    private CorePin() {}

    /** The command prefix for a child of {@code threads} threads: taskset to the chosen CPU for one thread, else none. */
    static List<String> prefix(int threads) {
        return threads == 1 && CPU >= 0 ? List.of("taskset", "-c", Integer.toString(CPU)) : List.of();
    }

    /** For a benchmark's header. */
    static String describe() {
        return CPU >= 0 ? "one-thread children pinned to cpu " + CPU + " for every engine and round (taskset -c " + CPU + ")"
                : "one-thread children not pinned (needs taskset and at least 2 CPUs)";
    }

    /** The first online CPU where pinning is possible and useful, else -1. */
    private static int firstCpu() {
        try {
            String online = Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
            if (Runtime.getRuntime().availableProcessors() < 2 || online.equals("0")) {
                return -1;
            }
            int cpu = Integer.parseInt(online.split("[-,]")[0]);
            Process probe = new ProcessBuilder("taskset", "-c", Integer.toString(cpu), "true")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return probe.waitFor() == 0 ? cpu : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
