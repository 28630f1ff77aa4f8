package dev.mnv2.bench;

/** One inference engine under test, set up for one network, batch size and thread count. */
interface Engine extends AutoCloseable {
    /** Runs the prepared batch once. */
    void run() throws Exception;

    /** Logits of the prepared batch, {@code [batch][classes]}, to check that every engine computes the same. */
    float[][] logits() throws Exception;

    @Override
    void close() throws Exception;
}
