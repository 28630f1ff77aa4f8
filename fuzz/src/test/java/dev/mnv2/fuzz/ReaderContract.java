package dev.mnv2.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What every fuzz target checks for one input: the reader returns or throws its documented exception
 * with a one-line message, raised by an explicit check rather than by its safety net, and nothing else
 * (other exceptions and errors such as OutOfMemoryError escape to Jazzer as findings); and it allocates no
 * more than a budget of {@code fixedBytes + bytesPerInputByte * input length}. The allocation is the calling thread's (every reader parses on the caller's thread), so
 * the budget holds whatever the heap size. Also keeps the figures docs/RELIABILITY.md reports.
 */
public final class ReaderContract {
    /** One reader call; only the contract's documented exception types may escape it. */
    @FunctionalInterface
    public interface Reader {
        void read(byte[] input) throws Exception;
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final String target;
    private final long fixedBytes;
    private final long bytesPerInputByte;
    private final List<Class<? extends Exception>> documented;
    private final String safetyNetPrefix;

    private long accepted;
    private long rejected;
    private long mostAllocated;
    private int mostAllocatedLength;
    private long slowestNanos;
    private byte[] slowest = new byte[0];

    /**
     * @param safetyNetPrefix message prefix of the documented exception that a reader's last-resort handler
     *     makes of a runtime exception none of its explicit checks caught; such a message is a finding
     *     too. Empty for a reader without one.
     */
    public ReaderContract(String target, long fixedBytes, long bytesPerInputByte,
            List<Class<? extends Exception>> documented, String safetyNetPrefix) {
        this.target = target;
        this.fixedBytes = fixedBytes;
        this.bytesPerInputByte = bytesPerInputByte;
        this.documented = List.copyOf(documented);
        this.safetyNetPrefix = safetyNetPrefix;
    }

    /**
     * Runs {@code reader} once on each of {@code inputs} outside the contract, so that class loading and
     * other one-time work of the first call do not count against one input's allocation budget.
     */
    public static void warmUp(List<byte[]> inputs, Reader reader) {
        for (byte[] input : inputs) {
            try {
                reader.read(input);
            } catch (Exception e) {
                // the contract checks these inputs again later
            }
        }
    }

    /** Runs {@code reader} on {@code input} and fails (an AssertionError, a Jazzer finding) on any breach. */
    public synchronized void check(byte[] input, Reader reader) {
        long budget = fixedBytes + bytesPerInputByte * input.length;
        long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        Exception refusal = null;
        try {
            reader.read(input);
        } catch (Exception e) {
            if (documented.stream().noneMatch(type -> type.isInstance(e))) {
                if (e instanceof RuntimeException runtime) {
                    throw runtime; // unchanged, so that Jazzer tells findings apart by their stack trace
                }
                throw new AssertionError(target + ": undocumented " + e, e);
            }
            refusal = e;
        }
        long nanos = System.nanoTime() - start;
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
        record(input, nanos, allocated, refusal == null);
        if (allocated > budget) {
            throw new AssertionError(String.format(Locale.ROOT, "%s: an input of %d bytes allocated %d bytes,"
                    + " over its budget of %d (%s)", target, input.length, allocated, budget,
                    refusal == null ? "accepted" : refusal));
        }
        if (refusal != null) {
            String message = refusal.getMessage();
            if (message == null || message.isBlank() || message.chars().anyMatch(c -> c == '\n' || c == '\r')) {
                throw new AssertionError(target + ": " + refusal.getClass().getSimpleName()
                        + " without a one-line message: " + message, refusal);
            }
            if (!safetyNetPrefix.isEmpty() && message.startsWith(safetyNetPrefix)) {
                throw new AssertionError(target + ": slipped past the explicit checks: " + message, refusal);
            }
        }
    }

    private void record(byte[] input, long nanos, long allocated, boolean wasAccepted) {
        if (wasAccepted) {
            accepted++;
        } else {
            rejected++;
        }
        if (allocated > mostAllocated) {
            mostAllocated = allocated;
            mostAllocatedLength = input.length;
        }
        if (nanos > slowestNanos) {
            slowestNanos = nanos;
            slowest = input.clone();
        }
    }

    /**
     * One line with the figures of every input checked in this JVM (accepted/rejected counts, most bytes
     * one input allocated, slowest input, peak heap); the slowest input is saved to {@code directory}.
     */
    public synchronized String report(Path directory) {
        Path slowestFile = directory.resolve(target + "-slowest.bin");
        try {
            Files.createDirectories(directory);
            Files.write(slowestFile, slowest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long peakHeap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP)
                .map(MemoryPoolMXBean::getPeakUsage).mapToLong(usage -> usage.getUsed()).sum();
        return String.format(Locale.ROOT, "fuzz %s: %d inputs (%d accepted, %d rejected with the documented"
                        + " exception); most allocated by one input %.1f MiB (%d-byte input, budget %.1f MiB);"
                        + " slowest input %.1f ms (%d bytes, %s); heap peak %.0f MiB of %.0f MiB max",
                target, accepted + rejected, accepted, rejected, mib(mostAllocated), mostAllocatedLength,
                mib(fixedBytes + bytesPerInputByte * mostAllocatedLength), slowestNanos / 1e6, slowest.length,
                slowestFile, mib(peakHeap), mib(Runtime.getRuntime().maxMemory()));
    }

    /** Where {@link #report} saves the slowest input: {@code -Dfuzz.report.dir}, else target/fuzz-reports. */
    public static Path reportDirectory() {
        return Path.of(System.getProperty("fuzz.report.dir", "target/fuzz-reports"));
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
