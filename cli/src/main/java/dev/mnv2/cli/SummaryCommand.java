package dev.mnv2.cli;

import dev.mnv2.analysis.LayerCost;
import dev.mnv2.analysis.ModelSummary;
import dev.mnv2.analysis.Table3Row;
import dev.mnv2.model.MobileNetV1;
import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import dev.mnv2.util.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mnv2 summary}: per-layer cost table, totals and the paper's Table 3 memory view. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print the architecture with per-layer parameters and multiply-accumulates, "
                + "totals, the paper's Table 3 memory view and this engine's planned peak activation memory.")
final class SummaryCommand implements Runnable {
    enum Arch { v2, v1 }

    enum Format { table, json, markdown }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--arch", defaultValue = "v2", description = "v2 (MobileNetV2) or v1 (MobileNetV1). Default: ${DEFAULT-VALUE}.")
    Arch arch;

    @Option(names = "--width", defaultValue = "1.0", description = "Width multiplier α > 0. Default: ${DEFAULT-VALUE}.")
    double width;

    @Option(names = "--resolution", defaultValue = "224", paramLabel = "R|HxW",
            description = "Input resolution, at least 32: 224 or 160x128. Default: ${DEFAULT-VALUE}.")
    String resolution;

    @Option(names = "--classes", defaultValue = "1000", description = "Number of classes. Default: ${DEFAULT-VALUE}.")
    int classes;

    @Option(names = "--expansion", defaultValue = "0",
            description = "Expansion factor t replacing Table 2's 6 (v2 only); 0 keeps Table 2.")
    int expansion;

    @Option(names = "--bottleneck", defaultValue = "linear",
            description = "Activation after each block's projection: linear or relu6 (v2 only; paper Fig. 6a).")
    String bottleneck;

    @Option(names = "--shortcut", defaultValue = "bottleneck",
            description = "Residual placement: bottleneck, expansion or none (v2 only; paper Fig. 6b).")
    String shortcut;

    @Option(names = "--padding", defaultValue = "same",
            description = "same (TensorFlow) or symmetric (PyTorch). Default: ${DEFAULT-VALUE}.")
    String padding;

    @Option(names = "--format", defaultValue = "table", description = "table, json or markdown. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Override
    public void run() {
        Network network = build();
        ModelSummary summary = ModelSummary.of(network);
        PrintWriter out = spec.commandLine().getOut();
        switch (format) {
            case json -> out.println(Json.write(toJson(summary)));
            case table -> out.print(render(summary, false));
            case markdown -> out.print(render(summary, true));
        }
        out.flush();
    }

    private Network build() {
        if (!(width > 0) || Double.isInfinite(width)) {
            throw usage("--width must be a number > 0, got " + width);
        }
        int[] hw = parseResolution(resolution);
        if (classes <= 0) {
            throw usage("--classes must be > 0, got " + classes);
        }
        if (expansion < 0) {
            throw usage("--expansion must be > 0 (or 0 for Table 2), got " + expansion);
        }
        Padding pad = switch (padding.toLowerCase(Locale.ROOT)) {
            case "same" -> Padding.same();
            case "symmetric" -> Padding.symmetric(1);
            default -> throw usage("--padding must be same or symmetric, got '" + padding + "'");
        };
        if (arch == Arch.v1) {
            if (!bottleneck.equals("linear") || !shortcut.equals("bottleneck") || expansion != 0) {
                throw usage("--bottleneck, --shortcut and --expansion apply to --arch v2 only");
            }
            return MobileNetV1.create(MobileNetV1.builder().width(width).resolution(hw[0], hw[1]).classes(classes)
                    .padding(pad).config());
        }
        MobileNetV2.Builder builder = MobileNetV2.builder().width(width).resolution(hw[0], hw[1]).classes(classes)
                .expansion(expansion).padding(pad);
        try {
            builder.bottleneck(bottleneck);
        } catch (IllegalArgumentException e) {
            throw usage("--bottleneck must be linear or relu6, got '" + bottleneck + "'");
        }
        try {
            builder.shortcut(shortcut);
        } catch (IllegalArgumentException e) {
            throw usage("--shortcut must be bottleneck, expansion or none, got '" + shortcut + "'");
        }
        return MobileNetV2.create(builder.config());
    }

    private int[] parseResolution(String text) {
        String[] parts = text.toLowerCase(Locale.ROOT).split("x", -1);
        try {
            int h = Integer.parseInt(parts[0].trim());
            int w = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : h;
            if (parts.length > 2) throw new NumberFormatException();
            if (h < 32 || w < 32) {
                throw usage("--resolution must be at least 32, got " + text);
            }
            return new int[] {h, w};
        } catch (NumberFormatException e) {
            throw usage("--resolution must be a number like 224 or HxW like 160x128, got '" + text + "'");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static Map<String, Object> toJson(ModelSummary s) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("architecture", s.config().architecture());
        root.put("config", s.config().toMap());
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
                + ", " + s.config().classes() + " classes";
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
