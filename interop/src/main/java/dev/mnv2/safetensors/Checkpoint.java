package dev.mnv2.safetensors;

import dev.mnv2.interop.TorchLayout;
import dev.mnv2.load.ArchitectureFit;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.ModelMetadata;
import dev.mnv2.load.WeightLayout;
import dev.mnv2.model.BatchNorm;
import dev.mnv2.model.Conv2d;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Dense;
import dev.mnv2.model.DenseSpec;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.MobileNetV2Config;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkSpec;
import dev.mnv2.model.Padding;
import dev.mnv2.safetensors.Safetensors.Contents;
import dev.mnv2.safetensors.Safetensors.Entry;
import dev.mnv2.safetensors.Safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>It is mnv2's own checkpoint format too: {@code __metadata__} holds the model's {@link ModelMetadata}
 * (architecture configuration, task, pixel scaling, class labels as a JSON array under {@code labels}). A
 * file without that metadata is read as torchvision's: width and classes from the shapes, symmetric
 * padding, batch-norm epsilon 1e-5, resolution 224, ImageNet's pixel mean and deviation. Shapes cannot tell
 * the CIFAR variant's strides from ImageNet's, so such a file is read as the ImageNet variant.
 *
 * <p>A {@link TrainingCheckpoint} is this file with the training state added under the {@code training.}
 * prefix; {@link #load} reads its model and leaves those entries to it, and refuses them in a file that does
 * not declare training state.
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
    /** The configuration map's entry for the batch-norm epsilon, which a checkpoint may set to its own. */
    private static final String EPSILON_KEY = "batchNormEpsilon";
    private static final float TORCHVISION_EPSILON = 1e-5f;
    private static final int TORCHVISION_RESOLUTION = 224;

    private Checkpoint() {}

    /** Writes {@code model} atomically: weights in torchvision layout, its {@link ModelMetadata} as metadata. */
    public static void save(LoadedModel model, Path file) throws IOException {
        Safetensors.write(file, metadata(model), stateDict(model.network()));
    }

    /** Writes {@code network} atomically, with the input spec of {@link LoadedModel#of}. */
    public static void save(Network network, Path file) throws IOException {
        save(LoadedModel.of(network), file);
    }

    /** The bytes of the checkpoint of {@code model}. */
    public static byte[] toBytes(LoadedModel model) {
        return Safetensors.toBytes(metadata(model), stateDict(model.network()));
    }

    /** The bytes of the checkpoint of {@code network}, with the input spec of {@link LoadedModel#of}. */
    public static byte[] toBytes(Network network) {
        return toBytes(LoadedModel.of(network));
    }

    /** The metadata of {@code model}'s checkpoint (a mutable map, which {@link TrainingCheckpoint} extends). */
    static Map<String, String> metadata(LoadedModel model) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(VERSION_KEY, "1");
        metadata.putAll(ModelMetadata.of(model));
        metadata.put(EPSILON_KEY, Float.toString(batchNormEpsilon(model.network())));
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
            entries.add(Entry.floats(conv.name() + ".weight", TorchLayout.convWeightShape(conv.spec()),
                    WeightLayout.OIHW.weightOf(conv)));
            long[] channels = {conv.outChannels()};
            BatchNorm bn = conv.batchNorm();
            String name = ConvSpec.batchNormName(conv.name());
            entries.add(Entry.floats(name + ".weight", channels, bn.gamma()));
            entries.add(Entry.floats(name + ".bias", channels, bn.beta()));
            entries.add(Entry.floats(name + ".running_mean", channels, bn.mean()));
            entries.add(Entry.floats(name + ".running_var", channels, bn.variance()));
            entries.add(Entry.int64(name + ".num_batches_tracked", new long[0], 0L));
        }
        Dense dense = network.classifier();
        entries.add(Entry.floats(dense.name() + ".weight", new long[] {dense.outFeatures(), dense.inFeatures()},
                WeightLayout.OIHW.weightOf(dense)));
        entries.add(Entry.floats(dense.name() + ".bias", new long[] {dense.outFeatures()}, dense.bias()));
        return entries;
    }

    /** Reads an mnv2 checkpoint or a torchvision mobilenet_v2 state_dict saved as safetensors. */
    public static LoadedModel load(Path file) throws IOException {
        Contents contents = Safetensors.read(file);
        try {
            return fromContents(contents);
        } catch (SafetensorsFormatException e) {
            throw new SafetensorsFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the model of a parsed safetensors file. */
    public static LoadedModel fromContents(Contents contents) throws SafetensorsFormatException {
        return Safetensors.guarded(() -> build(contents));
    }

    private static LoadedModel build(Contents contents) throws SafetensorsFormatException {
        MobileNetV2Config config = config(contents);
        Set<String> used = new LinkedHashSet<>();
        Network network = config.spec().create(new NetworkSpec.Parameters<SafetensorsFormatException>() {
            @Override
            public Conv2d conv(ConvSpec conv) throws SafetensorsFormatException {
                return loadConv(contents, conv, config.batchNormEpsilon(), used);
            }

            @Override
            public Dense dense(DenseSpec dense) throws SafetensorsFormatException {
                return WeightLayout.OIHW.dense(dense, floats(contents, dense.name() + ".weight",
                        new long[] {dense.outFeatures(), dense.inFeatures()}, used),
                        floats(contents, dense.name() + ".bias", new long[] {dense.outFeatures()}, used));
            }
        });
        // A training checkpoint's own tensors are TrainingCheckpoint's to check; anywhere else they are unknown.
        boolean training = TrainingCheckpoint.declaresTrainingState(contents);
        for (String name : contents.tensors().keySet()) {
            if (!used.contains(name) && !(training && TrainingCheckpoint.isTrainingTensor(name))) {
                throw new SafetensorsFormatException("unknown tensor '" + name + "' for a " + describe(config));
            }
        }
        try {
            return ModelMetadata.read(network, contents.metadata());
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(e.getMessage());
        }
    }

    private static Conv2d loadConv(Contents contents, ConvSpec conv, float epsilon, Set<String> used)
            throws SafetensorsFormatException {
        float[] weight = floats(contents, conv.name() + ".weight", TorchLayout.convWeightShape(conv), used);
        long[] channels = {conv.outChannels()};
        String biasKey = conv.name() + ".bias";
        float[] bias = contents.tensors().containsKey(biasKey) ? floats(contents, biasKey, channels, used) : null;
        String bn = ConvSpec.batchNormName(conv.name());
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
        return WeightLayout.OIHW.conv(conv, weight, bias, batchNorm);
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
            String problem = ArchitectureFit.problem(config, storedValues(contents), spec -> shapeMismatch(contents, spec));
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
        // The stored channels in the order of the network's convolutions, found by their torchvision names.
        int[] channels = base.width(1.0).config().spec().convolutions().stream().mapToInt(conv -> {
            TensorInfo t = contents.tensors().get(conv.name() + ".weight");
            return t == null || t.shape().length == 0 ? 0 : (int) Math.min(t.shape()[0], Integer.MAX_VALUE);
        }).toArray();
        try {
            return ArchitectureFit.width(alpha -> base.width(alpha).config(), channels, storedValues(contents),
                    spec -> shapeMismatch(contents, spec));
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(e.getMessage());
        }
    }

    /** Why the file's convolution weights do not have the shapes of {@code spec}'s, or null when they do. */
    private static String shapeMismatch(Contents contents, NetworkSpec spec) {
        for (ConvSpec conv : spec.convolutions()) {
            TensorInfo t = contents.tensors().get(conv.name() + ".weight");
            long[] expected = TorchLayout.convWeightShape(conv);
            if (t == null || !Arrays.equals(t.shape(), expected)) {
                return conv.name() + ".weight should be " + Arrays.toString(expected)
                        + (t == null ? " but is missing" : " but is " + Arrays.toString(t.shape()));
            }
        }
        return null;
    }

    /** The floating-point values of the model's tensors: a training checkpoint's optimizer state is no weight. */
    private static long storedValues(Contents contents) {
        return contents.tensors().values().stream()
                .filter(t -> t.dtype().isFloatingPoint() && !TrainingCheckpoint.isTrainingTensor(t.name()))
                .mapToLong(TensorInfo::elements).sum();
    }

    private static String describe(MobileNetV2Config config) {
        return "mobilenet_v2 of width " + config.width() + " with " + config.classes() + " classes";
    }
}
