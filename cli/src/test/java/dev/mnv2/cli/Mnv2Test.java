package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** What the tool does before any command runs: unknown and missing commands, help texts. */
class Mnv2Test {

    @Test
    void anUnknownCommandIsNamedWithTheListOfCommands() {
        CliRun run = CliRun.of("foo", "--width", "1");
        assertEquals(2, run.exitCode());
        assertEquals("mnv2: unknown command 'foo' (commands: classify, segment, summary, bench, export, eval, train, finetune, experiment)",
                run.err().strip());
    }

    @Test
    void aMissingCommandListsTheCommands() {
        CliRun run = CliRun.of();
        assertEquals(2, run.exitCode());
        assertTrue(run.err().startsWith("mnv2: missing command (commands: classify, segment, summary, bench, export, eval, train, finetune, experiment;"),
                run.err());
    }

    /** Help shows the allowed values where a placeholder would say {@code <format>}. */
    @Test
    void everyOptionWithFixedValuesListsThemInHelp() {
        CommandLine root = new CommandLine(new Mnv2());
        int checked = 0;
        for (CommandLine command : root.getSubcommands().values()) {
            String help = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
            for (OptionSpec option : command.getCommandSpec().options()) {
                if (!option.type().isEnum()) {
                    continue;
                }
                String values = Arrays.stream(option.type().getEnumConstants())
                        .map(v -> v.toString().toLowerCase(Locale.ROOT)).collect(Collectors.joining("|"));
                assertEquals(values, option.paramLabel(), command.getCommandName() + " " + option.longestName());
                assertTrue(help.contains(option.longestName() + "=" + values), help);
                checked++;
            }
        }
        assertTrue(checked >= 10, checked + " options checked");
    }
}
