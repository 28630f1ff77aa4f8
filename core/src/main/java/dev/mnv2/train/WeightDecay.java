package dev.mnv2.train;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Which parameters get weight decay, and how much. The optimizer decides how it is applied: {@link Sgd} and
 * {@link RmsProp} add {@code rate · w} to the gradient before their update (L2 regularisation, PyTorch's
 * {@code weight_decay}), {@link AdamW} shrinks the weights by {@code lr · rate · w} apart from the gradient
 * (decoupled decay).
 *
 * <p>The two published MobileNetV2 recipes differ in what they decay:
 * <ul>
 *   <li>{@link #tfSlim(double)}: TF-slim's {@code mobilenet_v2.training_scope} puts
 *       {@code slim.l2_regularizer(4e-5)} on every {@code slim.conv2d} and none on {@code separable_conv2d}
 *       (the depthwise convolutions), batch norm or biases. The classifier is a 1×1 {@code slim.conv2d} there,
 *       so it is decayed too: here that is {@link ParameterKind#DENSE_WEIGHT}. The regulariser adds
 *       {@code rate · Σw²/2} ({@code tf.nn.l2_loss} halves) to the loss, whose gradient is {@code rate · w}:
 *       the same coupled term PyTorch's {@code weight_decay=rate} adds, so the rate means the same number in
 *       both recipes.</li>
 *   <li>{@link #allParameters(double)}: torchvision's reference {@code train.py}, as its MobileNetV2 recipe
 *       ran it ({@code --wd 0.00004} and no {@code --norm-weight-decay} or {@code --bias-weight-decay}), gives
 *       every parameter the same decay, batch norm and biases included.</li>
 *   <li>{@link #excludingNormsAndBiases(double)}: that script with {@code --norm-weight-decay 0
 *       --bias-weight-decay 0}, the usual modern choice: all convolution (depthwise included) and dense
 *       weights, no batch-norm parameters or biases.</li>
 * </ul>
 * {@link ParameterKind#NORM_STATISTIC} is never decayed (it is not trained).
 *
 * @param rate the decay coefficient, finite and ≥ 0
 * @param kinds the kinds of parameter decayed (trainable kinds only)
 */
public record WeightDecay(double rate, Set<ParameterKind> kinds) {
    public WeightDecay {
        Checks.requireNonNegative("weight decay", rate);
        Objects.requireNonNull(kinds, "kinds");
        EnumSet<ParameterKind> copy = kinds.isEmpty() ? EnumSet.noneOf(ParameterKind.class) : EnumSet.copyOf(kinds);
        for (ParameterKind kind : copy) {
            if (!kind.trainable()) {
                throw new IllegalArgumentException("weight decay cannot apply to " + kind + ", which is not trained");
            }
        }
        kinds = Collections.unmodifiableSet(copy);
    }

    /** No decay at all. */
    public static WeightDecay none() {
        return new WeightDecay(0, EnumSet.noneOf(ParameterKind.class));
    }

    /** TF-slim's: regular convolution and classifier weights only (not depthwise, batch norm or biases). */
    public static WeightDecay tfSlim(double rate) {
        return new WeightDecay(rate, EnumSet.of(ParameterKind.CONV_WEIGHT, ParameterKind.DENSE_WEIGHT));
    }

    /** torchvision's reference script by default: every trained parameter. */
    public static WeightDecay allParameters(double rate) {
        EnumSet<ParameterKind> kinds = EnumSet.noneOf(ParameterKind.class);
        for (ParameterKind kind : ParameterKind.values()) {
            if (kind.trainable()) {
                kinds.add(kind);
            }
        }
        return new WeightDecay(rate, kinds);
    }

    /** All convolution (depthwise included) and dense weights; no batch-norm parameters or biases. */
    public static WeightDecay excludingNormsAndBiases(double rate) {
        return new WeightDecay(rate, EnumSet.of(ParameterKind.CONV_WEIGHT, ParameterKind.DEPTHWISE_WEIGHT,
                ParameterKind.DENSE_WEIGHT));
    }

    /** The decay coefficient for {@code parameter}: {@link #rate()} if its kind is selected, else 0. */
    public double rateFor(Parameter parameter) {
        return kinds.contains(parameter.kind()) ? rate : 0;
    }
}
