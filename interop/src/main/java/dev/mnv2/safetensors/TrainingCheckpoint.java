package dev.mnv2.safetensors;

import dev.mnv2.load.LoadedModel;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.Network;
import dev.mnv2.safetensors.Safetensors.Contents;
import dev.mnv2.safetensors.Safetensors.Entry;
import dev.mnv2.safetensors.Safetensors.TensorInfo;
import dev.mnv2.util.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A training run's state in one safetensors file, so that {@code --resume} continues the run bit for bit:
 * the model exactly as {@link Checkpoint} writes it (so {@link Checkpoint#load}, {@link
 * dev.mnv2.load.Models#load} and every command read the file as that model), the optimizer's state, the
 * moving averages of the weights (optional), the progress, the random generators' state and the run's
 * options.
 *
 * <p>The additions to the model's file, all under the {@value #PREFIX} prefix, which no torchvision key has:
 * <pre>
 * tensor    training.optimizer.&lt;parameter&gt;.&lt;slot&gt;  F32 [n]   {@code Optimizer#state()}, e.g. ...features.0.0.weight.momentum_buffer
 * tensor    training.ema.&lt;parameter&gt;                F32 [n]   {@code ExponentialMovingAverage#averages()}
 * tensor    training.random_state                     I64 [n]   the generators' state, as the trainer packs it
 * metadata  mnv2_training                             "1"       marks a training checkpoint (layout version)
 * metadata  training.step, training.epoch, training.stepInEpoch   decimal integers
 * metadata  training.optimizer                        its name; training.optimizerSettings: a JSON object of strings
 * metadata  training.ema.updates                      the averages' update count (only with averages)
 * metadata  training.options                          the run's options, a JSON object of strings
 * </pre>
 * Parameters are named by their model tensor (torchvision's state-dict key) and slots contain no dot; each
 * optimizer entry has its parameter's number of values or one (a scalar slot), each average exactly its
 * parameter's. Floats are stored as float32 and integers as decimal text or I64, so every value reads back
 * bit for bit. A PyTorch user loading the file with {@code load_state_dict} drops the {@code training.} keys
 * first.
 *
 * <p>Writing refuses (IllegalArgumentException) non-finite values anywhere, weights included, so that a
 * diverged run can never replace its last good checkpoint; the file is written atomically, so a crash
 * mid-write leaves the previous one intact. Reading checks the same rules and reports any break, and a file
 * that holds no training state, as a one-line {@link SafetensorsFormatException}.
 */
public final class TrainingCheckpoint {
    /** Metadata key marking a training checkpoint, with the layout version. */
    public static final String VERSION_KEY = "mnv2_training";
    /** Prefix of every tensor and metadata entry this class adds to the model's file. */
    public static final String PREFIX = "training.";
    private static final String VERSION = "1";
    private static final String OPTIMIZER_TENSORS = PREFIX + "optimizer.";
    private static final String EMA_TENSORS = PREFIX + "ema.";
    private static final String RANDOM_STATE = PREFIX + "random_state";
    private static final String STEP = PREFIX + "step";
    private static final String EPOCH = PREFIX + "epoch";
    private static final String STEP_IN_EPOCH = PREFIX + "stepInEpoch";
    private static final String OPTIMIZER = PREFIX + "optimizer";
    private static final String OPTIMIZER_SETTINGS = PREFIX + "optimizerSettings";
    private static final String EMA_UPDATES = PREFIX + "ema.updates";
    private static final String OPTIONS = PREFIX + "options";

    /**
     * How far the run has come.
     *
     * @param step optimizer steps taken since the run began, ≥ 0
     * @param epoch epochs completed, ≥ 0
     * @param stepInEpoch steps taken in the current epoch, from 0 to {@code step}
     */
    public record Progress(long step, int epoch, int stepInEpoch) {
        public Progress {
            String problem = problem(step, epoch, stepInEpoch);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }

        private static String problem(long step, long epoch, long stepInEpoch) {
            if (step < 0 || epoch < 0 || stepInEpoch < 0) {
                return "step " + step + ", epoch " + epoch + " and step in epoch " + stepInEpoch + " must be >= 0";
            }
            if (stepInEpoch > step) {
                return "step in epoch " + stepInEpoch + " exceeds the run's step " + step;
            }
            return null;
        }
    }

    /**
     * An optimizer's identity and state.
     *
     * @param name the optimizer, e.g. {@code rmsprop}; not blank
     * @param settings its hyper-parameters as text, e.g. {@code decay=0.9}
     * @param state {@code Optimizer#state()}: entries named {@code <parameter>.<slot>}, in its order (the
     *     arrays are held, not copied again: {@code Optimizer#loadState} copies them)
     */
    public record OptimizerState(String name, Map<String, String> settings, Map<String, float[]> state) {
        public OptimizerState {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("optimizer name must not be blank");
            }
            settings = strings(settings);
            state = copy(state);
        }
    }

    /**
     * The exponential moving averages of the weights.
     *
     * @param averages {@code ExponentialMovingAverage#averages()}: one entry per parameter, by name
     * @param updates {@code ExponentialMovingAverage#updates()}, ≥ 0
     */
    public record MovingAverage(Map<String, float[]> averages, long updates) {
        public MovingAverage {
            if (updates < 0) {
                throw new IllegalArgumentException("moving-average update count must be >= 0, got " + updates);
            }
            averages = copy(averages);
        }
    }

    private final LoadedModel model;
    private final Progress progress;
    private final OptimizerState optimizer;
    private final MovingAverage movingAverage;
    private final long[] randomState;
    private final Map<String, String> options;

    private TrainingCheckpoint(LoadedModel model, Progress progress, OptimizerState optimizer,
                               MovingAverage movingAverage, long[] randomState, Map<String, String> options) {
        this.model = model;
        this.progress = progress;
        this.optimizer = optimizer;
        this.movingAverage = movingAverage;
        this.randomState = randomState;
        this.options = options;
    }

    /**
     * A checkpoint of {@code model}, its network holding the trained weights and running statistics. The
     * network is held, not copied (the state maps are copied): save before the next step changes it.
     */
    public static Builder builder(LoadedModel model) {
        return new Builder(model);
    }

    /** The model: trained weights, batch-norm running statistics, labels and input spec. */
    public LoadedModel model() {
        return model;
    }

    public Progress progress() {
        return progress;
    }

    public OptimizerState optimizer() {
        return optimizer;
    }

    /** The moving averages, when the run keeps them. */
    public Optional<MovingAverage> movingAverage() {
        return Optional.ofNullable(movingAverage);
    }

    /** The random generators' state (a copy). */
    public long[] randomState() {
        return randomState.clone();
    }

    /** The run's options (recipe, learning rate, schedule, seed, threads, data path, ...) as given. */
    public Map<String, String> options() {
        return options;
    }

    /** Writes this checkpoint to {@code file} atomically (temporary file in the same folder, fsync, rename). */
    public void save(Path file) throws IOException {
        Safetensors.write(file, metadata(), entries());
    }

    /** The bytes of this checkpoint's file. */
    public byte[] toBytes() {
        return Safetensors.toBytes(metadata(), entries());
    }

    private Map<String, String> metadata() {
        Map<String, String> metadata = Checkpoint.metadata(model);
        metadata.put(VERSION_KEY, VERSION);
        metadata.put(STEP, Long.toString(progress.step()));
        metadata.put(EPOCH, Integer.toString(progress.epoch()));
        metadata.put(STEP_IN_EPOCH, Integer.toString(progress.stepInEpoch()));
        metadata.put(OPTIMIZER, optimizer.name());
        metadata.put(OPTIMIZER_SETTINGS, Json.write(optimizer.settings()));
        if (movingAverage != null) {
            metadata.put(EMA_UPDATES, Long.toString(movingAverage.updates()));
        }
        metadata.put(OPTIONS, Json.write(options));
        return metadata;
    }

    private List<Entry> entries() {
        List<Entry> entries = new ArrayList<>(Checkpoint.stateDict(model.network()));
        optimizer.state().forEach((key, values) ->
                entries.add(Entry.floats(OPTIMIZER_TENSORS + key, new long[] {values.length}, values)));
        if (movingAverage != null) {
            movingAverage.averages().forEach((key, values) ->
                    entries.add(Entry.floats(EMA_TENSORS + key, new long[] {values.length}, values)));
        }
        entries.add(Entry.int64(RANDOM_STATE, new long[] {randomState.length}, randomState));
        return entries;
    }

    /** Reads a training checkpoint; a file without training state is a SafetensorsFormatException. */
    public static TrainingCheckpoint load(Path file) throws IOException {
        Contents contents = Safetensors.read(file);
        try {
            return fromContents(contents);
        } catch (SafetensorsFormatException e) {
            throw new SafetensorsFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the training checkpoint of a parsed safetensors file. */
    public static TrainingCheckpoint fromContents(Contents contents) throws SafetensorsFormatException {
        return Safetensors.guarded(() -> read(contents));
    }

    /** Whether {@code name} is one of this class's tensors, which the model's reader leaves to it. */
    static boolean isTrainingTensor(String name) {
        return name.startsWith(PREFIX);
    }

    /** Whether the file declares training state, so that its training tensors are expected there. */
    static boolean declaresTrainingState(Contents contents) {
        return contents.metadata().containsKey(VERSION_KEY);
    }

    private static TrainingCheckpoint read(Contents contents) throws SafetensorsFormatException {
        Map<String, String> metadata = contents.metadata();
        String version = metadata.get(VERSION_KEY);
        if (version == null) {
            throw new SafetensorsFormatException("the file holds no training state (no " + VERSION_KEY
                    + " metadata): resuming needs a checkpoint written during training");
        }
        if (!version.equals(VERSION)) {
            throw new SafetensorsFormatException(VERSION_KEY + " " + version + " is not a training checkpoint layout"
                    + " this version reads (" + VERSION + ")");
        }
        LoadedModel model = Checkpoint.fromContents(contents);
        long step = parseLong(metadata, STEP);
        long epoch = parseLong(metadata, EPOCH);
        long stepInEpoch = parseLong(metadata, STEP_IN_EPOCH);
        if (epoch > Integer.MAX_VALUE || stepInEpoch > Integer.MAX_VALUE) {
            throw new SafetensorsFormatException("metadata " + EPOCH + " " + epoch + " or " + STEP_IN_EPOCH + " "
                    + stepInEpoch + " is beyond " + Integer.MAX_VALUE);
        }
        String progressProblem = Progress.problem(step, epoch, stepInEpoch);
        if (progressProblem != null) {
            throw new SafetensorsFormatException("metadata " + progressProblem);
        }
        String optimizerName = required(metadata, OPTIMIZER);
        if (optimizerName.isBlank()) {
            throw new SafetensorsFormatException("metadata " + OPTIMIZER + " is blank");
        }
        Map<String, String> settings = stringObject(metadata, OPTIMIZER_SETTINGS);
        Map<String, String> options = stringObject(metadata, OPTIONS);

        Map<String, float[]> slots = new LinkedHashMap<>();
        Map<String, float[]> averages = new LinkedHashMap<>();
        long[] randomState = null;
        Map<String, Long> modelSizes = new LinkedHashMap<>();
        for (TensorInfo t : contents.tensors().values()) {
            String name = t.name();
            if (!isTrainingTensor(name)) {
                if (t.dtype().isFloatingPoint()) {
                    modelSizes.put(name, t.elements());
                }
            } else if (name.equals(RANDOM_STATE)) {
                if (t.dtype() != DType.I64 || t.shape().length != 1) {
                    throw new SafetensorsFormatException("tensor '" + name + "' must be I64 of one dimension, got "
                            + t.dtype() + " " + Arrays.toString(t.shape()));
                }
                randomState = contents.longs(name);
            } else if (name.startsWith(OPTIMIZER_TENSORS)) {
                slots.put(name.substring(OPTIMIZER_TENSORS.length()), vector(contents, t));
            } else if (name.startsWith(EMA_TENSORS)) {
                averages.put(name.substring(EMA_TENSORS.length()), vector(contents, t));
            } else {
                throw new SafetensorsFormatException("unknown training tensor '" + name + "'");
            }
        }
        if (randomState == null) {
            throw new SafetensorsFormatException("tensor '" + RANDOM_STATE + "' is missing");
        }
        MovingAverage movingAverage = null;
        if (metadata.containsKey(EMA_UPDATES)) {
            movingAverage = new MovingAverage(averages, parseLong(metadata, EMA_UPDATES));
        } else if (!averages.isEmpty()) {
            throw new SafetensorsFormatException("the file has moving averages but no " + EMA_UPDATES + " metadata");
        }
        OptimizerState optimizer = new OptimizerState(optimizerName, settings, slots);
        String problem = problem(model.network(), modelSizes, optimizer, movingAverage);
        if (problem != null) {
            throw new SafetensorsFormatException(problem);
        }
        return new TrainingCheckpoint(model, new Progress(step, (int) epoch, (int) stepInEpoch), optimizer,
                movingAverage, randomState, strings(options));
    }

    /** The values of a one-dimensional F32 training tensor: float32 only, so that nothing is rounded. */
    private static float[] vector(Contents contents, TensorInfo t) throws SafetensorsFormatException {
        if (t.dtype() != DType.F32 || t.shape().length != 1) {
            throw new SafetensorsFormatException("tensor '" + t.name() + "' must be F32 of one dimension, got "
                    + t.dtype() + " " + Arrays.toString(t.shape()));
        }
        return contents.floats(t.name());
    }

    /**
     * Why the training state does not fit the model, or null when it does: entries naming no model tensor or
     * of the wrong size, non-finite values in the state or the weights.
     *
     * @param modelSizes the number of values of each floating-point model tensor, by name
     */
    private static String problem(Network network, Map<String, Long> modelSizes, OptimizerState optimizer,
                                  MovingAverage movingAverage) {
        for (Map.Entry<String, float[]> e : optimizer.state().entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            Long size = dot <= 0 ? null : modelSizes.get(key.substring(0, dot));
            String what = "optimizer state entry " + key;
            if (size == null || dot == key.length() - 1) {
                return what + " is not <parameter>.<slot> of a model tensor";
            }
            int length = e.getValue().length;
            if (length != size && length != 1) {
                return what + " has " + length + " values, expected " + size + " (or 1 for a scalar slot)";
            }
            String nonFinite = nonFinite(what, e.getValue());
            if (nonFinite != null) {
                return nonFinite;
            }
        }
        if (movingAverage != null) {
            for (Map.Entry<String, float[]> e : movingAverage.averages().entrySet()) {
                Long size = modelSizes.get(e.getKey());
                String what = "moving average of " + e.getKey();
                if (size == null) {
                    return what + " names no model tensor";
                }
                if (e.getValue().length != size) {
                    return what + " has " + e.getValue().length + " values, expected " + size;
                }
                String nonFinite = nonFinite(what, e.getValue());
                if (nonFinite != null) {
                    return nonFinite;
                }
            }
        }
        return nonFiniteWeight(network);
    }

    private static String nonFiniteWeight(Network network) {
        for (Conv2d conv : network.convolutions()) {
            String problem = nonFinite(conv.name() + " weight", conv.weight());
            if (problem == null && conv.bias() != null) {
                problem = nonFinite(conv.name() + " bias", conv.bias());
            }
            BatchNorm bn = conv.batchNorm();
            if (problem == null && bn != null) {
                problem = firstOf(nonFinite(conv.name() + " batch-norm gamma", bn.gamma()),
                        nonFinite(conv.name() + " batch-norm beta", bn.beta()),
                        nonFinite(conv.name() + " running mean", bn.mean()),
                        nonFinite(conv.name() + " running variance", bn.variance()));
            }
            if (problem != null) {
                return problem;
            }
        }
        Dense dense = network.classifier();
        return firstOf(nonFinite(dense.name() + " weight", dense.weight()), nonFinite(dense.name() + " bias", dense.bias()));
    }

    private static String firstOf(String... problems) {
        for (String p : problems) {
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    private static String nonFinite(String what, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return what + " holds " + values[i] + " at index " + i + ", expected finite values";
            }
        }
        return null;
    }

    private static String required(Map<String, String> metadata, String key) throws SafetensorsFormatException {
        String value = metadata.get(key);
        if (value == null) {
            throw new SafetensorsFormatException("metadata " + key + " is missing");
        }
        return value;
    }

    private static long parseLong(Map<String, String> metadata, String key) throws SafetensorsFormatException {
        String value = required(metadata, key);
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SafetensorsFormatException("metadata " + key + " '" + value + "' is not an integer >= 0");
    }

    private static Map<String, String> stringObject(Map<String, String> metadata, String key)
            throws SafetensorsFormatException {
        String text = required(metadata, key);
        try {
            if (Json.parse(text) instanceof Map<?, ?> map && map.values().stream().allMatch(String.class::isInstance)) {
                Map<String, String> out = new LinkedHashMap<>();
                map.forEach((k, v) -> out.put((String) k, (String) v));
                return out;
            }
        } catch (Json.ParseException e) {
            // reported below, as any other value that is no object of strings
        }
        throw new SafetensorsFormatException("metadata " + key + " is not a JSON object of strings");
    }

    /** An unmodifiable copy in the same order; JSON has no null to write for a missing key or value. */
    private static Map<String, String> strings(Map<String, String> map) {
        Map<String, String> out = new LinkedHashMap<>();
        map.forEach((key, value) -> out.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key)));
        return Collections.unmodifiableMap(out);
    }

    private static Map<String, float[]> copy(Map<String, float[]> arrays) {
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((key, values) -> out.put(Objects.requireNonNull(key, "name"),
                Objects.requireNonNull(values, key).clone()));
        return Collections.unmodifiableMap(out);
    }

    /** What a checkpoint holds beside the model; progress and optimizer are required. */
    public static final class Builder {
        private final LoadedModel model;
        private Progress progress;
        private OptimizerState optimizer;
        private MovingAverage movingAverage;
        private long[] randomState = new long[0];
        private Map<String, String> options = Map.of();

        private Builder(LoadedModel model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        public Builder progress(long step, int epoch, int stepInEpoch) {
            this.progress = new Progress(step, epoch, stepInEpoch);
            return this;
        }

        /** The optimizer's name, hyper-parameters as text and {@code Optimizer#state()}. */
        public Builder optimizer(String name, Map<String, String> settings, Map<String, float[]> state) {
            this.optimizer = new OptimizerState(name, settings, state);
            return this;
        }

        /** {@code ExponentialMovingAverage#averages()} and {@code #updates()}; leave unset without averages. */
        public Builder movingAverage(Map<String, float[]> averages, long updates) {
            this.movingAverage = new MovingAverage(averages, updates);
            return this;
        }

        /** The random generators' state, restored as given (empty unless set). */
        public Builder randomState(long... state) {
            this.randomState = state.clone();
            return this;
        }

        /** The run's options, so that a resumed run is rebuilt as it was started. */
        public Builder options(Map<String, String> options) {
            this.options = strings(options);
            return this;
        }

        /**
         * The checkpoint.
         *
         * @throws IllegalStateException if progress or optimizer is unset
         * @throws IllegalArgumentException naming the first state entry that fits no model tensor, has the
         *     wrong size or holds a non-finite value, or the first non-finite weight
         */
        public TrainingCheckpoint build() {
            if (progress == null || optimizer == null) {
                throw new IllegalStateException("a training checkpoint needs its progress and optimizer state");
            }
            Map<String, Long> sizes = new LinkedHashMap<>();
            for (Entry e : Checkpoint.stateDict(model.network())) {
                if (e.dtype().isFloatingPoint()) {
                    sizes.put(e.name(), (long) (e.data().length / e.dtype().bytes()));
                }
            }
            String problem = problem(model.network(), sizes, optimizer, movingAverage);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            return new TrainingCheckpoint(model, progress, optimizer, movingAverage, randomState, options);
        }
    }
}
