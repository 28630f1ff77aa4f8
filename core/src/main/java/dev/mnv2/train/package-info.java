/**
 * Training pieces that do not depend on the network's structure: {@link dev.mnv2.train.Parameter trainable
 * parameters}, {@link dev.mnv2.train.Optimizer optimizers} (SGD, TensorFlow's RMSProp, AdamW), {@link
 * dev.mnv2.train.WeightDecay weight-decay policies}, {@link dev.mnv2.train.LearningRateSchedule learning-rate
 * schedules}, the {@link dev.mnv2.train.SoftmaxCrossEntropy softmax cross-entropy loss} with label smoothing
 * and an ignore label, an {@link dev.mnv2.train.ExponentialMovingAverage exponential moving average} of the
 * weights and {@link dev.mnv2.train.GradientClipping gradient-norm clipping}.
 *
 * <p>Determinism: every update walks the parameters in the order of the list it is given and each array
 * from index 0 up, on the calling thread; no result depends on hash order. The same inputs give bit-identical
 * results on every run. None of these classes is safe for concurrent use.
 */
package dev.mnv2.train;
