package dev.mnv2.cli;

import dev.mnv2.model.DeepLabV3Config;
import dev.mnv2.model.Network;
import dev.mnv2.zoo.ModelStore;
import picocli.CommandLine;

/** What a loaded model is for, so that a command given the other kind says so in one line. */
enum ModelTask {
    CLASSIFICATION("classification", "classify", ModelStore.DEFAULT_MODEL),
    SEGMENTATION("segmentation", "segment", ModelStore.DEFAULT_SEGMENTATION_MODEL);

    private final String noun;
    private final String command;
    private final String example;

    ModelTask(String noun, String command, String example) {
        this.noun = noun;
        this.command = command;
        this.example = example;
    }

    static ModelTask of(Network network) {
        return network.config() instanceof DeepLabV3Config ? SEGMENTATION : CLASSIFICATION;
    }

    /** A usage error (exit 2) unless {@code network}, loaded from {@code model}, is for this task. */
    void require(CommandLine commandLine, String model, Network network) {
        ModelTask actual = of(network);
        if (actual != this) {
            throw new CommandLine.ParameterException(commandLine, "--model " + model + " is a " + actual.noun
                    + " model (" + network.config().architecture() + "); " + command + " needs a " + noun
                    + " model such as " + example + " (use 'mnv2 " + actual.command + "' for this one)");
        }
    }
}
