package dev.mnv2.cli;

import dev.mnv2.analysis.LayerCost;
import dev.mnv2.analysis.ModelSummary;
import dev.mnv2.analysis.Table3Row;
import dev.mnv2.load.Models;
import dev.mnv2.model.Activation;
import dev.mnv2.model.DeepLabV3;
import dev.mnv2.model.DeepLabV3Config;
import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.NetworkBuilder;
import dev.mnv2.model.NetworkConfig;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.model.Shortcut;
import dev.mnv2.util.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mnv2 summary}: per-layer cost table, totals and the paper's Table 3 memory view, of a model file or
 * computed from the architecture alone, so any size answers at once without building weights.
 */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print the architecture with per-layer parameters and multiply-accumulates, "
                + "totals, the paper's Table 3 memory view and this engine's planned peak activation memory, "
                + "of a model (--model) or of the architecture the other options describe (no weights are built).")
final class SummaryCommand implements Callable<Integer> {
    enum Arch { v2, v1 }

    /** The network to describe: Table 2's classifier, or Mobile DeepLabv3 on the same backbone. */
    enum Task { classification, segmentation }

    enum Format { table, json, markdown }

    enum Bottleneck {
        linear(Activation.IDENTITY), relu6(Activation.RELU6);

        final Activation activation;

        Bottleneck(Activation activation) {
            this.activation = activation;
        }
    }

    enum ShortcutOption {
        bottleneck(Shortcut.BOTTLENECK), expansion(Shortcut.EXPANSION), none(Shortcut.NONE);

        final Shortcut shortcut;

        ShortcutOption(Shortcut shortcut) {
            this.shortcut = shortcut;
        }
    }

    enum PaddingOption {
        same(Padding.same()), symmetric(Padding.symmetric(1));

        final Padding padding;

        PaddingOption(Padding padding) {
            this.padding = padding;
        }
    }

    /** The options that describe an architecture, which a model file already does. */
    private static final List<String> ARCHITECTURE_OPTIONS = List.of("--task", "--output-stride", "--arch", "--width",
            "--resolution", "--classes", "--expansion", "--bottleneck", "--shortcut", "--padding");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME|PATH",
            description = "Summarise this model (a .tflite, .onnx or .safetensors file or a known name, found as "
                    + "classify finds it) instead of an architecture; takes none of the architecture options.")
    String model;

    @Option(names = "--task", paramLabel = "classification|segmentation", defaultValue = "classification",
            description = "classification (Table 2's MobileNetV2) or segmentation (Mobile DeepLabv3 head on the "
                    + "backbone, paper §6.3). Default: ${DEFAULT-VALUE}.")
    Task task;

    @Option(names = "--output-stride", paramLabel = "16|8", converter = ArchitectureLimits.OutputStride.class,
            description = "Segmentation only: input size over the feature map's, 16 (33x33 at 513) or 8 (65x65, "
                    + "the later depthwise convolutions dilated instead of strided). Default: 16.")
    Integer outputStride;

    @Option(names = "--arch", paramLabel = "v2|v1", defaultValue = "v2",
            description = "v2 (MobileNetV2) or v1 (MobileNetV1). Default: ${DEFAULT-VALUE}.")
    Arch arch;

    @Option(names = "--width", paramLabel = "W", defaultValue = "1.0", converter = ArchitectureLimits.Width.class,
            description = "Width multiplier α, > 0 and at most 100. Default: ${DEFAULT-VALUE}.")
    double width;

    @Option(names = "--resolution", paramLabel = "R|HxW", converter = ArchitectureLimits.Resolution.class,
            description = "Input resolution, every side from 32 to 16384: 224 or 160x128. "
                    + "Default: 224, 513 for segmentation.")
    ArchitectureLimits.InputSize resolution;

    @Option(names = "--classes", paramLabel = "N", converter = ArchitectureLimits.Classes.class,
            description = "Number of classes, 1 to 1000000. Default: 1000, 21 for segmentation.")
    Integer classes;

    @Option(names = "--expansion", paramLabel = "T", defaultValue = "0", converter = ArchitectureLimits.Expansion.class,
            description = "Expansion factor t, up to 100, replacing Table 2's 6 (v2 only); 0 keeps Table 2.")
    int expansion;

    @Option(names = "--bottleneck", paramLabel = "linear|relu6", defaultValue = "linear",
            description = "Activation after each block's projection (v2 only; paper Fig. 6a). Default: ${DEFAULT-VALUE}.")
    Bottleneck bottleneck;

    @Option(names = "--shortcut", paramLabel = "bottleneck|expansion|none", defaultValue = "bottleneck",
            description = "Residual placement (v2 only; paper Fig. 6b). Default: ${DEFAULT-VALUE}.")
    ShortcutOption shortcut;

    @Option(names = "--padding", paramLabel = "same|symmetric", defaultValue = "same",
            description = "same (TensorFlow) or symmetric (PyTorch). Default: ${DEFAULT-VALUE}.")
    PaddingOption padding;

    @Option(names = "--format", paramLabel = "table|json|markdown", defaultValue = "table",
            description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Override
    public Integer call() throws IOException {
        ModelSummary summary = model != null ? ModelSummary.of(loadModel()) : ModelSummary.of(config());
        PrintWriter out = spec.commandLine().getOut();
        switch (format) {
            case json -> out.println(Json.write(toJson(summary)));
            case table -> out.print(render(summary, false));
            case markdown -> out.print(render(summary, true));
        }
        out.flush();
        return 0;
    }

    private Network loadModel() throws IOException {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        List<String> given = ARCHITECTURE_OPTIONS.stream().filter(parsed::hasMatchedOption).toList();
        if (!given.isEmpty()) {
            throw usage("--model describes its own architecture; drop " + String.join(", ", given));
        }
        return Models.load(model).network();
    }

    private NetworkConfig config() {
        if (task == Task.segmentation) {
            return segmentationConfig();
        }
        if (outputStride != null) {
            throw usage("--output-stride applies to --task segmentation only");
        }
        if (arch == Arch.v1) {
            if (bottleneck != Bottleneck.linear || shortcut != ShortcutOption.bottleneck || expansion != 0) {
                throw usage("--bottleneck, --shortcut and --expansion apply to --arch v2 only");
            }
            return shared(MobileNetV1.builder()).config();
        }
        return shared(MobileNetV2.builder()).expansion(expansion).bottleneck(bottleneck.activation)
                .shortcut(shortcut.shortcut).config();
    }

    /** The options every architecture takes; resolution and classes left out keep the builder's defaults. */
    private <B extends NetworkBuilder<B>> B shared(B builder) {
        builder.width(width).padding(padding.padding);
        if (resolution != null) {
            builder.resolution(resolution.height(), resolution.width());
        }
        if (classes != null) {
            builder.classes(classes);
        }
        return builder;
    }

    /**
     * Mobile DeepLabv3 as {@link DeepLabV3} builds it (Table 7's "no ASPP, no MF" head) on Table 2's backbone,
     * by default as published: 513×513, output stride 16, PASCAL VOC's 21 classes.
     */
    private NetworkConfig segmentationConfig() {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        List<String> classificationOnly = List.of("--arch", "--expansion", "--bottleneck", "--shortcut").stream()
                .filter(parsed::hasMatchedOption).toList();
        if (!classificationOnly.isEmpty()) {
            throw usage(String.join(", ", classificationOnly) + " apply to --task classification only");
        }
        DeepLabV3.Builder builder = shared(DeepLabV3.builder());
        if (outputStride != null) {
            builder.outputStride(outputStride);
        }
        return builder.config();
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static Map<String, Object> toJson(ModelSummary s) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("architecture", s.config().architecture());
        root.put("config", jsonValues(s.config().toMap()));
        root.put("input", shape(s.input()));
        root.put("params", s.params());
        root.put("paramsWithoutBatchNorm", s.paramsWithoutBatchNorm());
        root.put("macs", s.macs());
        List<Object> table3 = new ArrayList<>();
        for (Table3Row row : s.table3()) {
            table3.add(Map.of("resolution", row.resolution(), "channels", row.channels(), "kb", row.kb()));
        }
        root.put("table3", table3);
        root.put("table3MaxKb", s.table3MaxKb());
        root.put("peakActivationBytes", s.peakActivationBytes());
        List<Object> layers = new ArrayList<>();
        for (LayerCost l : s.layers()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", l.name());
            row.put("operator", l.operator());
            row.put("input", shape(l.input()));
            row.put("output", shape(l.output()));
            row.put("t", l.t());
            row.put("c", l.c());
            row.put("n", l.n());
            row.put("s", l.s());
            row.put("params", l.params());
            row.put("paramsWithoutBatchNorm", l.paramsWithoutBatchNorm());
            row.put("macs", l.macs());
            layers.add(row);
        }
        root.put("layers", layers);
        return root;
    }

    /** A JSON number: what Integer, Double and Float.toString write. */
    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** The configuration's entries (strings, as checkpoints store them) with numbers and booleans as such. */
    static Map<String, Object> jsonValues(Map<String, String> entries) {
        Map<String, Object> values = new LinkedHashMap<>();
        entries.forEach((key, text) -> values.put(key, jsonValue(text)));
        return values;
    }

    private static Object jsonValue(String text) {
        if (text.equals("true") || text.equals("false")) {
            return Boolean.valueOf(text);
        }
        Matcher number = NUMBER.matcher(text);
        if (!number.matches()) {
            return text;
        }
        boolean integral = number.group(2) == null && number.group(3) == null;
        return integral ? (Object) Long.valueOf(text) : (Object) Double.valueOf(text);
    }

    private static List<Integer> shape(Shape s) {
        return List.of(s.height(), s.width(), s.channels());
    }

    static String render(ModelSummary s, boolean markdown) {
        TextTable layers = new TextTable("layer", "operator", "input", "output", "t", "c", "n", "s", "params", "MACs");
        for (LayerCost l : s.layers()) {
            layers.row(l.name(), l.operator(), l.input(), l.output(), l.t(), l.c(), l.n(), l.s(),
                    grouped(l.params()), grouped(l.macs()));
        }
        TextTable table3 = new TextTable("resolution", "max channels", "kB (16-bit)");
        for (Table3Row row : s.table3()) {
            table3.row(row.resolution(), row.channels(), String.format(Locale.ROOT, "%.1f", row.kb()));
        }
        StringBuilder out = new StringBuilder();
        Map<String, String> config = s.config().toMap();
        String title = config.get("architecture") + " width " + config.get("width") + ", input " + s.input()
                + ", " + s.config().classes() + " classes"
                + (s.config() instanceof DeepLabV3Config d ? ", output stride " + d.backbone().outputStride() : "");
        out.append(markdown ? "## " + title + "\n\n" : title + "\n\n");
        out.append(markdown ? layers.markdown() : layers.plain()).append('\n');
        String totals = String.format(Locale.ROOT,
                "params: %s (%.2fM)  without batch norm: %s (%.2fM)  MACs: %s (%.0fM)",
                grouped(s.params()), s.params() / 1e6, grouped(s.paramsWithoutBatchNorm()),
                s.paramsWithoutBatchNorm() / 1e6, grouped(s.macs()), Math.floor(s.macs() / 1e6));
        out.append(markdown ? totals + "\n\n" : totals + "\n\n");
        out.append(markdown ? "### Table 3 memory (bottleneck tensors, §5.1)\n\n" : "Table 3 memory (bottleneck tensors, §5.1):\n");
        out.append(markdown ? table3.markdown() : table3.plain());
        out.append(String.format(Locale.ROOT, "%smax: %.0f kB%n", markdown ? "\n" : "", s.table3MaxKb()));
        out.append(String.format(Locale.ROOT, "%speak activation memory planned by this engine (float32, per image): %s bytes%n",
                markdown ? "\n" : "", grouped(s.peakActivationBytes())));
        return out.toString();
    }

    private static String grouped(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
