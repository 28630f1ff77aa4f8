package dev.mnv2.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code mnv2} tool. Exit codes: 0 success, 2 usage error (bad option or value),
 * 1 any other failure. Errors are one line on standard error; set MNV2_DEBUG=1 for stack traces.
 */
@Command(
        name = "mnv2",
        mixinStandardHelpOptions = true,
        versionProvider = Mnv2.Version.class,
        description = "MobileNetV2 for the JVM: build, run and analyse MobileNetV2 in pure Java.",
        subcommands = {ClassifyCommand.class, SegmentCommand.class, SummaryCommand.class, BenchCommand.class,
            ExportCommand.class, EvalCommand.class, TrainCommand.class, FinetuneCommand.class, ExperimentCommand.class,
            CommandLine.HelpCommand.class})
public final class Mnv2 implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command (commands: " + commandNames(spec.commandLine()) + "; try 'mnv2 --help')");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the tool with the given streams and returns its exit code (used by tests too). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Mnv2());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, arguments) -> {
            err.println("mnv2: " + usageMessage(e, cli));
            return CommandLine.ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CommandLine.ParameterException p) {
                err.println("mnv2: " + p.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            err.println("mnv2: " + describe(e));
            if (System.getenv("MNV2_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return CommandLine.ExitCode.SOFTWARE;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * picocli's message, except for a first argument that is no command, which picocli calls an unmatched
     * argument: that is an unknown command, said with the list of commands.
     */
    private static String usageMessage(CommandLine.ParameterException e, CommandLine root) {
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && e.getCommandLine() == root
                && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
            return "unknown command '" + unmatched.getUnmatched().get(0) + "' (commands: " + commandNames(root) + ")";
        }
        return e.getMessage();
    }

    /** The tool's commands, in the order help lists them, without help itself. */
    private static String commandNames(CommandLine root) {
        return root.getSubcommands().keySet().stream().filter(name -> !name.equals("help"))
                .collect(Collectors.joining(", "));
    }

    /** A one-line description of a failure: its message, or its type when it has none. */
    static String describe(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            return "out of memory (raise the heap with JAVA_OPTS=-Xmx...)";
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return message.replace('\n', ' ');
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Mnv2.class.getResourceAsStream("/mnv2-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"mnv2 " + p.getProperty("version", "unknown")};
        }
    }
}
