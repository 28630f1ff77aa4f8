package dev.mnv2.cli.progress;

import java.io.IOException;

/**
 * A metrics CSV or curve file that cannot be read or written, with a one-line message naming the file and the
 * problem. Commands let it propagate: the tool prints the message and exits 1.
 */
public final class TrainingReportException extends IOException {
    private static final long serialVersionUID = 1L;

    public TrainingReportException(String message) {
        super(message);
    }

    public TrainingReportException(String message, Throwable cause) {
        super(message, cause);
    }
}
