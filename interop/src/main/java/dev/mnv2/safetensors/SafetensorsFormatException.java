package dev.mnv2.safetensors;

import java.io.IOException;

/** A safetensors file or checkpoint that is malformed, hostile, or does not fit the expected model. */
public final class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(String message) {
        super(message);
    }

    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
