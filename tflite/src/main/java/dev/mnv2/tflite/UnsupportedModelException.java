package dev.mnv2.tflite;

/** A well-formed TFLite file whose graph is not a MobileNetV2 classifier this library can run. */
public class UnsupportedModelException extends TfliteFormatException {
    private static final long serialVersionUID = 1L;

    /** An exception with {@code message}, naming the first operator that does not fit. */
    public UnsupportedModelException(String message) {
        super(message);
    }
}
