package dev.mnv2.cli;

import dev.mnv2.train.Recipe;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options {@code train} and {@code finetune} share: data, output, recipe overrides, reports. */
final class TrainingOptions {
    enum Format { text, json }

    enum OnUnreadable { skip, fail }

    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "Training images: DIR/<class>/*.jpg|jpeg|png|bmp, classes sorted by folder name.")
    Path data;

    @Option(names = "--val", paramLabel = "DIR", description = "Validation images in the same layout, "
            + "evaluated after every epoch (resize and central crop as classify).")
    Path val;

    @Option(names = "--val-every", paramLabel = "EPOCHS", defaultValue = "1",
            description = "Validate every EPOCHS epochs (and after the last). Default: ${DEFAULT-VALUE}.")
    int valEvery;

    @Option(names = "--out", paramLabel = "FILE.safetensors", required = true,
            description = "The checkpoint: written atomically at every epoch's end (and every --checkpoint-every "
                    + "steps), read by classify, eval, export, summary and --resume.")
    Path out;

    @Option(names = "--recipe", paramLabel = "paper|cifar|finetune",
            description = "Hyper-parameter preset that the options below override (train: cifar for --variant cifar, "
                    + "else paper; finetune: finetune).")
    String recipe;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs. Default: 10.")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "N", description = "Images per step (the recipe's by default).")
    Integer batch;

    @Option(names = "--optimizer", paramLabel = "sgd|rmsprop|adamw", description = "The recipe's by default.")
    String optimizer;

    @Option(names = "--lr", paramLabel = "RATE", description = "Peak learning rate (the recipe's by default).")
    Double lr;

    @Option(names = "--schedule", paramLabel = "exponential|cosine|step|onecycle|constant",
            description = "Learning-rate schedule (the recipe's by default).")
    String schedule;

    @Option(names = "--warmup-epochs", paramLabel = "E", description = "Linear warm-up of the cosine schedule.")
    Double warmupEpochs;

    @Option(names = "--weight-decay", paramLabel = "RATE", description = "L2 weight decay (the recipe's by default).")
    Double weightDecay;

    @Option(names = "--label-smoothing", paramLabel = "EPS", description = "The recipe's by default.")
    Double labelSmoothing;

    @Option(names = "--ema", paramLabel = "DECAY", description = "Moving average of the weights; 0 for none. "
            + "The checkpoint's final weights are the average.")
    Double ema;

    @Option(names = "--augmentation", paramLabel = "inception|finetune|cifar|none",
            description = "Training augmentation (the recipe's by default).")
    String augmentation;

    @Option(names = "--mixup", paramLabel = "ALPHA", description = "MixUp: each image blended with its neighbour "
            + "in the batch by a ratio drawn from Beta(ALPHA, ALPHA), the targets likewise; 0 for none (the "
            + "recipe's by default: none).")
    Double mixup;

    @Option(names = "--cutmix", paramLabel = "ALPHA", description = "CutMix: a box of the neighbour pasted in, "
            + "its area drawn from Beta(ALPHA, ALPHA); with --mixup each batch takes one of the two. 0 for none.")
    Double cutmix;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seeds the data order, augmentation, dropout and initial weights. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "Training threads. Default: the available processors.")
    Integer threads;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
            description = "Threads decoding and augmenting images ahead of the trainer. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--limit-per-class", paramLabel = "N",
            description = "At most N training images per class, chosen as a function of --seed (quick and few-shot runs).")
    Integer limitPerClass;

    @Option(names = "--metrics", paramLabel = "FILE.csv", description = "One row per epoch.")
    Path metrics;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Loss and accuracy curves, redrawn every epoch.")
    Path plot;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS", defaultValue = "0",
            description = "Also write the checkpoint every STEPS steps (0: at epoch ends only). Default: ${DEFAULT-VALUE}.")
    long checkpointEvery;

    @Option(names = "--stop-after-steps", paramLabel = "STEPS", defaultValue = "0",
            description = "Stop once the run has taken STEPS steps, with a checkpoint that --resume continues "
                    + "(time-boxed runs). Default: ${DEFAULT-VALUE} (run every epoch).")
    long stopAfterSteps;

    @Option(names = "--resume", description = "Continue the run whose checkpoint is --out, exactly where it stopped.")
    boolean resume;

    @Option(names = "--recompute", description = "Keep only the tensors between blocks and recompute each block's "
            + "inner ones in the backward pass (less memory, a little slower).")
    boolean recompute;

    @Option(names = "--on-unreadable", paramLabel = "skip|fail", defaultValue = "fail",
            description = "An unreadable image fails the run, or is reported by path and left out. Default: ${DEFAULT-VALUE}.")
    OnUnreadable onUnreadable;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "text: progress and a summary on standard output; json: progress on standard error and one "
                    + "JSON object on standard output. Default: ${DEFAULT-VALUE}.")
    Format format;

    /** The recipe: the preset, then every option given. */
    Recipe recipe(String defaultPreset) {
        Recipe r = Recipe.named(recipe == null ? defaultPreset : recipe);
        if (optimizer != null) r = r.withOptimizer(optimizer);
        if (lr != null) r = r.withLearningRate(lr);
        if (schedule != null) r = r.withSchedule(schedule);
        if (warmupEpochs != null) r = r.withWarmupEpochs(warmupEpochs);
        if (weightDecay != null) r = r.withWeightDecay(weightDecay);
        if (labelSmoothing != null) r = r.withLabelSmoothing(labelSmoothing);
        if (ema != null) r = r.withEma(ema);
        if (batch != null) r = r.withBatch(batch);
        if (augmentation != null) r = r.withAugmentation(augmentation);
        if (mixup != null) r = r.withMixup(mixup);
        if (cutmix != null) r = r.withCutmix(cutmix);
        return r;
    }

    int threadCount() {
        return threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    }

    int epochCount() {
        return epochs == null ? 10 : epochs;
    }

    /** Checks the values picocli cannot. */
    void check(CommandLine commandLine) throws IOException {
        if (threadCount() < 1) throw usage(commandLine, "--threads must be at least 1, got " + threadCount());
        if (workers < 1) throw usage(commandLine, "--workers must be at least 1, got " + workers);
        if (epochCount() < 1) throw usage(commandLine, "--epochs must be at least 1, got " + epochCount());
        if (limitPerClass != null && limitPerClass < 1) {
            throw usage(commandLine, "--limit-per-class must be at least 1, got " + limitPerClass);
        }
        if (checkpointEvery < 0) {
            throw usage(commandLine, "--checkpoint-every must be >= 0, got " + checkpointEvery);
        }
        if (valEvery < 1) {
            throw usage(commandLine, "--val-every must be at least 1, got " + valEvery);
        }
        if (stopAfterSteps < 0) {
            throw usage(commandLine, "--stop-after-steps must be >= 0, got " + stopAfterSteps);
        }
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw usage(commandLine, "--out must name a .safetensors file, got " + out);
        }
        if (plot != null) {
            PlotTarget.check(commandLine, plot);
        }
    }

    static CommandLine.ParameterException usage(CommandLine commandLine, String message) {
        return new CommandLine.ParameterException(commandLine, message);
    }
}
