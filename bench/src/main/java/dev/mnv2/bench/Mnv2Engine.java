package dev.mnv2.bench;

import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.model.Network;

/** mnv2 itself: the default (memory-efficient) predictor, writing into a preallocated output. */
final class Mnv2Engine implements Engine {
    private final Predictor predictor;
    private final Tensor input;
    private final Tensor output;

    Mnv2Engine(Network network, Tensor input, int threads) {
        this.predictor = Predictor.builder(network).threads(threads).build();
        this.input = input;
        this.output = Tensor.zeros(input.batch(), predictor.outputShape());
    }

    @Override
    public void run() {
        predictor.forward(input, output);
    }

    @Override
    public float[][] logits() {
        return predictor.logits(input);
    }

    long measuredActivationBytes() {
        return predictor.measuredActivationBytes();
    }

    boolean vectorized() {
        return predictor.vectorized();
    }

    @Override
    public void close() {
        predictor.close();
    }
}
