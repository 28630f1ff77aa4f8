package dev.mnv2.experiment;

import dev.mnv2.data.DataLoader;
import dev.mnv2.data.ImageFolder;
import dev.mnv2.data.Transform;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.model.Activation;
import dev.mnv2.model.Initializer;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Shortcut;
import dev.mnv2.train.Recipe;
import dev.mnv2.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The paper's Fig. 6: MobileNetV2 (the CIFAR variant) trained on CIFAR-10 in arms that differ in one design
 * choice, with the same recipe, budget and seeds. Fig. 6a: the linear bottleneck against ReLU6 after the
 * projection; Fig. 6b: the shortcut between bottlenecks against one between expansions and none. Each run
 * records test top-1 against the step, at evenly spaced points and at the end.
 *
 * <p>Runs go seed by seed and, within a seed, arm by arm, so that a machine that slows down mid-way slows every
 * arm alike; every arm of a seed starts from the same data order and augmentation (the loader's seed) and
 * initialises its weights from the same seed.
 */
public final class AblationExperiment {
    /** Which figure: 6a or 6b. */
    public enum Study {
        BOTTLENECK, SHORTCUT;

        /** {@code bottleneck} or {@code shortcut}. */
        public static Study parse(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "bottleneck" -> BOTTLENECK;
                case "shortcut" -> SHORTCUT;
                default -> throw new IllegalArgumentException("study must be bottleneck or shortcut, got " + name);
            };
        }

        /** The arms, the paper's design first. */
        public List<Arm> arms() {
            return this == BOTTLENECK
                    ? List.of(new Arm("linear", Activation.IDENTITY, Shortcut.BOTTLENECK),
                            new Arm("relu6", Activation.RELU6, Shortcut.BOTTLENECK))
                    : List.of(new Arm("bottleneck", Activation.IDENTITY, Shortcut.BOTTLENECK),
                            new Arm("expansion", Activation.IDENTITY, Shortcut.EXPANSION),
                            new Arm("none", Activation.IDENTITY, Shortcut.NONE));
        }
    }

    /** One variant of the network: the projection's activation and the shortcut's placement. */
    public record Arm(String name, Activation bottleneck, Shortcut shortcut) {}

    /** Test top-1 after {@code step} updates. */
    public record Point(long step, double top1) {}

    /** One arm trained from one seed: its curve (the last point is the end of training) and its wall time. */
    public record Run(Arm arm, long seed, List<Point> curve, double seconds) {
        public double finalTop1() {
            return curve.get(curve.size() - 1).top1();
        }
    }

    private final Study study;
    private final ImageFolder train;
    private final ImageFolder test;
    private final List<Long> seeds;
    private final int epochs;
    private final double width;
    private final Recipe recipe;
    private final int evaluations;
    private final int threads;

    private AblationExperiment(Builder b) {
        this.study = b.study;
        this.train = b.train;
        this.test = b.test;
        this.seeds = List.copyOf(b.seeds);
        this.epochs = b.epochs;
        this.width = b.width;
        this.recipe = b.recipe;
        this.evaluations = b.evaluations;
        this.threads = b.threads;
    }

    public static Builder builder(Study study, ImageFolder train, ImageFolder test) {
        return new Builder(study, train, test);
    }

    public Study study() {
        return study;
    }

    /** Trains every arm from every seed; {@code log} hears a line as each evaluation and run ends. */
    public List<Run> run(Consumer<String> log) {
        int batch = recipe.batch();
        if (train.size() < batch) {
            throw new IllegalArgumentException(train.root() + ": " + train.size() + " images are fewer than one batch of "
                    + batch);
        }
        int stepsPerEpoch = train.size() / batch;
        long totalSteps = (long) stepsPerEpoch * epochs;
        List<Run> runs = new ArrayList<>();
        for (long seed : seeds) {
            for (Arm arm : study.arms()) {
                runs.add(train(arm, seed, stepsPerEpoch, totalSteps, log));
            }
        }
        return runs;
    }

    private Run train(Arm arm, long seed, int stepsPerEpoch, long totalSteps, Consumer<String> log) {
        Network network = MobileNetV2.builder().width(width).resolution(32).classes(train.classes().size())
                .variant(MobileNetV2Config.Variant.CIFAR).dropout(0.2).bottleneck(arm.bottleneck()).shortcut(arm.shortcut())
                .config().create();
        Initializer.torchvision(network, seed);
        PixelScaling scaling = PixelScaling.conventionOf(network.config());
        int side = network.input().height();
        Transform augment = recipe.trainTransform(side, side, scaling);
        Transform evaluate = Transform.evaluation(side, side, recipe.evaluationCrop(), scaling);
        List<Point> curve = new ArrayList<>();
        long start = System.nanoTime();
        try (Trainer trainer = Trainer.builder(network).optimizer(recipe.newOptimizer())
                .schedule(recipe.schedule(stepsPerEpoch, epochs)).loss(recipe.loss()).ema(recipe.ema())
                .batch(recipe.batch()).threads(threads).batchNormMomentum(recipe.batchNormMomentum()).seed(seed).build();
             DataLoader loader = DataLoader.builder(train).batchSize(recipe.batch()).transform(augment).shuffle(seed)
                     .dropLast(true).cacheDecoded(true).build();
             DataLoader testLoader = DataLoader.builder(test).batchSize(100).transform(evaluate).cacheDecoded(true)
                     .build()) {
            int points = (int) Math.min(evaluations, totalSteps);
            long nextEvaluation = evaluationStep(1, points, totalSteps);
            int done = 1;
            for (int epoch = 0; epoch < epochs; epoch++) {
                DataLoader.Epoch batches = loader.epoch(epoch);
                for (int s = 0; s < stepsPerEpoch && batches.hasNext(); s++) {
                    DataLoader.Batch b = batches.next();
                    trainer.step(b.images(), b.labels(), b.count());
                    if (trainer.steps() == nextEvaluation) {
                        double top1 = trainer.evaluate(testLoader).top1Accuracy();
                        curve.add(new Point(trainer.steps(), top1));
                        log.accept(String.format(Locale.ROOT, "%s seed %d: step %d/%d, test top-1 %.2f %%", arm.name(),
                                seed, trainer.steps(), totalSteps, 100 * top1));
                        done++;
                        nextEvaluation = evaluationStep(done, points, totalSteps);
                    }
                }
            }
        }
        Run run = new Run(arm, seed, List.copyOf(curve), (System.nanoTime() - start) / 1e9);
        log.accept(String.format(Locale.ROOT, "%s seed %d: final test top-1 %.2f %% (%.0f s)", arm.name(), seed,
                100 * run.finalTop1(), run.seconds()));
        return run;
    }

    /** The step of evaluation {@code k} of {@code points} (at most one per step), the last at the end of training. */
    private static long evaluationStep(int k, int points, long totalSteps) {
        return Math.max(1, Math.round((double) totalSteps * k / points));
    }

    /** Options; the defaults: 3 seeds (0, 1, 2), 10 epochs, width 0.5, the {@code cifar} recipe, 10 evaluations. */
    public static final class Builder {
        private final Study study;
        private final ImageFolder train;
        private final ImageFolder test;
        private List<Long> seeds = List.of(0L, 1L, 2L);
        private int epochs = 10;
        private double width = 0.5;
        private Recipe recipe = Recipe.cifar();
        private int evaluations = 10;
        private int threads = Runtime.getRuntime().availableProcessors();

        private Builder(Study study, ImageFolder train, ImageFolder test) {
            this.study = Objects.requireNonNull(study, "study");
            this.train = Objects.requireNonNull(train, "train");
            this.test = Objects.requireNonNull(test, "test");
            if (!train.classes().equals(test.classes())) {
                throw new IllegalArgumentException("the training classes " + train.classes()
                        + " are not the test folder's " + test.classes());
            }
        }

        /** Seeds {@code 0 … count − 1}, at least 1 (the statistics need 2 per arm). */
        public Builder seeds(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("seeds must be at least 1, got " + count);
            }
            List<Long> list = new ArrayList<>();
            for (long s = 0; s < count; s++) {
                list.add(s);
            }
            this.seeds = list;
            return this;
        }

        public Builder epochs(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("epochs must be at least 1, got " + count);
            }
            this.epochs = count;
            return this;
        }

        public Builder width(double multiplier) {
            if (!(multiplier > 0)) {
                throw new IllegalArgumentException("width must be positive, got " + multiplier);
            }
            this.width = multiplier;
            return this;
        }

        public Builder recipe(Recipe value) {
            this.recipe = Objects.requireNonNull(value, "recipe");
            return this;
        }

        /** Test evaluations per run, evenly spaced in steps, the last at the end; at least 1. */
        public Builder evaluations(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("evaluations must be at least 1, got " + count);
            }
            this.evaluations = count;
            return this;
        }

        public Builder threads(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + count);
            }
            this.threads = count;
            return this;
        }

        public AblationExperiment build() {
            return new AblationExperiment(this);
        }
    }
}
