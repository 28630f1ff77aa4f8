package dev.mnv2.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;

/** The {@code --plot FILE.png} checks every command makes before its work, so a run never ends unable to draw. */
final class PlotTarget {
    private PlotTarget() {}

    /**
     * Fails now when {@code target} is no {@code .png} name (a usage error) or could not be written (its folder
     * missing or read-only, or a directory by that name).
     */
    static void check(CommandLine commandLine, Path target) throws IOException {
        if (!target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new CommandLine.ParameterException(commandLine, "--plot must name a .png file, got " + target);
        }
        Path parent = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw new IOException(target + ": cannot write the plot, folder " + parent + " does not exist");
        }
        if (!Files.isWritable(parent) || Files.isDirectory(target) || (Files.exists(target) && !Files.isWritable(target))) {
            throw new IOException(target + ": cannot write the plot (not writable)");
        }
    }
}
