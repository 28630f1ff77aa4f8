package dev.mnv2.interop;

import java.util.function.Function;

/**
 * The one place where an importer turns a runtime exception that none of its explicit checks caught into
 * its format exception. The importers check every value before using it, so their fuzz tests assert that
 * this is never reached; should a gap remain, a caller still gets the importer's format exception (with
 * the runtime exception as cause), never a raw IllegalArgumentException or IndexOutOfBoundsException.
 */
public final class FormatBoundary {
    private FormatBoundary() {}

    /** A step of reading a file; it may throw its own checked exception. */
    public interface Step<T, X extends Exception> {
        T run() throws X;
    }

    public static <T, X extends Exception, E extends Exception> T guarded(Step<T, X> step,
                                                                         Function<RuntimeException, E> unchecked)
            throws X, E {
        try {
            return step.run();
        } catch (RuntimeException e) {
            throw unchecked.apply(e);
        }
    }
}
