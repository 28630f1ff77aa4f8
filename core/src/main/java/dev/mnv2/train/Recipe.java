package dev.mnv2.train;

import dev.mnv2.data.BatchMixing;
import dev.mnv2.data.Transform;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.PixelScaling;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The hyper-parameters of a training run, as presets that options override: {@link #paper()} (TF-slim's published
 * MobileNetV2 flags) and {@link #cifar()} (the well-known CIFAR-10 recipe for MobileNetV2). A recipe makes the
 * run's {@link Optimizer}, {@link LearningRateSchedule} and {@link SoftmaxCrossEntropy} once the steps per epoch
 * are known. Immutable; the {@code with…} methods return changed copies.
 *
 * @param optimizer {@code sgd} (momentum, Nesterov), {@code rmsprop} (TensorFlow's, ε 1.0) or {@code adamw}
 * @param learningRate the peak (or initial) rate
 * @param schedule {@code exponential} (×{@code decay} per epoch, staircase), {@code cosine} (to 0 at the last
 *     step, after {@code warmupEpochs} of linear warm-up), {@code step} (×0.1 at 50 % and 75 % of the epochs),
 *     {@code onecycle} or {@code constant}
 * @param decay the exponential schedule's factor per epoch
 * @param warmupEpochs linear warm-up of the cosine schedule, from 10 % of the peak
 * @param weightDecay L2 rate; 0 for none
 * @param decayPolicy {@code tf-slim} (regular conv and dense weights only: no depthwise, norms or biases),
 *     {@code torchvision} (all but norms and biases) or {@code all}
 * @param momentum SGD's or RMSProp's momentum
 * @param labelSmoothing ε of the smoothed targets
 * @param ema decay of the weights' moving average, 0 for none
 * @param batch images per step
 * @param batchNormMomentum the running statistics' rate (PyTorch's momentum: TF's decay 0.997 is 0.003)
 * @param augmentation {@code inception} (random resized crop of 8–100 % of the area + flip), {@code finetune}
 *     (the same from 25 %, for small source images), {@code cifar} (pad-4 crop + flip) or {@code none}
 * @param mixing MixUp and CutMix of each batch ({@link BatchMixing#NONE} for neither)
 */
public record Recipe(String name, String optimizer, double learningRate, String schedule, double decay,
                     double warmupEpochs, double weightDecay, String decayPolicy, double momentum,
                     double labelSmoothing, double ema, int batch, double batchNormMomentum, String augmentation,
                     BatchMixing mixing) {
    public Recipe {
        Objects.requireNonNull(name, "name");
        requireOneOf("optimizer", optimizer, "sgd", "rmsprop", "adamw");
        requireOneOf("schedule", schedule, "exponential", "cosine", "step", "onecycle", "constant");
        requireOneOf("weight decay policy", decayPolicy, "tf-slim", "torchvision", "all");
        requireOneOf("augmentation", augmentation, "inception", "finetune", "cifar", "none");
        Checks.requirePositive("learning rate", learningRate);
        Checks.requireUnitInterval("schedule decay", decay);
        Checks.requireNonNegative("warm-up epochs", warmupEpochs);
        Checks.requireNonNegative("weight decay", weightDecay);
        Checks.requireFraction("momentum", momentum);
        Checks.requireUnitInterval("label smoothing", labelSmoothing);
        Checks.requireFraction("EMA decay", ema);
        Checks.requireUnitInterval("batch-norm momentum", batchNormMomentum);
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        Objects.requireNonNull(mixing, "mixing");
    }

    private static void requireOneOf(String what, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        throw new IllegalArgumentException(what + " must be one of " + String.join(", ", allowed) + ", got " + value);
    }

    /**
     * TF-slim's MobileNetV2 ImageNet flags, the paper's §6.1: RMSProp (decay 0.9, momentum 0.9, ε 1.0), learning
     * rate 0.045 decayed ×0.98 per epoch, weight decay 4e-5 on regular convolutions, label smoothing 0.1, moving
     * average 0.9999, batch 96, batch-norm decay 0.997, Inception-style crops.
     */
    public static Recipe paper() {
        return new Recipe("paper", "rmsprop", 0.045, "exponential", 0.98, 0, 4e-5, "tf-slim", 0.9, 0.1,
                ExponentialMovingAverage.TF_SLIM_DECAY, 96, 1 - 0.997, "inception", BatchMixing.NONE);
    }

    /**
     * The CIFAR-10 recipe of the public MobileNetV2 results (92.9–94.4 % after 200 epochs): SGD with Nesterov
     * momentum 0.9, learning rate 0.1 annealed by cosine, weight decay 5e-4 on every weight, batch 128,
     * pad-4 random crops and flips, no smoothing, no moving average, PyTorch's batch-norm momentum 0.1.
     */
    public static Recipe cifar() {
        return new Recipe("cifar", "sgd", 0.1, "cosine", 1, 0, 5e-4, "all", 0.9, 0, 0, 128, 0.1, "cifar", BatchMixing.NONE);
    }

    /**
     * Fine-tuning a pretrained network: AdamW at 3e-4 annealed by cosine, decoupled weight decay 0.01 on all but
     * norms and biases, label smoothing 0.1, batch 64, random resized crops from 25 % of the area and flips.
     * Adam's per-parameter step sizes suit the published files, whose norms are folded into the convolutions
     * (no normalisation to even out the layers' scales): SGD at 0.005 wrecked such a network within an epoch.
     */
    public static Recipe finetune() {
        return new Recipe("finetune", "adamw", 3e-4, "cosine", 1, 0, 0.01, "torchvision", 0.9, 0.1, 0, 64, 0.1,
                "finetune", BatchMixing.NONE);
    }

    /** {@code paper}, {@code cifar} or {@code finetune}. */
    public static Recipe named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "paper" -> paper();
            case "cifar" -> cifar();
            case "finetune" -> finetune();
            default -> throw new IllegalArgumentException("recipe must be paper, cifar or finetune, got " + name);
        };
    }

    public Recipe withOptimizer(String value) {
        return new Recipe(name, value, learningRate, schedule, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, labelSmoothing, ema, batch, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withLearningRate(double value) {
        return new Recipe(name, optimizer, value, schedule, decay, warmupEpochs, weightDecay, decayPolicy, momentum,
                labelSmoothing, ema, batch, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withSchedule(String value) {
        return new Recipe(name, optimizer, learningRate, value, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, labelSmoothing, ema, batch, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withWarmupEpochs(double value) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, value, weightDecay, decayPolicy, momentum,
                labelSmoothing, ema, batch, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withWeightDecay(double value) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, warmupEpochs, value, decayPolicy, momentum,
                labelSmoothing, ema, batch, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withLabelSmoothing(double value) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, value, ema, batch, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withEma(double value) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, labelSmoothing, value, batch, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withBatch(int value) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, labelSmoothing, ema, value, batchNormMomentum, augmentation, mixing);
    }

    public Recipe withAugmentation(String value) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, labelSmoothing, ema, batch, batchNormMomentum, value, mixing);
    }

    public Recipe withMixup(double alpha) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, labelSmoothing, ema, batch, batchNormMomentum, augmentation,
                new BatchMixing(alpha, mixing.cutmixAlpha()));
    }

    public Recipe withCutmix(double alpha) {
        return new Recipe(name, optimizer, learningRate, schedule, decay, warmupEpochs, weightDecay, decayPolicy,
                momentum, labelSmoothing, ema, batch, batchNormMomentum, augmentation,
                new BatchMixing(mixing.mixupAlpha(), alpha));
    }

    /** The weight-decay policy at this rate. */
    public WeightDecay weightDecayPolicy() {
        if (weightDecay == 0) {
            return WeightDecay.none();
        }
        return switch (decayPolicy) {
            case "tf-slim" -> WeightDecay.tfSlim(weightDecay);
            case "torchvision" -> WeightDecay.excludingNormsAndBiases(weightDecay);
            default -> WeightDecay.allParameters(weightDecay);
        };
    }

    /** A fresh optimizer of this recipe (its state starts empty). */
    public Optimizer newOptimizer() {
        WeightDecay wd = weightDecayPolicy();
        return switch (optimizer) {
            case "sgd" -> Sgd.builder().momentum(momentum).nesterov(momentum > 0).weightDecay(wd).build();
            case "rmsprop" -> RmsProp.builder().decay(0.9).momentum(momentum).epsilon(1.0).weightDecay(wd).build();
            default -> AdamW.builder().weightDecay(wd).build();
        };
    }

    /** The learning rate by step for a run of {@code epochs} epochs of {@code stepsPerEpoch} steps. */
    public LearningRateSchedule schedule(long stepsPerEpoch, int epochs) {
        long total = Math.max(1, stepsPerEpoch * epochs);
        return switch (schedule) {
            case "exponential" -> LearningRateSchedule.exponentialDecay(learningRate, decay, stepsPerEpoch, true);
            case "cosine" -> LearningRateSchedule.cosine(learningRate, Math.round(warmupEpochs * stepsPerEpoch), 0.1,
                    total, 0);
            case "step" -> LearningRateSchedule.multiStep(learningRate, 0.1, Math.max(1, total / 2),
                    Math.max(2, total * 3 / 4));
            case "onecycle" -> LearningRateSchedule.oneCycle(learningRate, total);
            default -> LearningRateSchedule.constant(learningRate);
        };
    }

    /**
     * The training input for this recipe's augmentation at {@code height} × {@code width}: Inception-style random
     * resized crops (from 8 %, or from 25 % for fine-tuning) and flips, CIFAR's pad-4 random crops and flips, or
     * the whole image resized.
     */
    public Transform trainTransform(int height, int width, PixelScaling scaling) {
        Transform.Builder t = Transform.builder(height, width).scaling(scaling);
        switch (augmentation) {
            case "inception" -> t.randomResizedCrop().horizontalFlip(0.5);
            case "finetune" -> t.randomResizedCrop(0.25, 1, 3.0 / 4, 4.0 / 3).horizontalFlip(0.5);
            case "cifar" -> t.randomCropWithPadding(4).horizontalFlip(0.5);
            default -> t.centralCrop(1.0);
        }
        return t.build();
    }

    /**
     * The central crop evaluation takes after training with this recipe: the whole image after CIFAR's padded
     * crops and without augmentation (what training saw at that scale), ImageNet's 0.875 after random resized
     * crops. Checkpoints carry it ({@link dev.mnv2.load.InputSpec#centralCrop()}) for eval, classify and exports.
     */
    public double evaluationCrop() {
        return switch (augmentation) {
            case "inception", "finetune" -> ImagePreprocessor.DEFAULT_CENTRAL_CROP;
            default -> 1.0;
        };
    }

    /** The loss with this recipe's label smoothing. */
    public SoftmaxCrossEntropy loss() {
        return SoftmaxCrossEntropy.builder().labelSmoothing(labelSmoothing).build();
    }

    /** Every knob as text, for a checkpoint's run options and the summary. */
    public Map<String, String> toMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("recipe", name);
        map.put("optimizer", optimizer);
        map.put("lr", Double.toString(learningRate));
        map.put("schedule", schedule);
        map.put("decay", Double.toString(decay));
        map.put("warmupEpochs", Double.toString(warmupEpochs));
        map.put("weightDecay", Double.toString(weightDecay));
        map.put("decayPolicy", decayPolicy);
        map.put("momentum", Double.toString(momentum));
        map.put("labelSmoothing", Double.toString(labelSmoothing));
        map.put("ema", Double.toString(ema));
        map.put("batch", Integer.toString(batch));
        map.put("batchNormMomentum", Double.toString(batchNormMomentum));
        map.put("augmentation", augmentation);
        map.put("mixup", Double.toString(mixing.mixupAlpha()));
        map.put("cutmix", Double.toString(mixing.cutmixAlpha()));
        return map;
    }

    /** The inverse of {@link #toMap()}. */
    public static Recipe fromMap(Map<String, String> map) {
        try {
            return new Recipe(map.get("recipe"), map.get("optimizer"), Double.parseDouble(map.get("lr")),
                    map.get("schedule"), Double.parseDouble(map.get("decay")),
                    Double.parseDouble(map.get("warmupEpochs")), Double.parseDouble(map.get("weightDecay")),
                    map.get("decayPolicy"), Double.parseDouble(map.get("momentum")),
                    Double.parseDouble(map.get("labelSmoothing")), Double.parseDouble(map.get("ema")),
                    Integer.parseInt(map.get("batch")), Double.parseDouble(map.get("batchNormMomentum")),
                    map.get("augmentation"), new BatchMixing(Double.parseDouble(map.getOrDefault("mixup", "0")),
                    Double.parseDouble(map.getOrDefault("cutmix", "0"))));
        } catch (NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("the recipe entries are incomplete or not numbers: " + map);
        }
    }
}
