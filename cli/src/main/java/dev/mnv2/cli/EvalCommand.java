package dev.mnv2.cli;

import dev.mnv2.data.ClassificationMetrics;
import dev.mnv2.data.DataLoader;
import dev.mnv2.data.ImageFolder;
import dev.mnv2.data.Transform;
import dev.mnv2.exec.Predictor;
import dev.mnv2.exec.Tensor;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.util.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mnv2 eval}: accuracy of a classifier over a labelled image folder (one subfolder per class). */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a classifier on a folder of labelled images (DIR/<class>/*.jpg|jpeg|png|bmp): top-1, "
                + "top-5, per-class accuracy and the confusion matrix. Folder classes are matched to the model's "
                + "labels by name; images are cropped, resized and scaled as classify does, at the model's input size.")
final class EvalCommand implements Callable<Integer> {
    enum Format { text, json }

    enum OnUnreadable { skip, fail }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME|PATH", required = true,
            description = "A .tflite, .onnx or .safetensors file, or a known model name (as for classify).")
    String model;

    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "Labelled images: one subfolder per class, named as the model's labels.")
    Path data;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw the confusion matrix into this PNG.")
    Path plot;

    @Option(names = "--threads", paramLabel = "N",
            description = "Inference threads. Default: the available processors.")
    Integer threads;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32",
            description = "Images per inference call. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--limit-per-class", paramLabel = "N",
            description = "At most N images of each class, chosen at random as a function of --seed.")
    Integer limitPerClass;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of the --limit-per-class choice. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--central-crop", paramLabel = "FRACTION",
            description = "Fraction of each side kept around the centre before resizing, as classify; 1 keeps the "
                    + "whole image. Default: the model's own (an mnv2 checkpoint or export states it; 0.875 "
                    + "otherwise).")
    Double centralCrop;

    @Option(names = "--on-unreadable", paramLabel = "skip|fail", defaultValue = "fail",
            description = "An unreadable image fails the run, or is reported (one line) and left out. "
                    + "Default: ${DEFAULT-VALUE}.")
    OnUnreadable onUnreadable;

    @Override
    public Integer call() throws IOException {
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw usage("--threads must be at least 1, got " + threadCount);
        }
        if (batch < 1) {
            throw usage("--batch must be at least 1, got " + batch);
        }
        if (limitPerClass != null && limitPerClass < 1) {
            throw usage("--limit-per-class must be at least 1, got " + limitPerClass);
        }
        if (centralCrop != null && !(centralCrop > 0 && centralCrop <= 1)) {
            throw usage("--central-crop must be in (0, 1], got " + centralCrop);
        }
        if (plot != null) {
            PlotTarget.check(spec.commandLine(), plot);
        }
        ImageFolder folder = ImageFolder.open(data);
        if (limitPerClass != null) {
            folder = folder.limitPerClass(limitPerClass, seed);
        }
        LoadedModel loaded = Models.load(model);
        ModelTask.CLASSIFICATION.require(spec.commandLine(), model, loaded);
        ClassificationMetrics metrics = ClassificationMetrics.byLabel(folder, loaded.input().labels(), model);

        PrintWriter err = spec.commandLine().getErr();
        List<String> skipped = new ArrayList<>();
        Transform transform = Transform.evaluation(loaded.input().height(), loaded.input().width(),
                centralCrop != null ? centralCrop : loaded.input().centralCrop(), loaded.input().scaling());
        long start = System.nanoTime();
        try (DataLoader loader = DataLoader.builder(folder).batchSize(batch).transform(transform).workers(1)
                .unreadable(onUnreadable == OnUnreadable.skip ? DataLoader.Unreadable.SKIP : DataLoader.Unreadable.FAIL)
                .onSkipped(s -> {
                    err.println("mnv2: skipped " + s.message());
                    skipped.add(s.path().toString());
                }).build();
             Predictor predictor = Predictor.builder(loaded.network()).threads(threadCount).build()) {
            Tensor fullOutput = Tensor.zeros(batch, predictor.outputShape());
            DataLoader.Epoch epoch = loader.epoch(0);
            while (epoch.hasNext()) {
                DataLoader.Batch b = epoch.next();
                if (b.count() == 0) {
                    continue; // every image of the batch was unreadable and skipped
                }
                Tensor logits = b.count() == batch ? fullOutput : Tensor.zeros(b.count(), predictor.outputShape());
                predictor.forward(b.tensor(), logits);
                metrics.add(b.labels(), b.count(), logits.data());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (metrics.images() == 0) {
            throw new IOException(data + ": no image could be read");
        }
        if (plot != null) {
            ConfusionPlot.write(metrics, ConfusionPlot.title(model, data, metrics), plot);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.println(Json.write(json(metrics, skipped, seconds)));
        } else {
            printText(out, metrics, skipped.size(), seconds);
        }
        return skipped.isEmpty() ? 0 : 1;
    }

    private void printText(PrintWriter out, ClassificationMetrics metrics, int skipped, double seconds) {
        out.printf(Locale.ROOT, "%s on %s: %d images, %d classes%s, %.1f s%n", model, data, metrics.images(),
                metrics.classes().size(), skipped == 0 ? "" : " (" + skipped + " unreadable skipped)", seconds);
        out.printf(Locale.ROOT, "top-1 %.2f %%  top-5 %.2f %%%n%n", 100 * metrics.top1(), 100 * metrics.top5());
        TextTable perClass = new TextTable("class", "images", "top-1 %", "top-5 %");
        long[] images = metrics.imagesPerClass();
        double[] top1 = metrics.perClassTop1();
        double[] top5 = metrics.perClassTop5();
        for (int c = 0; c < images.length; c++) {
            perClass.row(metrics.classes().get(c), images[c], String.format(Locale.ROOT, "%.2f", 100 * top1[c]),
                    String.format(Locale.ROOT, "%.2f", 100 * top5[c]));
        }
        out.print(perClass.plain());
        out.println();
        out.println("confusion matrix (rows: true class, columns: predicted):");
        List<String> header = new ArrayList<>();
        header.add("true \\ predicted");
        header.addAll(metrics.classes());
        if (metrics.hasOtherOutputs()) {
            header.add("(other)");
        }
        TextTable confusion = new TextTable(header.toArray(new String[0]));
        long[][] counts = metrics.confusion();
        long[] other = metrics.otherPredictions();
        for (int t = 0; t < counts.length; t++) {
            List<Object> row = new ArrayList<>();
            row.add(metrics.classes().get(t));
            for (long v : counts[t]) {
                row.add(v);
            }
            if (metrics.hasOtherOutputs()) {
                row.add(other[t]);
            }
            confusion.row(row.toArray());
        }
        out.print(confusion.plain());
    }

    private Map<String, Object> json(ClassificationMetrics metrics, List<String> skipped, double seconds) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model);
        result.put("data", data.toString());
        result.put("images", metrics.images());
        result.put("top1", round(metrics.top1()));
        result.put("top5", round(metrics.top5()));
        List<Object> perClass = new ArrayList<>();
        long[] images = metrics.imagesPerClass();
        double[] top1 = metrics.perClassTop1();
        double[] top5 = metrics.perClassTop5();
        for (int c = 0; c < images.length; c++) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("class", metrics.classes().get(c));
            entry.put("images", images[c]);
            entry.put("top1", round(top1[c]));
            entry.put("top5", round(top5[c]));
            perClass.add(entry);
        }
        result.put("perClass", perClass);
        result.put("classes", metrics.classes());
        List<Object> rows = new ArrayList<>();
        for (long[] row : metrics.confusion()) {
            List<Object> cells = new ArrayList<>();
            for (long v : row) {
                cells.add(v);
            }
            rows.add(cells);
        }
        result.put("confusion", rows);
        if (metrics.hasOtherOutputs()) {
            List<Object> other = new ArrayList<>();
            for (long v : metrics.otherPredictions()) {
                other.add(v);
            }
            result.put("otherPredictions", other);
        }
        result.put("skipped", skipped);
        if (plot != null) {
            result.put("plot", plot.toString());
        }
        result.put("seconds", Math.round(seconds * 1000) / 1000.0);
        return result;
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
