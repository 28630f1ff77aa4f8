package dev.mnv2.safetensors;

import dev.mnv2.load.ModelFormatException;

/** A safetensors file or checkpoint that is malformed, hostile, or does not fit the expected model. */
public final class SafetensorsFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /** An exception with {@code message}, naming the tensor or metadata entry at fault. */
    public SafetensorsFormatException(String message) {
        super(message);
    }

    /** An exception with {@code message} caused by {@code cause}. */
    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
