package dev.mnv2.bench;

import dev.mnv2.model.Network;
import dev.mnv2.train.LearningRateSchedule;
import dev.mnv2.train.Parameter;
import dev.mnv2.train.Sgd;
import dev.mnv2.train.SoftmaxCrossEntropy;
import dev.mnv2.train.Trainer;
import dev.mnv2.train.WeightDecay;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * mnv2's side of the comparison: its {@link Trainer} set up as {@link TorchTrainer} trains (softmax cross-entropy
 * with label smoothing {@link TrainReferee#LABEL_SMOOTHING}, batch-norm momentum
 * {@link TrainReferee#BATCH_NORM_MOMENTUM} with PyTorch's unbiased running variance, SGD with momentum and weight
 * decay on every trainable tensor as torch.optim.SGD, a constant learning rate), and its tensors by torchvision
 * name in the referee's form (mnv2's layout, widened to double).
 */
final class Mnv2Training {
    private Mnv2Training() {}

    /** A trainer of {@code network} (trained in place) for batches of {@code batch} images. */
    static Trainer trainer(Network network, int batch, int threads, boolean recompute, double learningRate,
                           double momentum, double weightDecay) {
        return Trainer.builder(network).batch(batch).threads(threads).recompute(recompute)
                .loss(SoftmaxCrossEntropy.builder().labelSmoothing(TrainReferee.LABEL_SMOOTHING).build())
                .batchNormMomentum(TrainReferee.BATCH_NORM_MOMENTUM)
                .optimizer(Sgd.builder().momentum(momentum).weightDecay(WeightDecay.allParameters(weightDecay)).build())
                .schedule(LearningRateSchedule.constant(learningRate)).build();
    }

    /** The gradient of every trainable tensor (as the last step left it; SGD does not change gradients). */
    static Map<String, double[]> gradients(List<Parameter> parameters) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            if (p.kind().trainable()) {
                out.put(p.name(), ParameterDiff.widen(p.grad()));
            }
        }
        return out;
    }

    /** The running means and variances now. */
    static Map<String, double[]> runningStatistics(List<Parameter> parameters) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            if (!p.kind().trainable()) {
                out.put(p.name(), ParameterDiff.widen(p.value()));
            }
        }
        return out;
    }

    /** Every trainable tensor and running statistic now, as {@link TorchTrainer#state()} hands them out. */
    static Map<String, double[]> state(List<Parameter> parameters) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            out.put(p.name(), ParameterDiff.widen(p.value()));
        }
        return out;
    }
}
