package dev.mnv2.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs a benchmark part in a JVM of its own, started like this one (same java, JVM options, class path; the
 * environment and network namespace are inherited), so that one engine's idle threads never spin beside another's.
 */
final class ChildJvm {
    private ChildJvm() {}

    /** Runs {@code main} with {@code args}, handing each line of its standard output to {@code lines}; its exit status. */
    static int run(Class<?> main, List<String> args, Consumer<String> lines) throws IOException, InterruptedException {
        return run(main, args, List.of(), lines);
    }

    /** {@link #run(Class, List, Consumer)} with the JVM started through {@code prefix} (such as {@code taskset -c 0}). */
    static int run(Class<?> main, List<String> args, List<String> prefix, Consumer<String> lines)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.accept(line);
            }
        }
        return process.waitFor();
    }
}
