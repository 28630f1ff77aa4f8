package dev.mnv2.cli;

import dev.mnv2.cli.progress.EpochMetrics;
import dev.mnv2.cli.progress.MetricsCsv;
import dev.mnv2.cli.progress.TrainingCurves;
import dev.mnv2.cli.progress.TrainingProgress;
import dev.mnv2.data.BatchMixing;
import dev.mnv2.data.ClassificationMetrics;
import dev.mnv2.data.DataLoader;
import dev.mnv2.data.ImageFolder;
import dev.mnv2.data.Transform;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.load.InputSpec;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import dev.mnv2.safetensors.TrainingCheckpoint;
import dev.mnv2.train.ExponentialMovingAverage;
import dev.mnv2.train.NonFiniteLossException;
import dev.mnv2.train.Recipe;
import dev.mnv2.train.SoftmaxCrossEntropy;
import dev.mnv2.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One run of {@code mnv2 train} or {@code mnv2 finetune}: epochs of shuffled, augmented batches through a
 * {@link Trainer}, validation after each epoch, progress, metrics and curves, and the checkpoint written
 * atomically at each epoch's end (and every {@code --checkpoint-every} steps). A run is a function of its
 * options and seed: data order and augmentation come from (seed, epoch, sample), dropout from (seed, step), so
 * a resumed run takes the same steps as an uninterrupted one. A non-finite loss stops the run before it
 * writes anything (the last checkpoint stays good); Ctrl-C writes a checkpoint at the next step's end.
 */
final class TrainingSession {
    /** Exit code after Ctrl-C, as shells report SIGINT. */
    static final int INTERRUPTED = 130;

    private final TrainingOptions options;
    private final String command;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Map<String, String> runOptions;
    private volatile boolean interrupted;
    private final CountDownLatch stopped = new CountDownLatch(1);

    TrainingSession(String command, TrainingOptions options, Map<String, String> runOptions, PrintWriter out,
                    PrintWriter err) {
        this.command = command;
        this.options = options;
        this.runOptions = runOptions;
        this.out = out;
        this.err = err;
    }

    /**
     * What a run does with the norms a folded model was given ({@code TorchLayout.withBatchNorms}): none to
     * handle, keep them in eval mode throughout, or rebase them on the training data's statistics before the
     * first step and train them as real norms ({@link Trainer#rebaseNorms}).
     */
    enum FoldedNorms { NONE, FROZEN, REBASE }

    /** Batches whose statistics {@link FoldedNorms#REBASE} gives the norms: 16 of 64 are 1,024 images. */
    static final int REBASE_BATCHES = 16;

    /** Where a run starts: a fresh network, or a checkpoint to resume. */
    record Start(LoadedModel model, Recipe recipe, int epochs, TrainingCheckpoint resumed) {}

    /** Runs to the last epoch (or to Ctrl-C) and returns the exit code. */
    int run(Start start, ImageFolder train, ImageFolder val, int freezeBackboneEpochs, int frozenLayers,
            FoldedNorms foldedNorms)
            throws IOException {
        Recipe recipe = start.recipe();
        int epochs = start.epochs();
        Network network = start.model().network();
        InputSpec input = start.model().input().withCentralCrop(recipe.evaluationCrop());
        LoadedModel model = new LoadedModel(network, input);
        int batch = recipe.batch();
        if (train.size() < batch) {
            throw new IOException(options.data + ": " + train.size() + " images are fewer than one batch of " + batch
                    + " (use a smaller --batch)");
        }
        int stepsPerEpoch = train.size() / batch;
        Transform trainTransform = recipe.trainTransform(input.height(), input.width(), input.scaling());
        Transform evalTransform = Transform.evaluation(input.height(), input.width(), input.centralCrop(),
                input.scaling());
        BatchMixing mixing = recipe.mixing();
        Map<String, String> saved = new LinkedHashMap<>(runOptions);
        saved.putAll(recipe.toMap());
        saved.put("command", command);
        saved.put("epochs", Integer.toString(epochs));
        saved.put("seed", Long.toString(options.seed));

        long startStep = 0;
        int startEpoch = 0;
        int skipSteps = 0;
        List<EpochMetrics> history = new ArrayList<>();
        MetricsCsv csv = null;
        if (options.metrics != null) {
            csv = start.resumed() != null ? MetricsCsv.resume(options.metrics) : MetricsCsv.create(options.metrics);
            history.addAll(csv.rows());
        }
        TrainingProgress.Output stream = options.format == TrainingOptions.Format.json
                ? TrainingProgress.Output.STDERR : TrainingProgress.Output.STDOUT;
        double seconds0 = System.nanoTime() / 1e9;
        try (Trainer trainer = Trainer.builder(network).optimizer(recipe.newOptimizer())
                .schedule(recipe.schedule(stepsPerEpoch, epochs)).loss(recipe.loss()).ema(recipe.ema()).batch(batch)
                .threads(options.threadCount()).recompute(options.recompute)
                .batchNormMomentum(recipe.batchNormMomentum()).seed(options.seed).build();
             DataLoader loader = loader(train, trainTransform, batch, true);
             TrainingProgress progress = TrainingProgress.open(stream, TrainingProgress.Mode.AUTO, epochs,
                     Math.max(1, stepsPerEpoch / 10))) {
            if (start.resumed() != null) {
                TrainingCheckpoint c = start.resumed();
                trainer.optimizer().loadState(trainer.parameters(), c.optimizer().state());
                if (c.movingAverage().isPresent()) {
                    ExponentialMovingAverage ema = trainer.ema().orElseThrow(() -> new IOException(options.out
                            + ": the checkpoint has a moving average but its recipe none"));
                    ema.load(c.movingAverage().get().averages(), c.movingAverage().get().updates());
                }
                startStep = c.progress().step();
                startEpoch = c.progress().epoch();
                skipSteps = c.progress().stepInEpoch();
                trainer.resumeAt(startStep);
                progress.message(String.format(Locale.ROOT, "resuming %s at epoch %d, step %d", options.out,
                        startEpoch + 1, startStep));
            }
            Thread hook = new Thread(() -> {
                interrupted = true;
                try {
                    stopped.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "mnv2-train-interrupt");
            if (foldedNorms == FoldedNorms.REBASE && start.resumed() == null) {
                trainer.plan().setEvalBatchNorm(conv -> true, true);
                DataLoader.Epoch first = loader.epoch(0);
                int count = Math.min(REBASE_BATCHES, first.batchCount());
                int rebased = trainer.rebaseNorms(() -> new Iterator<float[]>() {
                    int taken;

                    @Override
                    public boolean hasNext() {
                        return taken < count;
                    }

                    @Override
                    public float[] next() {
                        taken++;
                        return first.next().images();
                    }
                });
                progress.message(String.format(Locale.ROOT, "%d folded norms rebased on the statistics of %d "
                        + "training images; they train from here on", rebased, count * batch));
            }
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                for (int epoch = startEpoch; epoch < epochs; epoch++) {
                    if (freezeBackboneEpochs > 0) {
                        boolean frozen = epoch < freezeBackboneEpochs;
                        trainer.freeze(BACKBONE, frozen, true);
                    }
                    if (frozenLayers > 0) {
                        trainer.freeze(firstLayers(frozenLayers), true, true);
                    }
                    if (foldedNorms == FoldedNorms.FROZEN) {
                        trainer.plan().setEvalBatchNorm(conv -> true, true);
                    }
                    progress.startEpoch(epoch + 1, stepsPerEpoch);
                    double t0 = System.nanoTime() / 1e9;
                    DataLoader.Epoch batches = loader.epoch(epoch);
                    double lossSum = 0;
                    long correct = 0;
                    long images = 0;
                    int step = 0;
                    double lr = Double.NaN;
                    while (batches.hasNext() && step < stepsPerEpoch) {
                        DataLoader.Batch b = batches.next();
                        step++;
                        if (step <= skipSteps || b.count() < 2) {
                            continue;
                        }
                        int[] labels = b.count() == b.labels().length ? b.labels()
                                : Arrays.copyOf(b.labels(), b.count());
                        BatchMixing.Mix mix = mixing.enabled() ? mixing.apply(b.images(), labels, b.count(),
                                b.height(), b.width(), 3, options.seed, trainer.steps()) : null;
                        Trainer.StepResult r;
                        try {
                            r = trainer.step(b.images(), labels, mix, b.count());
                        } catch (NonFiniteLossException e) {
                            throw new IOException("training stopped: " + e.getMessage() + "; the last good checkpoint is "
                                    + options.out + " (lower --lr?)");
                        }
                        lr = r.learningRate();
                        lossSum += r.loss() * b.count();
                        correct += r.correct();
                        images += b.count();
                        progress.step(step, b.count(), r.loss(), (int) r.correct());
                        if (options.checkpointEvery > 0 && trainer.steps() % options.checkpointEvery == 0) {
                            save(trainer, model, epoch, step, saved, false);
                        }
                        if (options.stopAfterSteps > 0 && trainer.steps() >= options.stopAfterSteps) {
                            save(trainer, model, epoch, step, saved, false);
                            progress.message("stopped after step " + trainer.steps() + ": checkpoint written to "
                                    + options.out + "; continue with --resume");
                            return 0;
                        }
                        if (interrupted) {
                            save(trainer, model, epoch, step, saved, false);
                            progress.message("interrupted: checkpoint written to " + options.out + " at step "
                                    + trainer.steps() + "; continue with --resume");
                            return INTERRUPTED;
                        }
                    }
                    skipSteps = 0;
                    double trainSeconds = System.nanoTime() / 1e9 - t0;
                    double waitShare = trainSeconds > 0 ? batches.secondsWaited() / trainSeconds : 0;
                    boolean validating = val != null && ((epoch + 1) % options.valEvery == 0 || epoch + 1 == epochs);
                    Validation v = validating ? validate(trainer, network, val, evalTransform) : Validation.NONE;
                    double epochSeconds = System.nanoTime() / 1e9 - t0;
                    EpochMetrics m = new EpochMetrics(epoch + 1, trainer.steps(), images == 0 ? Double.NaN
                            : lossSum / images, images == 0 ? Double.NaN : (double) correct / images, v.loss, v.top1,
                            v.top5, lr, epochSeconds, images / Math.max(trainSeconds, 1e-9), waitShare);
                    progress.endEpoch(m);
                    history.removeIf(h -> h.epoch() >= m.epoch());
                    history.add(m);
                    if (csv != null) {
                        csv.append(m);
                    }
                    if (options.plot != null) {
                        TrainingCurves.write(options.plot, command + " " + options.data.getFileName(), history);
                    }
                    save(trainer, model, epoch + 1, 0, saved, epoch + 1 == epochs);
                }
            } finally {
                stopped.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running: it returns once stopped is counted down.
                }
            }
            EpochMetrics last = history.isEmpty() ? null : history.get(history.size() - 1);
            report(last, trainer.steps(), epochs, System.nanoTime() / 1e9 - seconds0);
            return 0;
        }
    }

    private DataLoader loader(ImageFolder folder, Transform transform, int batch, boolean training) {
        DataLoader.Builder b = DataLoader.builder(folder).batchSize(batch).transform(transform)
                .workers(options.workers).prefetch(Math.max(2, 2 * options.workers)).cacheDecoded(true)
                .unreadable(options.onUnreadable == TrainingOptions.OnUnreadable.skip ? DataLoader.Unreadable.SKIP
                        : DataLoader.Unreadable.FAIL)
                .onSkipped(s -> err.println("mnv2: skipped " + s.message()));
        return training ? b.shuffle(options.seed).dropLast(true).build() : b.build();
    }

    private record Validation(double loss, double top1, double top5) {
        static final Validation NONE = new Validation(Double.NaN, Double.NaN, Double.NaN);
    }

    /** The inference network (running statistics; the moving average when there is one) on the validation folder. */
    private Validation validate(Trainer trainer, Network network, ImageFolder val, Transform transform) {
        int batch = 64;
        ClassificationMetrics metrics = ClassificationMetrics.of(val.classes());
        SoftmaxCrossEntropy loss = SoftmaxCrossEntropy.create();
        double lossSum = 0;
        Shape shape = network.input();
        try (ExponentialMovingAverage.Swap swap = trainer.ema().map(ExponentialMovingAverage::swapIn).orElse(null);
             DataLoader loader = loader(val, transform, batch, false);
             Predictor predictor = Predictor.builder(network).threads(options.threadCount()).build()) {
            DataLoader.Epoch epoch = loader.epoch(0);
            while (epoch.hasNext()) {
                DataLoader.Batch b = epoch.next();
                if (b.count() == 0) {
                    continue;
                }
                float[] images = b.count() == batch ? b.images() : Arrays.copyOf(b.images(), b.count() * b.imageSize());
                Tensor logits = predictor.forward(new Tensor(b.count(), shape, images));
                metrics.add(b.labels(), b.count(), logits.data());
                lossSum += loss.loss(logits.data(), Arrays.copyOf(b.labels(), b.count()), network.classes()) * b.count();
            }
        }
        return new Validation(lossSum / Math.max(1, metrics.images()), metrics.top1(), metrics.top5());
    }

    /** Writes the checkpoint; the final one of a run with a moving average holds the averaged weights. */
    private void save(Trainer trainer, LoadedModel model, int epoch, int stepInEpoch, Map<String, String> saved,
                      boolean finished) throws IOException {
        Map<String, String> optionsNow = new LinkedHashMap<>(saved);
        optionsNow.put("finished", Boolean.toString(finished));
        TrainingCheckpoint.Builder b = TrainingCheckpoint.builder(model).progress(trainer.steps(), epoch, stepInEpoch)
                .optimizer(trainer.optimizer().getClass().getSimpleName().toLowerCase(Locale.ROOT), Map.of(),
                        trainer.optimizer().state())
                .randomState(options.seed).options(optionsNow);
        trainer.ema().ifPresent(ema -> b.movingAverage(ema.averages(), ema.updates()));
        if (finished && trainer.ema().isPresent()) {
            try (ExponentialMovingAverage.Swap swap = trainer.ema().get().swapIn()) {
                b.build().save(options.out);
            }
        } else {
            b.build().save(options.out);
        }
    }

    private void report(EpochMetrics last, long steps, int epochs, double seconds) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("epochs", epochs);
        result.put("steps", steps);
        result.put("trainLoss", last == null ? null : round(last.trainLoss()));
        result.put("trainTop1", last == null ? null : round(last.trainTop1()));
        result.put("valTop1", last == null || !last.validated() ? null : round(last.valTop1()));
        result.put("valTop5", last == null || !last.validated() ? null : round(last.valTop5()));
        result.put("seconds", Math.round(seconds * 10) / 10.0);
        result.put("checkpoint", options.out.toString());
        if (options.format == TrainingOptions.Format.json) {
            out.println(dev.mnv2.util.Json.write(result));
        } else {
            out.printf(Locale.ROOT, "%s: %d epochs, %d steps, train loss %.4f%s, %.0f s -> %s%n", command, epochs,
                    steps, last == null ? Double.NaN : last.trainLoss(), last == null || !last.validated() ? ""
                            : String.format(Locale.ROOT, ", val top-1 %.2f %%, top-5 %.2f %%", 100 * last.valTop1(),
                            100 * last.valTop5()), seconds, options.out);
        }
    }

    private static Double round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 1e6) / 1e6;
    }

    /** Parameters of the backbone (all but the classifier), for --freeze-backbone-epochs. */
    static final Predicate<String> BACKBONE = name -> !name.startsWith("classifier");

    /** Parameters of torchvision's {@code features.0} … {@code features.(count − 1)}: the stem and first blocks. */
    static Predicate<String> firstLayers(int count) {
        return name -> {
            if (!name.startsWith("features.")) {
                return false;
            }
            int end = name.indexOf('.', "features.".length());
            String index = name.substring("features.".length(), end < 0 ? name.length() : end);
            return !index.isEmpty() && index.chars().allMatch(Character::isDigit) && Integer.parseInt(index) < count;
        };
    }
}
