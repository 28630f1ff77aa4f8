package dev.mnv2.cli;

import dev.mnv2.image.Classification;
import dev.mnv2.image.ImageClassifier;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.ImageReadException;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.load.Labels;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.zoo.ModelStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mnv2 classify}: top-K labels of photos with a pretrained MobileNetV2 (TFLite, ONNX or safetensors). */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Classify images (JPEG, PNG, BMP) with a pretrained MobileNetV2 and print the top K labels "
                + "with their probabilities. The model is loaded once for all images. A folder stands for its "
                + ".jpg, .jpeg, .png, .bmp and .gif files in name order (not its subfolders).")
final class ClassifyCommand implements Callable<Integer> {
    enum Format { text, json }

    /** Pixel normalisation: the model's own, TensorFlow's [-1, 1], or torchvision's ImageNet mean/std. */
    enum Normalize { auto, tf, imagenet }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME|PATH", defaultValue = ModelStore.DEFAULT_MODEL,
            description = "A .tflite, .onnx or .safetensors file, or a known model name looked up in $MNV2_MODELS, then ~/.cache/mnv2, "
                    + "then downloaded (SHA-256 checked): mobilenet_v2_1.0_224_quant, tf2_mobilenet_v2_1.0_224_ptq. "
                    + "Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "Labels per image. Default: ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Option(names = "--central-crop", paramLabel = "FRACTION",
            description = "Fraction of each side kept around the centre before resizing, as the reference "
                    + "evaluation does; 1 keeps the whole image. Default: the model's own (an mnv2 checkpoint or "
                    + "export states it; 0.875 otherwise).")
    Double centralCrop;

    @Option(names = "--normalize", paramLabel = "auto|tf|imagenet", defaultValue = "auto",
            description = "Pixel scaling: auto (the model file's own: a TFLite file's input quantisation, an mnv2 "
                    + "export's metadata; for other ONNX and safetensors files [-1, 1] for TensorFlow-padded networks "
                    + "and ImageNet mean/std for PyTorch-padded ones, e.g. torchvision checkpoints), tf ([-1, 1]) or "
                    + "imagenet. Default: ${DEFAULT-VALUE}.")
    Normalize normalize;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Label file (one label per line, line i = output i) for models that embed none.")
    Path labels;

    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR",
            description = "Image files, or folders whose images to classify.")
    List<Path> images;

    /** Extensions, compared case-insensitively, of the files a folder argument contributes. */
    static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif");

    @Override
    public Integer call() throws IOException {
        if (top < 1) {
            throw usage("--top must be at least 1, got " + top);
        }
        if (centralCrop != null && !(centralCrop > 0 && centralCrop <= 1)) {
            throw usage("--central-crop must be in (0, 1], got " + centralCrop);
        }
        List<Path> files = expandFolders(images);
        LoadedModel loaded = withLabels(Models.load(model));
        ModelTask.CLASSIFICATION.require(spec.commandLine(), model, loaded);
        PixelScaling scaling = switch (normalize) {
            case auto -> loaded.input().scaling();
            case tf -> PixelScaling.MINUS_ONE_TO_ONE;
            case imagenet -> PixelScaling.IMAGENET;
        };
        ImagePreprocessor preprocessor = ImagePreprocessor.builder(loaded.input().height(), loaded.input().width())
                .centralCrop(centralCrop != null ? centralCrop : loaded.input().centralCrop())
                .scaling(scaling).build();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImageReport report = new ImageReport(out, err, format == Format.json);
        try (ImageClassifier classifier = ImageClassifier.create(loaded.network(), preprocessor, files.size())) {
            for (Path image : files) {
                try {
                    List<Classification> best = classifier.classify(image, top);
                    if (format == Format.json) {
                        report.add(jsonResult(image, best));
                    } else {
                        printText(out, image, best);
                    }
                } catch (ImageReadException e) {
                    report.failed(image, e);
                }
            }
        }
        return report.finish();
    }

    /**
     * The files to classify: every argument as given, except that a folder is replaced by its image files
     * ({@link #IMAGE_EXTENSIONS}) in name order, not looking into subfolders. A folder without any is an error.
     */
    static List<Path> expandFolders(List<Path> arguments) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path argument : arguments) {
            if (!Files.isDirectory(argument)) {
                files.add(argument);
                continue;
            }
            List<Path> found;
            try (Stream<Path> entries = Files.list(argument)) {
                found = entries.filter(f -> Files.isRegularFile(f) && isImageName(f)).sorted().toList();
            } catch (IOException e) {
                throw new IOException(argument + ": cannot list the folder (" + e.getClass().getSimpleName() + ")", e);
            }
            if (found.isEmpty()) {
                throw new IOException(argument + ": no " + String.join(", ", IMAGE_EXTENSIONS) + " files in this folder");
            }
            files.addAll(found);
        }
        return files;
    }

    private static boolean isImageName(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    private LoadedModel withLabels(LoadedModel loaded) throws IOException {
        if (labels == null) {
            return loaded;
        }
        if (!Files.isRegularFile(labels)) {
            throw new IOException("label file not found: " + labels);
        }
        List<String> lines = Labels.read(labels);
        int classes = loaded.network().classes();
        if (lines.size() != classes) {
            throw new IOException(labels + " has " + lines.size() + " labels but the model has " + classes + " classes");
        }
        return loaded.withLabels(lines);
    }

    private static void printText(PrintWriter out, Path image, List<Classification> best) {
        out.println(image);
        for (Classification c : best) {
            out.printf(Locale.ROOT, "  %6.2f%%  %4d  %s%n", 100 * c.score(), c.index(), c.label());
        }
    }

    private static Map<String, Object> jsonResult(Path image, List<Classification> best) {
        List<Object> top = new ArrayList<>();
        for (Classification c : best) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("index", c.index());
            entry.put("label", c.label());
            entry.put("score", Math.round(c.score() * 1e6) / 1e6);
            top.add(entry);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("image", image.toString());
        result.put("top", top);
        return result;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
