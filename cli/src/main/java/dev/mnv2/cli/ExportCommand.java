package dev.mnv2.cli;

import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.model.Network;
import dev.mnv2.onnx.OnnxExporter;
import dev.mnv2.safetensors.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mnv2 export}: writes a model as ONNX or as safetensors (torchvision layout, mnv2 checkpoint). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model as ONNX (float32, NCHW input [batch,3,H,W], standard operators) or as "
                + "safetensors (torchvision's mobilenet_v2 state_dict names and layouts). Both carry the mnv2 "
                + "configuration, task, pixel scaling and labels in their metadata, so the file classifies as its "
                + "source does. Files are written atomically.")
final class ExportCommand implements Callable<Integer> {
    enum Format { onnx, safetensors }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", defaultValue = "mobilenet_v2_1.0_224_quant", paramLabel = "NAME|PATH",
            description = "Known model name or a .tflite, .onnx or .safetensors file. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--format", paramLabel = "onnx|safetensors",
            description = "Output format; by default taken from the --out file's extension.")
    Format format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "File to write.")
    Path out;

    @Option(names = "--softmax", description = "ONNX: end the graph with Softmax (output 'probabilities').")
    boolean softmax;

    @Option(names = "--keep-batch-norm",
            description = "ONNX: keep BatchNormalization nodes instead of folding them into the convolutions; a "
                    + "source whose batch norms are folded (any TFLite file) gets identity ones.")
    boolean keepBatchNorm;

    @Override
    public Integer call() throws IOException {
        Format chosen = format != null ? format : fromExtension();
        if (chosen != Format.onnx && (softmax || keepBatchNorm)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--softmax and --keep-batch-norm apply to --format onnx only");
        }
        if (Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " is a directory");
        }
        Path folder = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder)) {
            throw new NoSuchFileException(out.toString(), null, "cannot write: folder " + folder + " does not exist");
        }
        LoadedModel loaded = Models.load(model);
        Network network = loaded.network();
        if (keepBatchNorm && network.convolutions().stream().anyMatch(conv -> conv.batchNorm() == null)) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("mnv2: " + model + " has its batch norms folded into the convolutions; --keep-batch-norm "
                    + "writes identity BatchNormalization nodes (gamma 1, beta = conv bias, mean 0, var 1 - eps)");
            err.flush();
        }
        switch (chosen) {
            case onnx -> OnnxExporter.builder().foldBatchNorm(!keepBatchNorm).softmax(softmax).build().write(loaded, out);
            case safetensors -> Checkpoint.save(loaded, out);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "wrote %s (%s, %s %.2f/%d, %d classes, %.1f MB)%n", out, chosen,
                network.config().architecture(), network.config().width(), network.input().height(),
                network.classes(), Files.size(out) / 1e6);
        stdout.flush();
        return 0;
    }

    private Format fromExtension() {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return Format.onnx;
        }
        if (name.endsWith(".safetensors")) {
            return Format.safetensors;
        }
        throw new CommandLine.ParameterException(spec.commandLine(),
                "give --format onnx|safetensors (the --out file's extension names neither)");
    }
}
