package dev.mnv2.load;

import dev.mnv2.util.Text;
import java.io.IOException;

/**
 * A model file that cannot be read: an unknown file type, one whose reader is not on the classpath, or a
 * file its format's reader refuses (truncated, corrupted, hostile, or not a network this library runs).
 * Each format's own exception ({@code TfliteFormatException}, {@code OnnxFormatException},
 * {@code SafetensorsFormatException}) extends it, so callers of {@link Models#load} catch one type. The
 * message is one line naming the file and the part at fault: names it quotes from the file have their
 * control characters escaped ({@link Text#printable}), so that they can neither break the line nor drive
 * the terminal it is printed on.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** An exception with {@code message}, which names the file and the part at fault. */
    public ModelFormatException(String message) {
        super(Text.printable(message));
    }

    /** An exception with {@code message} caused by {@code cause}. */
    public ModelFormatException(String message, Throwable cause) {
        super(Text.printable(message), cause);
    }
}
