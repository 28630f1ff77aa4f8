package dev.mnv2.onnx;

import dev.mnv2.util.Text;
import java.io.IOException;

/** An ONNX file that is malformed, hostile, or not a MobileNetV2 graph this importer can map; names the node. */
public final class OnnxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public OnnxFormatException(String message) {
        super(Text.printable(message)); // names from the file are quoted: keep the message one line
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(Text.printable(message), cause);
    }
}
