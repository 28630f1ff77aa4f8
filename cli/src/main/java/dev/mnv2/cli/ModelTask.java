package dev.mnv2.cli;

import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Task;
import dev.mnv2.zoo.ModelStore;
import picocli.CommandLine;

/** The command serving each {@link Task}, so that a command given a model of the other kind says so in one line. */
enum ModelTask {
    CLASSIFICATION(Task.CLASSIFICATION, "classify", ModelStore.DEFAULT_MODEL),
    SEGMENTATION(Task.SEGMENTATION, "segment", ModelStore.DEFAULT_SEGMENTATION_MODEL);

    private final Task task;
    private final String command;
    private final String example;

    ModelTask(Task task, String command, String example) {
        this.task = task;
        this.command = command;
        this.example = example;
    }

    private static ModelTask of(Task task) {
        return task == Task.SEGMENTATION ? SEGMENTATION : CLASSIFICATION;
    }

    /** A usage error (exit 2) unless {@code loaded}, loaded from {@code model}, is for this task. */
    void require(CommandLine commandLine, String model, LoadedModel loaded) {
        ModelTask actual = of(loaded.task());
        if (actual != this) {
            throw new CommandLine.ParameterException(commandLine, "--model " + model + " is a "
                    + actual.task.metadataName() + " model (" + loaded.network().config().architecture() + "); "
                    + command + " needs a " + task.metadataName() + " model such as " + example + " (use 'mnv2 "
                    + actual.command + "' for this one)");
        }
    }
}
