package dev.mnv2.tflite;

import dev.mnv2.load.ModelFormatException;

/**
 * A file that cannot be read as a TFLite MobileNetV2 classifier: truncated or corrupted flatbuffer, a value
 * out of range, or (as {@link UnsupportedModelException}) a well-formed graph that is not a MobileNetV2.
 * The message names the file part or operator at fault.
 */
public class TfliteFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /** An exception with {@code message}, naming the file part or operator at fault. */
    public TfliteFormatException(String message) {
        super(message);
    }
}
