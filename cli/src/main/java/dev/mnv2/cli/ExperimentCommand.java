package dev.mnv2.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mnv2 experiment}: the paper's experiments, one subcommand each. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Re-run one of the paper's experiments: a table, a plot, and whether its finding reproduces.",
        subcommands = {ManifoldCommand.class, AblationCommand.class, TradeoffCommand.class})
final class ExperimentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing experiment (experiments: " + String.join(", ", spec.commandLine().getSubcommands().keySet())
                        + ")");
    }
}
