package dev.mnv2.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.mnv2.exec.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * ONNX Runtime (CPU execution provider) on the ONNX graph mnv2 exports from the same network: all graph
 * optimisations, sequential execution, {@code threads} intra-op threads, the input tensor made once.
 */
final class OrtEngine implements Engine {
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final OnnxTensor input;
    private final Map<String, OnnxTensor> feed;

    OrtEngine(OrtEnvironment env, byte[] onnx, String inputName, Tensor images, int threads) throws OrtException {
        this(env, onnx, inputName, images, sessionOptions(threads));
    }

    private OrtEngine(OrtEnvironment env, byte[] onnx, String inputName, Tensor images, OrtSession.SessionOptions options)
            throws OrtException {
        this.options = options;
        session = env.createSession(onnx, options);
        input = OnnxTensor.createTensor(env, FloatBuffer.wrap(Images.toNchw(images)),
                new long[] {images.batch(), images.shape().channels(), images.shape().height(), images.shape().width()});
        feed = Map.of(inputName, input);
    }

    /**
     * The same engine with ORT's profiler on from session start: every run's per-node kernel times go to a
     * Chrome-trace JSON file named {@code prefix_<date>.json}, whose path {@link #endProfiling()} returns.
     */
    static OrtEngine profiled(OrtEnvironment env, byte[] onnx, String inputName, Tensor images, int threads, Path prefix)
            throws OrtException {
        OrtSession.SessionOptions options = sessionOptions(threads);
        options.enableProfiling(prefix.toString());
        return new OrtEngine(env, onnx, inputName, images, options);
    }

    /** Stops the profiler of a {@link #profiled} engine and returns the trace file's path. */
    Path endProfiling() throws OrtException {
        return Path.of(session.endProfiling());
    }

    /** All graph optimisations, sequential execution, {@code threads} intra-op threads (the caller closes them). */
    static OrtSession.SessionOptions sessionOptions(int threads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return options;
    }

    @Override
    public void run() throws OrtException {
        try (OrtSession.Result result = session.run(feed)) {
            result.get(0);
        }
    }

    @Override
    public float[][] logits() throws OrtException {
        try (OrtSession.Result result = session.run(feed)) {
            return (float[][]) result.get(0).getValue();
        }
    }

    /** The main output of the prepared batch as ORT lays it out (NCHW for a segmentation network), flat. */
    float[] output() throws OrtException {
        try (OrtSession.Result result = session.run(feed)) {
            FloatBuffer buffer = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] values = new float[buffer.remaining()];
            buffer.get(values);
            return values;
        }
    }

    @Override
    public void close() throws OrtException {
        input.close();
        session.close();
        options.close();
    }
}
