package dev.mnv2.exec;

import dev.mnv2.model.Network;
import dev.mnv2.model.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a {@link Network} on batches of NHWC float32 images and hands out its output tensors: the network's
 * outputs by default, or any of its tensors chosen with {@link Builder#outputs} (a block's output, its
 * expanded tensor). The plan, its buffers and a pool of threads are made when the predictor is built; a
 * call allocates only its result (none with {@link #forward(Tensor, Tensor)} or {@link #forward(Tensor, List)}).
 *
 * <p>Threads: a batch of at least as many images as threads runs one image per thread; smaller batches split
 * every layer over the threads (row bands, pixel ranges). A classifier's last layer then runs once for the
 * whole batch, one row per image, so its weights are read once per call. A predictor is safe to share:
 * concurrent calls each borrow their own buffers; while one call uses the thread pool, the others run on their
 * calling threads.
 *
 * <p>Kernels: the vector kernels run when the JVM has {@code --add-modules jdk.incubator.vector}, the scalar
 * ones otherwise; both give bit-identical results.
 *
 * <pre>{@code
 * try (Predictor predictor = Predictor.builder(network).threads(4).build()) {
 *     float[][] logits = predictor.logits(images);
 * }
 * try (Predictor taps = Predictor.builder(network).outputs("features.13.conv.0.0", "features.17").build()) {
 *     Map<String, Tensor> features = taps.forwardAll(images);
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    private final Plan plan;
    private final Kernels kernels;
    private final int threads;
    private final Workers workers;
    private final ReentrantLock poolLock = new ReentrantLock();
    /**
     * Frames of the pool holder: frame 0 has scratch for every thread (layers split over threads), frames 1…
     * serve one image each (one image per thread). Calls that find the pool busy borrow {@link #idleFrames}.
     */
    private final Plan.Frame[] poolFrames;
    private final ArrayDeque<Plan.Frame> idleFrames = new ArrayDeque<>();
    private final ImageJob imageJob = new ImageJob();
    private final HeadJob headJob = new HeadJob();
    private final StepJob stepJob = new StepJob();
    private final Shape outputShape;
    private volatile long measuredPeakBytes;

    private Predictor(Builder b) {
        Network network = Objects.requireNonNull(b.network, "network");
        this.plan = Plan.of(network, b.mode, b.outputs == null ? network.outputs() : b.outputs);
        boolean vectorized = b.vectorized != null ? b.vectorized : VectorSupport.AVAILABLE;
        this.kernels = vectorized ? VectorSupport.kernels() : ScalarKernels.INSTANCE;
        this.threads = b.threads;
        this.outputShape = plan.outputShape(0);
        this.workers = threads > 1 ? new Workers(threads, "mnv2-worker") : null;
        this.poolFrames = new Plan.Frame[threads];
    }

    /** The pool holder's frame of {@code worker}, made on first use (by that worker only). */
    private Plan.Frame poolFrame(int worker) {
        Plan.Frame f = poolFrames[worker];
        if (f == null) {
            f = poolFrames[worker] = plan.new Frame(worker == 0 ? threads : 1);
        }
        return f;
    }

    /** A predictor with the defaults: all cores, memory-efficient mode, vector kernels when available. */
    public static Predictor create(Network network) {
        return builder(network).build();
    }

    public static Builder builder(Network network) {
        return new Builder(network);
    }

    /** Options of a {@link Predictor}. */
    public static final class Builder {
        private final Network network;
        private int threads = Runtime.getRuntime().availableProcessors();
        private ExecutionMode mode = ExecutionMode.MEMORY_EFFICIENT;
        /** Null: the vector kernels when available, decided at build so that a scalar choice never loads them. */
        private Boolean vectorized;
        private List<String> outputs;

        private Builder(Network network) {
            this.network = network;
        }

        /**
         * The tensors to hand out, by name (default: the network's outputs): any node's output, a block's
         * expanded tensor (that block then runs layer by layer), or {@link Network#INPUT}.
         */
        public Builder outputs(String... names) {
            for (String name : names) {
                network.shape(name); // fails now, naming the tensor, if there is none
            }
            this.outputs = List.of(names);
            return this;
        }

        /** Threads for one call (default: all available processors). */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        public Builder mode(ExecutionMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Vector kernels (default: when available) or the scalar ones. Asking for vectors without the
         * module fails with instructions.
         */
        public Builder vectorized(boolean vectorized) {
            if (vectorized && !VectorSupport.AVAILABLE) {
                throw new IllegalStateException(
                        "vector kernels need the JVM option --add-modules jdk.incubator.vector");
            }
            this.vectorized = vectorized;
            return this;
        }

        public Predictor build() {
            return new Predictor(this);
        }
    }

    /** True when the vector kernels run, false for the scalar ones. */
    public static boolean vectorAvailable() {
        return VectorSupport.AVAILABLE;
    }

    /** Width in bits of the vector kernels' vectors (512 or 256), 0 when only the scalar kernels run. */
    public static int vectorBits() {
        return VectorSupport.AVAILABLE ? VectorSupport.bits() : 0;
    }

    public boolean vectorized() {
        return kernels != ScalarKernels.INSTANCE;
    }

    public int threads() {
        return threads;
    }

    public Plan plan() {
        return plan;
    }

    public Shape inputShape() {
        return plan.network().input();
    }

    /** Planned activation bytes of one image when its layers are split over all of this predictor's threads. */
    public long plannedActivationBytes() {
        return plan.activationBytes(threads);
    }

    /**
     * The largest activation memory one image's run has actually used so far, in bytes, observed rather than
     * planned: the input plus, for every buffer the executor owns, the extent its kernels have overwritten
     * since it was filled with a NaN marker (see {@link Plan.Frame#measuredBytes()}). 0 before the first call;
     * at most {@link #plannedActivationBytes()}.
     */
    public long measuredActivationBytes() {
        return measuredPeakBytes;
    }

    /** Shape of one image's main output (the first of {@link #outputs()}): {@code 1 × 1 × classes} for a classifier. */
    public Shape outputShape() {
        return outputShape;
    }

    /** Names of the tensors a call hands out, the main output first. */
    public List<String> outputs() {
        return plan.outputs();
    }

    /** Shape of one image's output {@code name}. */
    public Shape outputShape(String name) {
        int i = plan.outputs().indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(name + " is not an output of this predictor: " + plan.outputs());
        }
        return plan.outputShape(i);
    }

    /** The main output (a classifier's logits), shape {@code batch ×} {@link #outputShape()}. */
    public Tensor forward(Tensor input) {
        Tensor out = Tensor.zeros(input.batch(), outputShape());
        forward(input, out);
        return out;
    }

    /** Every output by name, in the order of {@link #outputs()}. */
    public Map<String, Tensor> forwardAll(Tensor input) {
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < plan.outputCount(); i++) {
            outs.add(Tensor.zeros(input.batch(), plan.outputShape(i)));
        }
        forward(input, outs);
        Map<String, Tensor> named = new LinkedHashMap<>();
        for (int i = 0; i < outs.size(); i++) {
            named.put(plan.outputs().get(i), outs.get(i));
        }
        return named;
    }

    /** Writes the main output of {@code input} into {@code output} ({@code batch ×} {@link #outputShape()}). */
    public void forward(Tensor input, Tensor output) {
        checkOutput(input, output, 0);
        run(input, output, null);
    }

    /** Writes every output into {@code outputs}, in the order of {@link #outputs()}. */
    public void forward(Tensor input, List<Tensor> outputs) {
        if (outputs.size() != plan.outputCount()) {
            throw new IllegalArgumentException("expected " + plan.outputCount() + " output tensors "
                    + plan.outputs() + ", got " + outputs.size());
        }
        for (int i = 0; i < outputs.size(); i++) {
            checkOutput(input, outputs.get(i), i);
        }
        run(input, null, outputs);
    }

    private void checkOutput(Tensor input, Tensor output, int index) {
        if (!input.shape().equals(inputShape())) {
            throw new IllegalArgumentException("model expects input " + inputShape() + ", got " + input.shape());
        }
        Shape expected = plan.outputShape(index);
        if (output.batch() != input.batch() || !output.shape().equals(expected)) {
            throw new IllegalArgumentException("output " + plan.outputs().get(index) + " must be " + input.batch()
                    + "x" + expected + ", got " + output.batch() + "x" + output.shape());
        }
    }

    /** Runs the batch; {@code main} receives output 0 alone, or {@code all} every output. */
    private void run(Tensor input, Tensor main, List<Tensor> all) {
        if (workers != null && poolLock.tryLock()) {
            try {
                runPooled(input, main, all);
            } finally {
                poolLock.unlock();
            }
            return;
        }
        Plan.Frame frame = borrowFrame();
        try {
            Tensor headOutput = headOutput(input, main, all);
            float[] headRows = headOutput != null ? frame.headRows(input.batch()) : null;
            for (int n = 0; n < input.batch(); n++) {
                runImage(frame, 0, input, main, all, n, headRows);
            }
            if (headRows != null) {
                plan.batchedHead().runRows(kernels, headRows, input.batch(), headOutput.data(), 0, 1);
            }
        } finally {
            returnFrame(frame);
        }
    }

    /**
     * Where a batch's {@linkplain Plan#batchedHead() classifier} writes when it runs once for the whole batch,
     * or null when every image runs every step.
     */
    private Tensor headOutput(Tensor input, Tensor main, List<Tensor> all) {
        if (plan.batchedHead() == null || input.batch() < 2) {
            return null;
        }
        return main != null ? main : all.get(0);
    }

    private void runPooled(Tensor input, Tensor main, List<Tensor> all) {
        int batch = input.batch();
        int oneEach = batch >= threads ? batch / threads * threads : 0;
        Tensor headOutput = headOutput(input, main, all);
        Plan.Frame frame = poolFrame(0);
        // The image frames' workers write their rows into frame 0's, made before they start.
        float[] headRows = headOutput != null ? frame.headRows(batch) : null;
        if (oneEach > 0) {
            imageJob.set(input, main, all, headRows);
            workers.run(imageJob, oneEach);
            imageJob.set(null, null, null, null);
        }
        List<Plan.Step> steps = plan.steps();
        int perImage = headRows != null ? steps.size() - 1 : steps.size();
        for (int n = oneEach; n < batch; n++) {
            frame.bindInput(input.data(), n * input.imageSize());
            for (int i = 0; i < perImage; i++) { // indexed: no iterator per image on the hot path
                Plan.Step step = steps.get(i);
                stepJob.set(step, frame);
                workers.run(stepJob, step.parts(threads));
            }
            stepJob.set(null, null);
            finishImage(frame, main, all, n, headRows);
        }
        if (headRows != null) {
            headJob.set(headRows, batch, headOutput.data());
            workers.run(headJob, plan.batchedHead().parts(threads));
            headJob.set(null, 0, null);
        }
    }

    /**
     * Runs image {@code n}: every step, or when {@code headRows} is non-null all but the batched classifier,
     * whose input it then keeps in row {@code n} of {@code headRows}.
     */
    private void runImage(Plan.Frame frame, int scratch, Tensor input, Tensor main, List<Tensor> all, int n,
                          float[] headRows) {
        frame.bindInput(input.data(), n * input.imageSize());
        Plan.Scratch s = frame.scratch[scratch];
        List<Plan.Step> steps = plan.steps();
        int perImage = headRows != null ? steps.size() - 1 : steps.size();
        for (int i = 0; i < perImage; i++) { // indexed: no iterator per image on the hot path
            steps.get(i).run(kernels, frame, s, 0, 1);
        }
        finishImage(frame, main, all, n, headRows);
    }

    /** Copies image {@code n}'s outputs, or only its classifier input into {@code headRows} when that is non-null. */
    private void finishImage(Plan.Frame frame, Tensor main, List<Tensor> all, int n, float[] headRows) {
        if (headRows != null) {
            frame.keepHeadInput(n, headRows);
        } else if (all == null) {
            copyOutput(frame, 0, main, n);
        } else {
            for (int i = 0; i < all.size(); i++) {
                copyOutput(frame, i, all.get(i), n);
            }
        }
        frame.bindInput(null, 0);
        long bytes = frame.measuredBytes();
        if (bytes > measuredPeakBytes) {
            synchronized (this) {
                measuredPeakBytes = Math.max(measuredPeakBytes, bytes);
            }
        }
    }

    private void copyOutput(Plan.Frame frame, int index, Tensor output, int n) {
        int floats = plan.outputFloats(index);
        System.arraycopy(frame.output(index), frame.outputOffset(index), output.data(), n * floats, floats);
    }

    private Plan.Frame borrowFrame() {
        synchronized (idleFrames) {
            Plan.Frame f = idleFrames.poll();
            if (f != null) return f;
        }
        return plan.new Frame(1);
    }

    private void returnFrame(Plan.Frame frame) {
        synchronized (idleFrames) {
            idleFrames.push(frame);
        }
    }

    /** Whole images, one per part, each worker on its own frame. */
    private final class ImageJob implements Workers.Job {
        private Tensor input;
        private Tensor main;
        private List<Tensor> all;
        private float[] headRows;

        void set(Tensor input, Tensor main, List<Tensor> all, float[] headRows) {
            this.input = input;
            this.main = main;
            this.all = all;
            this.headRows = headRows;
        }

        @Override
        public void run(int worker, int part) {
            runImage(poolFrame(worker), 0, input, main, all, part, headRows);
        }
    }

    /** The batched classifier over every image's features, split over the workers by output channels. */
    private final class HeadJob implements Workers.Job {
        private float[] rows;
        private int batch;
        private float[] out;

        void set(float[] rows, int batch, float[] out) {
            this.rows = rows;
            this.batch = batch;
            this.out = out;
        }

        @Override
        public void run(int worker, int part) {
            Plan.PointwiseStep head = plan.batchedHead();
            head.runRows(kernels, rows, batch, out, part, head.parts(threads));
        }
    }

    /** One step of one image, split over the workers, each with its own scratch. */
    private final class StepJob implements Workers.Job {
        private Plan.Step step;
        private Plan.Frame frame;

        void set(Plan.Step step, Plan.Frame frame) {
            this.step = step;
            this.frame = frame;
        }

        @Override
        public void run(int worker, int part) {
            step.run(kernels, frame, frame.scratch[worker], part, step.parts(threads));
        }
    }

    /** Time spent in one step of the plan: a layer, or a whole block in memory-efficient mode. */
    public record LayerTime(String layer, long macs, double medianMs) {
        /** Achieved GFLOP/s (2 flops per multiply-accumulate). */
        public double gflops() {
            return medianMs > 0 ? 2.0 * macs / (medianMs * 1e6) : 0;
        }
    }

    /**
     * Per-step latency of image 0 of {@code input}, on the calling thread alone: {@code warmup} untimed runs,
     * then the median of {@code iterations} timed ones for every step.
     */
    public List<LayerTime> profile(Tensor input, int warmup, int iterations) {
        if (!input.shape().equals(inputShape())) {
            throw new IllegalArgumentException("model expects input " + inputShape() + ", got " + input.shape());
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        List<Plan.Step> steps = plan.steps();
        double[][] ms = new double[steps.size()][iterations];
        Plan.Frame frame = borrowFrame();
        try {
            frame.bindInput(input.data(), 0);
            for (int run = 0; run < warmup + iterations; run++) {
                for (int i = 0; i < steps.size(); i++) {
                    long start = System.nanoTime();
                    steps.get(i).run(kernels, frame, frame.scratch[0], 0, 1);
                    if (run >= warmup) {
                        ms[i][run - warmup] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
            frame.bindInput(null, 0);
        } finally {
            returnFrame(frame);
        }
        List<LayerTime> times = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Arrays.sort(ms[i]);
            times.add(new LayerTime(steps.get(i).name, steps.get(i).macs, ms[i][iterations / 2]));
        }
        return times;
    }

    /** The main output per image, flattened: a classifier's logits {@code [batch][classes]}. */
    public float[][] logits(Tensor input) {
        Tensor out = forward(input);
        float[][] rows = new float[input.batch()][];
        for (int n = 0; n < rows.length; n++) {
            rows[n] = out.image(n);
        }
        return rows;
    }

    /** Stops the worker threads. */
    @Override
    public void close() {
        if (workers != null) {
            workers.close();
        }
    }
}
