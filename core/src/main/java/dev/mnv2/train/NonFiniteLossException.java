package dev.mnv2.train;

/**
 * A training step met a loss or gradient that is NaN or infinite (a learning rate too high, an image of NaNs);
 * the step made no update, so the weights are those of the last good step.
 */
public final class NonFiniteLossException extends ArithmeticException {
    public NonFiniteLossException(String message) {
        super(message);
    }
}
