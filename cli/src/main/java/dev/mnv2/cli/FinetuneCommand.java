package dev.mnv2.cli;

import dev.mnv2.data.ImageFolder;
import dev.mnv2.interop.TorchLayout;
import dev.mnv2.load.InputSpec;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.model.Network;
import dev.mnv2.train.Recipe;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mnv2 finetune}: a pretrained classifier on a new folder of classes. */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune a pretrained classifier on a folder of labelled images: its classifier is replaced by "
                + "one for the folder's classes (labels = folder names); any resolution.")
final class FinetuneCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--from", paramLabel = "NAME|PATH", required = true,
            description = "The pretrained model: a known name (as classify) or a .tflite, .onnx or .safetensors file.")
    String from;

    @Mixin
    TrainingOptions options;

    @Option(names = "--resolution", paramLabel = "PIXELS",
            description = "Input side to fine-tune at. Default: the model's.")
    Integer resolution;

    @Option(names = "--freeze-backbone-epochs", paramLabel = "K", defaultValue = "0",
            description = "Train only the new classifier for the first K epochs (backbone frozen, its norms in eval "
                    + "mode). Default: ${DEFAULT-VALUE}.")
    int freezeBackboneEpochs;

    @Option(names = "--freeze-layers", paramLabel = "N", defaultValue = "0",
            description = "Keep the stem and first blocks (torchvision's features.0 to features.N-1) frozen for the "
                    + "whole run, their norms in eval mode: fewer weights to fit to a small folder, and no backward "
                    + "through the high-resolution layers. Default: ${DEFAULT-VALUE}.")
    int freezeLayers;

    @Option(names = "--folded-norms", paramLabel = "rebase|frozen", defaultValue = "rebase",
            description = "For a model whose batch norms are folded into its convolutions (a TFLite file): rebase "
                    + "them on the statistics of the first training batches (the same function) and train them as "
                    + "batch norms, or keep them frozen in eval mode. Default: ${DEFAULT-VALUE}.")
    FoldedNormsOption foldedNormsOption;

    enum FoldedNormsOption { rebase, frozen }

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        options.check(cl);
        if (freezeBackboneEpochs < 0) {
            throw TrainingOptions.usage(cl, "--freeze-backbone-epochs must be >= 0, got " + freezeBackboneEpochs);
        }
        if (freezeLayers < 0) {
            throw TrainingOptions.usage(cl, "--freeze-layers must be >= 0, got " + freezeLayers);
        }
        Recipe recipe;
        try {
            recipe = options.recipe("finetune");
        } catch (IllegalArgumentException e) {
            throw TrainingOptions.usage(cl, e.getMessage());
        }
        ImageFolder train = ImageFolder.open(options.data);
        if (options.limitPerClass != null) {
            train = train.limitPerClass(options.limitPerClass, options.seed);
        }
        ImageFolder val = options.val == null ? null : ImageFolder.open(options.val);
        TrainCommand.checkSameClasses(train, val);
        Map<String, String> run = new LinkedHashMap<>();
        run.put("from", from);
        run.put("data", options.data.toString());
        run.put("freezeBackboneEpochs", Integer.toString(freezeBackboneEpochs));
        run.put("freezeLayers", Integer.toString(freezeLayers));
        TrainingSession.Start start;
        TrainingSession.FoldedNorms foldedNorms = TrainingSession.FoldedNorms.NONE;
        if (options.resume) {
            start = TrainCommand.Resume.start(options);
            // A rebased run's norms are real ones in its checkpoint; only frozen ones stay in eval mode.
            if (Boolean.parseBoolean(start.resumed().options().getOrDefault("frozenNorms", "false"))) {
                foldedNorms = TrainingSession.FoldedNorms.FROZEN;
            }
        } else {
            LoadedModel pretrained = Models.load(from);
            ModelTask.CLASSIFICATION.require(cl, from, pretrained);
            Network network = pretrained.network();
            InputSpec input = pretrained.input();
            if (resolution != null && (resolution != input.height() || resolution != input.width())) {
                try {
                    network = network.withResolution(resolution, resolution);
                } catch (IllegalArgumentException e) {
                    throw TrainingOptions.usage(cl, e.getMessage());
                }
            }
            network = network.withClassifier(train.classes(), options.seed);
            if (network.convolutions().stream().anyMatch(c -> c.batchNorm() == null)) {
                // A folded file (TFLite's conv + bias): torchvision's structure, each bias in an identity norm,
                // so parameters, optimizer state and checkpoint share torchvision's names. Rebased on the data's
                // statistics the norms train as real ones; frozen, only their scale and shift train.
                network = TorchLayout.withBatchNorms(network, network.config().batchNormEpsilon());
                foldedNorms = foldedNormsOption == FoldedNormsOption.rebase ? TrainingSession.FoldedNorms.REBASE
                        : TrainingSession.FoldedNorms.FROZEN;
            }
            InputSpec spec = new InputSpec(network.input().height(), network.input().width(), input.scaling(),
                    train.classes());
            start = new TrainingSession.Start(new LoadedModel(network, spec), recipe, options.epochCount(), null);
        }
        run.put("frozenNorms", Boolean.toString(foldedNorms == TrainingSession.FoldedNorms.FROZEN));
        if (foldedNorms == TrainingSession.FoldedNorms.REBASE) {
            run.put("foldedNorms", "rebased");
        }
        return new TrainingSession("finetune", options, run, cl.getOut(), cl.getErr())
                .run(start, train, val, freezeBackboneEpochs, freezeLayers, foldedNorms);
    }
}
