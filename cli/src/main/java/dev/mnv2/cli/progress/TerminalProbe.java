package dev.mnv2.cli.progress;

import java.io.IOException;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;

/**
 * Whether a standard stream is an interactive terminal, and its width, asked through JLine's terminal provider
 * rather than by opening a JLine {@code Terminal}: the bar only writes, so nothing needs the terminal's modes
 * or signals changed and restored (which, in a background job, could stop the process), and no fallback
 * warning is ever printed. A stream that JLine cannot examine (no provider for this platform) counts as not
 * a terminal, and so does {@code TERM=dumb} (Emacs' shell, some CI consoles), where a carriage return shows
 * as garbage.
 */
final class TerminalProbe {
    /** Width assumed when the terminal does not tell. */
    static final int DEFAULT_WIDTH = 80;

    private final TerminalProvider provider;
    private final SystemStream stream;
    private final boolean interactive;

    private TerminalProbe(TerminalProvider provider, SystemStream stream, boolean interactive) {
        this.provider = provider;
        this.stream = stream;
        this.interactive = interactive;
    }

    static TerminalProbe of(TrainingProgress.Output output) {
        SystemStream stream = output == TrainingProgress.Output.STDOUT ? SystemStream.Output : SystemStream.Error;
        String term = System.getenv("TERM");
        if (term == null || term.isEmpty() || term.startsWith("dumb")) {
            return new TerminalProbe(null, stream, false);
        }
        try {
            TerminalProvider provider = TerminalProvider.load("exec");
            return new TerminalProbe(provider, stream, provider.isSystemStream(stream));
        } catch (IOException | RuntimeException | LinkageError e) {
            return new TerminalProbe(null, stream, false);
        }
    }

    boolean interactive() {
        return interactive;
    }

    /** The terminal's columns now, or {@link #DEFAULT_WIDTH} when it does not say. */
    int width() {
        if (provider == null) {
            return DEFAULT_WIDTH;
        }
        try {
            int columns = provider.systemStreamWidth(stream);
            return columns > 0 ? columns : DEFAULT_WIDTH;
        } catch (RuntimeException e) {
            return DEFAULT_WIDTH;
        }
    }
}
