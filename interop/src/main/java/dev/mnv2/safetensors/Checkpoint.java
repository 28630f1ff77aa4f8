package dev.mnv2.safetensors;

import dev.mnv2.interop.ArchitectureInference;
import dev.mnv2.interop.TorchLayout;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.Dense;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.safetensors.Safetensors.Contents;
import dev.mnv2.safetensors.Safetensors.Entry;
import dev.mnv2.safetensors.Safetensors.TensorInfo;
import dev.mnv2.util.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MobileNetV2 weights as safetensors with torchvision's {@code mobilenet_v2} state_dict: the same key names
 * ({@code features.0.0.weight}, {@code features.0.1.running_mean}, …, {@code classifier.1.bias}), shapes and
 * layouts (OIHW convolutions, {@code [out][in]} Linear), so that {@code model.load_state_dict(
 * safetensors.torch.load_file(path))} loads a file written here and {@link #load} loads one saved from
 * torchvision. Every BatchNorm2d also gets its {@code num_batches_tracked} (I64, shape {@code []}, written as
 * 0: mnv2 does not count batches), because torchvision's state_dict has it and a strict load requires it.
 *
 * <p>It is mnv2's own checkpoint format too: {@code __metadata__} holds the architecture configuration
 * ({@link MobileNetV2Config#toMap()}) and the class labels as a JSON array under {@code labels}. A file
 * without that metadata is read as torchvision's: width and classes from the shapes, symmetric padding,
 * batch-norm epsilon 1e-5, resolution 224.
 *
 * <p>A network whose batch norms were folded (any TFLite source) is written with identity batch norms
 * ({@link TorchLayout#withBatchNorms}: γ = 1, β = the conv bias, mean 0, variance 1 − ε), so that its file
 * has torchvision's keys too; it then declares torchvision's ε = 1e-5, which torchvision's BatchNorm2d
 * applies whatever the file says, so that those batch norms are the identity there as well as here. Files
 * with a conv {@code bias} per convolution instead of BatchNorm2d entries, as older mnv2 versions wrote
 * them, are still read.
 */
public final class Checkpoint {
    /** Metadata key marking mnv2 checkpoints, with the layout version. */
    public static final String VERSION_KEY = "mnv2_checkpoint";
    public static final String LABELS_KEY = "labels";
    /** The configuration map's entry for the batch-norm epsilon, which a checkpoint may set to its own. */
    private static final String EPSILON_KEY = "batchNormEpsilon";
    private static final float TORCHVISION_EPSILON = 1e-5f;
    private static final int TORCHVISION_RESOLUTION = 224;

    private Checkpoint() {}

    /** Writes {@code network} atomically: weights in torchvision layout, configuration and labels as metadata. */
    public static void save(Network network, Path file) throws IOException {
        Safetensors.write(file, metadata(network), stateDict(network));
    }

    public static byte[] toBytes(Network network) {
        return Safetensors.toBytes(metadata(network), stateDict(network));
    }

    private static Map<String, String> metadata(Network network) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(VERSION_KEY, "1");
        metadata.putAll(network.config().toMap());
        metadata.put(EPSILON_KEY, Float.toString(batchNormEpsilon(network)));
        metadata.put(LABELS_KEY, Json.write(network.labels()));
        return metadata;
    }

    /**
     * The epsilon of the file's batch norms: the network's own, or torchvision's when every batch norm is
     * folded (the network's is then unused, and torchvision's makes the identity batch norms exact there).
     */
    private static float batchNormEpsilon(Network network) {
        boolean anyBatchNorm = network.convolutions().stream().anyMatch(c -> c.batchNorm() != null);
        return anyBatchNorm ? network.config().batchNormEpsilon() : TORCHVISION_EPSILON;
    }

    /** The tensors of torchvision's state_dict for {@code network}, in its order. */
    public static List<Entry> stateDict(Network network) {
        if (!(network.config() instanceof MobileNetV2Config)) {
            throw new IllegalArgumentException("the torchvision layout exists for mobilenet_v2 only, not "
                    + network.config().architecture());
        }
        List<Entry> entries = new ArrayList<>();
        for (Conv2d conv : TorchLayout.withBatchNorms(network, batchNormEpsilon(network)).convolutions()) {
            entries.add(Entry.floats(conv.name() + ".weight", TorchLayout.convWeightShape(conv),
                    TorchLayout.convWeightToOihw(conv)));
            long[] channels = {conv.outChannels()};
            BatchNorm bn = conv.batchNorm();
            String name = TorchLayout.batchNormName(conv.name());
            entries.add(Entry.floats(name + ".weight", channels, bn.gamma()));
            entries.add(Entry.floats(name + ".bias", channels, bn.beta()));
            entries.add(Entry.floats(name + ".running_mean", channels, bn.mean()));
            entries.add(Entry.floats(name + ".running_var", channels, bn.variance()));
            entries.add(Entry.int64(name + ".num_batches_tracked", new long[0], 0L));
        }
        Dense dense = network.classifier();
        entries.add(Entry.floats(dense.name() + ".weight", new long[] {dense.outFeatures(), dense.inFeatures()},
                TorchLayout.denseWeightToOutIn(dense)));
        entries.add(Entry.floats(dense.name() + ".bias", new long[] {dense.outFeatures()}, dense.bias()));
        return entries;
    }

    /** Reads an mnv2 checkpoint or a torchvision mobilenet_v2 state_dict saved as safetensors. */
    public static Network load(Path file) throws IOException {
        Contents contents = Safetensors.read(file);
        try {
            return fromContents(contents);
        } catch (SafetensorsFormatException e) {
            throw new SafetensorsFormatException(file + ": " + e.getMessage(), e);
        }
    }

    public static Network fromContents(Contents contents) throws SafetensorsFormatException {
        return Safetensors.guarded(() -> build(contents));
    }

    private static Network build(Contents contents) throws SafetensorsFormatException {
        MobileNetV2Config config = config(contents);
        Network created = MobileNetV2.create(config);
        Set<String> used = new LinkedHashSet<>();
        Map<String, Conv2d> loaded = new HashMap<>();
        for (Conv2d conv : created.convolutions()) {
            loaded.put(conv.name(), loadConv(contents, conv, config.batchNormEpsilon(), used));
        }
        Dense dense = created.classifier();
        TorchLayout.denseWeightFromOutIn(floats(contents, dense.name() + ".weight",
                new long[] {dense.outFeatures(), dense.inFeatures()}, used), dense);
        System.arraycopy(floats(contents, dense.name() + ".bias", new long[] {dense.outFeatures()}, used), 0,
                dense.bias(), 0, dense.outFeatures());
        for (String name : contents.tensors().keySet()) {
            if (!used.contains(name)) {
                throw new SafetensorsFormatException("unknown tensor '" + name + "' for a " + describe(config));
            }
        }
        Network network = created.mapConvolutions(conv -> loaded.get(conv.name()));
        List<String> labels = labels(contents.metadata());
        try {
            return labels.isEmpty() ? network : network.withLabels(labels);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException("metadata labels: " + e.getMessage());
        }
    }

    private static Conv2d loadConv(Contents contents, Conv2d conv, float epsilon, Set<String> used)
            throws SafetensorsFormatException {
        Conv2d target = Conv2d.zeros(conv.name(), conv.inChannels(), conv.outChannels(), conv.kernel(), conv.stride(),
                conv.dilation(), conv.groups(), conv.padding(), conv.activation(), false);
        TorchLayout.convWeightFromOihw(floats(contents, conv.name() + ".weight", TorchLayout.convWeightShape(conv), used),
                target);
        long[] channels = {conv.outChannels()};
        String biasKey = conv.name() + ".bias";
        float[] bias = contents.tensors().containsKey(biasKey) ? floats(contents, biasKey, channels, used) : null;
        String bn = TorchLayout.batchNormName(conv.name());
        BatchNorm batchNorm = null;
        if (bias == null || contents.tensors().containsKey(bn + ".weight")) {
            batchNorm = new BatchNorm(floats(contents, bn + ".weight", channels, used),
                    floats(contents, bn + ".bias", channels, used),
                    floats(contents, bn + ".running_mean", channels, used),
                    floats(contents, bn + ".running_var", channels, used), epsilon);
            String tracked = bn + ".num_batches_tracked";
            if (contents.tensors().containsKey(tracked)) {
                TensorInfo t = contents.tensor(tracked);
                if (!t.dtype().isInteger() || t.shape().length != 0) {
                    throw new SafetensorsFormatException("tensor '" + tracked + "' must be an integer scalar, got "
                            + t.dtype() + " " + Arrays.toString(t.shape()));
                }
                used.add(tracked);
            }
        }
        return new Conv2d(conv.name(), conv.inChannels(), conv.outChannels(), conv.kernel(), conv.stride(),
                conv.dilation(), conv.groups(), conv.padding(), conv.activation(), target.weight(), bias, batchNorm);
    }

    private static float[] floats(Contents contents, String name, long[] shape, Set<String> used)
            throws SafetensorsFormatException {
        TensorInfo t = contents.tensor(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new SafetensorsFormatException("tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        used.add(name);
        return contents.floats(name);
    }

    private static MobileNetV2Config config(Contents contents) throws SafetensorsFormatException {
        Map<String, String> metadata = contents.metadata();
        String architecture = metadata.get("architecture");
        if (architecture != null) {
            if (!architecture.equals("mobilenet_v2")) {
                throw new SafetensorsFormatException("architecture '" + architecture + "' is not supported (mobilenet_v2 only)");
            }
            MobileNetV2Config config;
            try {
                config = MobileNetV2Config.fromMap(metadata);
            } catch (IllegalArgumentException e) {
                throw new SafetensorsFormatException("bad configuration in metadata: " + e.getMessage());
            }
            String problem = ArchitectureInference.resolutionProblem(config);
            if (problem != null) {
                throw new SafetensorsFormatException("bad configuration in metadata: " + problem);
            }
            problem = ArchitectureInference.sizeMismatch(config, firstDim(contents, "features.0.0.weight"),
                    firstDim(contents, "features.2.conv.0.0.weight"), dim(contents, "classifier.1.weight", 1),
                    firstDim(contents, "classifier.1.weight"));
            if (problem == null) {
                problem = ArchitectureInference.sizeProblem(config, storedValues(contents));
            }
            if (problem != null) {
                throw new SafetensorsFormatException("metadata does not match the tensors: " + problem);
            }
            return config;
        }
        long[] stem = contents.tensor("features.0.0.weight").shape();
        long[] classifier = contents.tensor("classifier.1.weight").shape();
        if (stem.length != 4 || classifier.length != 2 || classifier[0] < 1 || classifier[0] > Integer.MAX_VALUE
                || stem[0] > Integer.MAX_VALUE || classifier[1] > Integer.MAX_VALUE) {
            throw new SafetensorsFormatException("features.0.0.weight " + Arrays.toString(stem) + " and classifier.1.weight "
                    + Arrays.toString(classifier) + " are not a MobileNetV2's stem conv and classifier");
        }
        MobileNetV2.Builder base = MobileNetV2.builder()
                .resolution(TORCHVISION_RESOLUTION)
                .classes((int) classifier[0])
                .padding(Padding.symmetric(1))
                .batchNormEpsilon(TORCHVISION_EPSILON);
        try {
            return ArchitectureInference.width(base, (int) stem[0], (int) classifier[1], storedValues(contents), network -> {
                for (Conv2d conv : network.convolutions()) {
                    TensorInfo t = contents.tensors().get(conv.name() + ".weight");
                    long[] expected = TorchLayout.convWeightShape(conv);
                    if (t == null || !Arrays.equals(t.shape(), expected)) {
                        return conv.name() + ".weight should be " + Arrays.toString(expected)
                                + (t == null ? " but is missing" : " but is " + Arrays.toString(t.shape()));
                    }
                }
                return null;
            });
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(e.getMessage());
        }
    }

    private static long storedValues(Contents contents) {
        return contents.tensors().values().stream()
                .filter(t -> t.dtype().isFloatingPoint()).mapToLong(TensorInfo::elements).sum();
    }

    private static long firstDim(Contents contents, String name) throws SafetensorsFormatException {
        return dim(contents, name, 0);
    }

    private static long dim(Contents contents, String name, int axis) throws SafetensorsFormatException {
        long[] shape = contents.tensor(name).shape();
        if (shape.length <= axis) {
            throw new SafetensorsFormatException("tensor '" + name + "' has shape " + Arrays.toString(shape));
        }
        return shape[axis];
    }

    private static List<String> labels(Map<String, String> metadata) throws SafetensorsFormatException {
        String text = metadata.get(LABELS_KEY);
        if (text == null) {
            return List.of();
        }
        try {
            if (Json.parse(text) instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                return list.stream().map(String.class::cast).toList();
            }
        } catch (Json.ParseException e) {
            // reported below
        }
        throw new SafetensorsFormatException("metadata labels are not a JSON array of strings");
    }

    private static String describe(MobileNetV2Config config) {
        return "mobilenet_v2 of width " + config.width() + " with " + config.classes() + " classes";
    }
}
