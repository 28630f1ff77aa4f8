package dev.mnv2.zoo;

import java.io.IOException;

/** A model name or path that does not lead to a file: unknown name, missing file, or a failed download. */
public class ModelNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelNotFoundException(String message) {
        super(message);
    }

    public ModelNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
