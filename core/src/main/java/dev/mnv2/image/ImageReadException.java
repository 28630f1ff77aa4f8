package dev.mnv2.image;

import java.io.IOException;

/** An image file that is missing, unreadable, or in a format that cannot be decoded. */
public class ImageReadException extends IOException {
    private static final long serialVersionUID = 1L;

    public ImageReadException(String message) {
        super(message);
    }

    public ImageReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
