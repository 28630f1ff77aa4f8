package dev.mnv2.data;

/**
 * A dataset that cannot be used: a missing or unreadable folder, a folder without classes or images, an
 * unreadable image when the loader is told to fail on one. The message is one line naming the path.
 * Unchecked, because the data loader's iterator reports it from {@code next()}.
 */
public class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
