package dev.mnv2.safetensors;

import dev.mnv2.util.Text;
import java.io.IOException;

/** A safetensors file or checkpoint that is malformed, hostile, or does not fit the expected model. */
public final class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(String message) {
        super(Text.printable(message)); // names from the file are quoted: keep the message one line
    }

    public SafetensorsFormatException(String message, Throwable cause) {
        super(Text.printable(message), cause);
    }
}
