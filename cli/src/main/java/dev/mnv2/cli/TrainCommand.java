package dev.mnv2.cli;

import dev.mnv2.data.ImageFolder;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.model.Initializer;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.safetensors.TrainingCheckpoint;
import dev.mnv2.train.Recipe;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mnv2 train}: MobileNetV2 from scratch on an image folder. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train MobileNetV2 from scratch on a folder of labelled images (DIR/<class>/*.jpg|png|bmp). "
                + "Recipes: paper (TF-slim's RMSProp flags) and cifar (SGD Nesterov, cosine, crop + flip); "
                + "options override them.")
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    TrainingOptions options;

    @Option(names = "--width", paramLabel = "ALPHA", defaultValue = "1.0",
            description = "Width multiplier α. Default: ${DEFAULT-VALUE}.")
    double width;

    @Option(names = "--resolution", paramLabel = "PIXELS",
            description = "Input side. Default: 32 for --variant cifar, else 224.")
    Integer resolution;

    @Option(names = "--variant", paramLabel = "imagenet|cifar", defaultValue = "imagenet",
            description = "cifar: the stem and the 24-channel stage at stride 1, for 32×32 images. Default: ${DEFAULT-VALUE}.")
    String variant;

    @Option(names = "--dropout", paramLabel = "RATE", defaultValue = "0.2",
            description = "Dropout before the classifier. Default: ${DEFAULT-VALUE}.")
    double dropout;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        options.check(cl);
        MobileNetV2Config.Variant v;
        Recipe recipe;
        try {
            v = MobileNetV2Config.Variant.parse(variant);
            recipe = options.recipe(v == MobileNetV2Config.Variant.CIFAR ? "cifar" : "paper");
        } catch (IllegalArgumentException e) {
            throw TrainingOptions.usage(cl, e.getMessage());
        }
        int side = resolution != null ? resolution : v == MobileNetV2Config.Variant.CIFAR ? 32 : 224;
        ImageFolder train = folder(options.data, true);
        ImageFolder val = options.val == null ? null : folder(options.val, false);
        checkSameClasses(train, val);
        Map<String, String> run = new LinkedHashMap<>();
        run.put("data", options.data.toString());
        run.put("width", Double.toString(width));
        run.put("resolution", Integer.toString(side));
        run.put("variant", v.name().toLowerCase(Locale.ROOT));
        TrainingSession.Start start;
        if (options.resume) {
            start = Resume.start(options);
        } else {
            Network network;
            try {
                network = MobileNetV2.builder().width(width).resolution(side).classes(train.classes().size())
                        .variant(v).dropout(dropout).config().create();
            } catch (IllegalArgumentException e) {
                throw TrainingOptions.usage(cl, e.getMessage());
            }
            Initializer.torchvision(network, options.seed);
            LoadedModel model = LoadedModel.of(network.withLabels(train.classes()));
            start = new TrainingSession.Start(model, recipe, options.epochCount(), null);
        }
        return new TrainingSession("train", options, run, cl.getOut(), cl.getErr()).run(start, train, val, 0, 0,
                TrainingSession.FoldedNorms.NONE);
    }

    /** The training folder (limited per class when asked) or the validation folder. */
    ImageFolder folder(java.nio.file.Path dir, boolean training) {
        ImageFolder f = ImageFolder.open(dir);
        return training && options.limitPerClass != null ? f.limitPerClass(options.limitPerClass, options.seed) : f;
    }

    static void checkSameClasses(ImageFolder train, ImageFolder val) throws IOException {
        if (val != null && !val.classes().equals(train.classes())) {
            throw new IOException(val.root() + ": its classes " + val.classes() + " differ from the training folder's "
                    + train.classes());
        }
    }

    /** Resuming: the model, recipe and epochs come from the checkpoint. */
    static final class Resume {
        private Resume() {}

        static TrainingSession.Start start(TrainingOptions options) throws IOException {
            TrainingCheckpoint c = TrainingCheckpoint.load(options.out);
            Map<String, String> saved = c.options();
            if (Boolean.parseBoolean(saved.getOrDefault("finished", "false"))) {
                throw new IOException(options.out + ": that run finished (step " + c.progress().step()
                        + "); there is nothing to resume");
            }
            Recipe recipe;
            int epochs;
            try {
                recipe = Recipe.fromMap(saved);
                epochs = Integer.parseInt(saved.get("epochs"));
            } catch (RuntimeException e) {
                throw new IOException(options.out + ": the checkpoint's run options are incomplete: " + e.getMessage());
            }
            return new TrainingSession.Start(c.model(), recipe, epochs, c);
        }
    }
}
