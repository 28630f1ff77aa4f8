package dev.mnv2.onnx;

import dev.mnv2.load.ModelFormatException;

/** An ONNX file that is malformed, hostile, or not a MobileNetV2 graph this importer can map; names the node. */
public final class OnnxFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /** An exception with {@code message}, naming the node at fault. */
    public OnnxFormatException(String message) {
        super(message);
    }

    /** An exception with {@code message} caused by {@code cause}. */
    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
