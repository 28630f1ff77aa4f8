package dev.mnv2.exec;

import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.util.Objects;

/**
 * Runs a {@link Network} on batches of NHWC float32 images. The plan and its buffers are made once, when
 * the predictor is created; a call allocates only its result. Calls from several threads are serialised.
 *
 * <pre>{@code
 * try (Predictor predictor = Predictor.create(network)) {
 *     float[][] probabilities = predictor.probabilities(images);
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    private final Plan plan;
    private final Plan.Workspace workspace;

    private Predictor(Network network) {
        this.plan = Plan.of(Objects.requireNonNull(network, "network"));
        this.workspace = plan.newWorkspace();
    }

    public static Predictor create(Network network) {
        return new Predictor(network);
    }

    public Plan plan() {
        return plan;
    }

    public Shape inputShape() {
        return plan.network().input();
    }

    /** Logits, shape {@code batch × 1 × 1 × classes}. */
    public synchronized Tensor forward(Tensor input) {
        if (!input.shape().equals(inputShape())) {
            throw new IllegalArgumentException("model expects input " + inputShape() + ", got " + input.shape());
        }
        int classes = plan.network().classes();
        Tensor out = Tensor.zeros(input.batch(), new Shape(1, 1, classes));
        for (int n = 0; n < input.batch(); n++) {
            plan.run(workspace, input.data(), n * input.imageSize(), out.data(), n * classes);
        }
        return out;
    }

    /** Logits per image: {@code [batch][classes]}. */
    public float[][] logits(Tensor input) {
        Tensor out = forward(input);
        int classes = out.shape().channels();
        float[][] rows = new float[input.batch()][];
        for (int n = 0; n < rows.length; n++) {
            rows[n] = out.image(n);
        }
        return rows;
    }

    /** Softmax probabilities per image: {@code [batch][classes]}. */
    public float[][] probabilities(Tensor input) {
        float[][] rows = logits(input);
        for (float[] row : rows) {
            Kernels.softmax(row, 0, row.length);
        }
        return rows;
    }

    @Override
    public void close() {
        // Nothing native is held yet; multi-threaded executors will release their threads here.
    }
}
