package dev.mnv2.bench;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.mnv2.data.ClassificationMetrics;
import dev.mnv2.data.DataLoader;
import dev.mnv2.data.ImageFolder;
import dev.mnv2.data.Transform;
import dev.mnv2.image.ImagePreprocessor;
import dev.mnv2.image.PixelScaling;
import dev.mnv2.load.InputSpec;
import dev.mnv2.load.ModelMetadata;
import dev.mnv2.load.Models;
import dev.mnv2.model.Shape;
import dev.mnv2.util.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Top-1 and top-5 of an ONNX classifier run in ONNX Runtime over a labelled image folder
 * ({@code DIR/<class>/*.jpg|jpeg|png|bmp}), to hold against {@code mnv2 eval} on the model it was exported
 * from. Everything but the inference is {@code mnv2 eval}'s: core's {@link ImageFolder}, {@link DataLoader}
 * (decoding in its worker threads, ahead of the inference), the evaluation {@link Transform} (central crop,
 * resize, pixel scaling) at the graph's input size, class folders matched to labels by
 * {@link ClassificationMetrics#byLabel}. The batches go to ONNX Runtime as NCHW float32, the layout of mnv2's
 * ONNX export ({@code input [batch, 3, H, W]}).
 *
 * <p>Labels and pixel scaling come from the file's metadata as mnv2's export writes it ({@link ModelMetadata}),
 * or, with {@code --labels-from NAME|FILE}, from an mnv2 model or checkpoint (for an ONNX file without them).
 *
 * <p>Options: {@code --model FILE.onnx --data DIR [--labels-from NAME|FILE | --model-labels] [--threads N]
 * [--batch N] [--workers N] [--central-crop F] [--format text|json]}. Exit codes as mnv2's: 0, 2 for a bad
 * command line, 1 for any other failure, each with one line on stderr.
 */
public final class OrtEval {
    private static final String PROGRAM = "ort-eval";
    private static final String USAGE = "usage: bench/ort-eval --model FILE.onnx --data DIR [--labels-from NAME|FILE | "
            + "--model-labels] [--threads N] [--batch N] [--workers N] [--central-crop F] [--format text|json]";

    private enum Format { TEXT, JSON }

    /** A command line that cannot run: exit code 2. */
    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The graph's image input and logits output, as ONNX Runtime reports them. */
    private record Graph(String input, int fixedBatch, int height, int width, String output, int classes) {}

    /** Labels, pixel scaling and evaluation crop, and where they came from. */
    private record Spec(List<String> labels, PixelScaling scaling, double centralCrop, String source,
                        InputSpec checkpoint) {}

    private Path model;
    private Path data;
    private String labelsFrom;
    private int threads = Runtime.getRuntime().availableProcessors();
    private Integer batch;
    private int workers = 1;
    private Double centralCrop;
    private Format format = Format.TEXT;

    public static void main(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println(USAGE);
            return;
        }
        OrtEval eval;
        try {
            eval = parse(args);
        } catch (UsageException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            eval.run();
        } catch (Exception | OutOfMemoryError e) {
            System.err.println(PROGRAM + ": " + describe(e));
            if (System.getenv("MNV2_DEBUG") != null) {
                e.printStackTrace();
            }
            System.exit(1);
        }
    }

    private static OrtEval parse(String[] args) throws UsageException {
        OrtEval eval = new OrtEval();
        boolean modelLabels = false;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--model" -> eval.model = Path.of(value(args, ++i, option));
                case "--data" -> eval.data = Path.of(value(args, ++i, option));
                case "--labels-from" -> eval.labelsFrom = value(args, ++i, option);
                case "--model-labels" -> modelLabels = true;
                case "--threads" -> eval.threads = atLeastOne(option, value(args, ++i, option));
                case "--batch" -> eval.batch = atLeastOne(option, value(args, ++i, option));
                case "--workers" -> eval.workers = atLeastOne(option, value(args, ++i, option));
                case "--central-crop" -> {
                    String text = value(args, ++i, option);
                    try {
                        eval.centralCrop = Double.parseDouble(text);
                    } catch (NumberFormatException e) {
                        throw new UsageException("--central-crop must be a number in (0, 1], got '" + text + "'");
                    }
                    if (!(eval.centralCrop > 0 && eval.centralCrop <= 1)) {
                        throw new UsageException("--central-crop must be in (0, 1], got " + text);
                    }
                }
                case "--format" -> {
                    String text = value(args, ++i, option);
                    switch (text) {
                        case "text" -> eval.format = Format.TEXT;
                        case "json" -> eval.format = Format.JSON;
                        default -> throw new UsageException("--format must be text or json, got '" + text + "'");
                    }
                }
                default -> throw new UsageException("unknown option '" + option + "' (" + USAGE + ")");
            }
        }
        if (eval.model == null || eval.data == null) {
            throw new UsageException("--model and --data are required (" + USAGE + ")");
        }
        if (modelLabels && eval.labelsFrom != null) {
            throw new UsageException("--labels-from and --model-labels exclude each other");
        }
        return eval;
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    private static int atLeastOne(String option, String text) throws UsageException {
        int v;
        try {
            v = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " must be a whole number, got '" + text + "'");
        }
        if (v < 1) {
            throw new UsageException(option + " must be at least 1, got " + v);
        }
        return v;
    }

    private void run() throws Exception {
        ImageFolder folder = ImageFolder.open(data);
        if (!Files.isRegularFile(model)) {
            throw new IOException(model + ": model file not found");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = OrtEngine.sessionOptions(threads);
             OrtSession session = open(env, options)) {
            Spec spec = spec(session);
            Graph graph = graph(session, spec.checkpoint());
            if (spec.labels().size() != graph.classes()) {
                throw new IOException(model + ": " + spec.labels().size() + " labels (" + spec.source() + ") for "
                        + graph.classes() + " outputs");
            }
            if (batch != null && graph.fixedBatch() > 0 && batch != graph.fixedBatch()) {
                throw new IOException(model + ": the graph takes batches of exactly " + graph.fixedBatch()
                        + ", not --batch " + batch);
            }
            int batchSize = graph.fixedBatch() > 0 ? graph.fixedBatch() : batch != null ? batch : 32;
            ClassificationMetrics metrics = ClassificationMetrics.byLabel(folder, spec.labels(), model.toString());
            Transform transform = Transform.evaluation(graph.height(), graph.width(),
                    centralCrop != null ? centralCrop : spec.centralCrop(), spec.scaling());
            long start = System.nanoTime();
            evaluate(env, session, graph, folder, transform, batchSize, metrics);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (format == Format.JSON) {
                System.out.println(Json.write(json(env, metrics, spec, batchSize, seconds)));
            } else {
                System.out.printf(Locale.ROOT, "%s on %s: ONNX Runtime %s, %d thread%s, %d images, %d classes, %.1f s "
                                + "(%.0f images/s); labels and scaling from %s%n", model, data, env.getVersion(), threads, threads == 1 ? "" : "s",
                        metrics.images(), metrics.classes().size(), seconds, metrics.images() / seconds, spec.source());
                System.out.printf(Locale.ROOT, "top-1 %.2f %%  top-5 %.2f %%%n", 100 * metrics.top1(), 100 * metrics.top5());
            }
        }
    }

    private OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options) throws IOException {
        try {
            return env.createSession(model.toString(), options);
        } catch (OrtException e) {
            throw new IOException(model + ": ONNX Runtime cannot load it (" + describe(e) + ")", e);
        }
    }

    /** Labels and scaling from {@code --labels-from}, else from the file's mnv2 metadata, which must hold both. */
    private Spec spec(OrtSession session) throws Exception {
        if (labelsFrom != null) {
            InputSpec input = Models.load(labelsFrom).input();
            if (input.labels().isEmpty()) {
                throw new IOException(labelsFrom + " (--labels-from) has no labels");
            }
            return new Spec(input.labels(), input.scaling(), input.centralCrop(), labelsFrom, input);
        }
        Map<String, String> metadata = session.getMetadata().getCustomMetadata();
        List<String> labels;
        PixelScaling scaling;
        double crop;
        try {
            labels = ModelMetadata.labels(metadata);
            scaling = ModelMetadata.scaling(metadata).orElse(null);
            crop = ModelMetadata.centralCrop(metadata).orElse(ImagePreprocessor.DEFAULT_CENTRAL_CROP);
        } catch (IllegalArgumentException e) {
            throw new IOException(model + ": " + e.getMessage(), e);
        }
        if (labels.isEmpty() || scaling == null) {
            throw new IOException(model + " has no " + (labels.isEmpty() ? "labels" : "pixel scaling") + " in its metadata "
                    + "(mnv2's export writes them); give --labels-from with the mnv2 model or checkpoint it came from");
        }
        return new Spec(labels, scaling, crop, "the model's metadata", null);
    }

    /**
     * The one float32 NCHW RGB input and the first output, {@code [batch, classes]} float32. A symbolic
     * input size is taken from the {@code --labels-from} model.
     */
    private Graph graph(OrtSession session, InputSpec checkpoint) throws OrtException, IOException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (inputs.size() != 1) {
            throw new IOException(model + ": the graph has " + inputs.size() + " inputs, expected one image input");
        }
        NodeInfo input = inputs.values().iterator().next();
        long[] in = tensorShape(input, "input");
        if (in.length != 4 || in[1] != 3) {
            throw new IOException(model + ": input '" + input.getName() + "' is " + Arrays.toString(in)
                    + ", expected NCHW RGB [batch, 3, height, width]");
        }
        int height = (int) in[2];
        int width = (int) in[3];
        if (height <= 0 || width <= 0) {
            if (checkpoint == null) {
                throw new IOException(model + ": input '" + input.getName() + "' has a symbolic size "
                        + Arrays.toString(in) + "; give --labels-from with the model it came from for its input size");
            }
            height = checkpoint.height();
            width = checkpoint.width();
        }
        NodeInfo output = session.getOutputInfo().values().iterator().next();
        long[] out = tensorShape(output, "output");
        if (out.length != 2 || out[1] <= 0) {
            throw new IOException(model + ": output '" + output.getName() + "' is " + Arrays.toString(out)
                    + ", expected a classifier's [batch, classes]");
        }
        return new Graph(input.getName(), in[0] > 0 ? (int) in[0] : -1, height, width, output.getName(), (int) out[1]);
    }

    private long[] tensorShape(NodeInfo node, String what) throws IOException {
        if (!(node.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT) {
            throw new IOException(model + ": " + what + " '" + node.getName() + "' is no float32 tensor (" + node.getInfo() + ")");
        }
        return t.getShape();
    }

    /**
     * Runs every batch the loader decodes through the session and adds its logits to {@code metrics}. The
     * last, smaller batch gets a tensor of its own size, or is padded with zeros for a graph of fixed batch.
     */
    private void evaluate(OrtEnvironment env, OrtSession session, Graph graph, ImageFolder folder, Transform transform,
                          int batchSize, ClassificationMetrics metrics) throws OrtException {
        Shape shape = new Shape(transform.height(), transform.width(), 3);
        int imageSize = transform.imageSize();
        float[] nchw = new float[batchSize * imageSize];
        FloatBuffer full = ByteBuffer.allocateDirect(4 * nchw.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        float[] logits = new float[batchSize * graph.classes()];
        try (DataLoader loader = DataLoader.builder(folder).batchSize(batchSize).transform(transform).workers(workers)
                .build()) {
            DataLoader.Epoch epoch = loader.epoch(0);
            while (epoch.hasNext()) {
                DataLoader.Batch b = epoch.next();
                int count = b.count();
                int rows = graph.fixedBatch() > 0 ? batchSize : count;
                Arrays.fill(nchw, count * imageSize, nchw.length, 0f);
                Images.toNchw(b.images(), count, shape, nchw);
                FloatBuffer buffer = rows == batchSize ? full
                        : ByteBuffer.allocateDirect(4 * rows * imageSize).order(ByteOrder.nativeOrder()).asFloatBuffer();
                buffer.clear();
                buffer.put(nchw, 0, rows * imageSize).flip();
                long[] dims = {rows, 3, shape.height(), shape.width()};
                try (OnnxTensor tensor = OnnxTensor.createTensor(env, buffer, dims);
                     OrtSession.Result result = session.run(Map.of(graph.input(), tensor))) {
                    OnnxValue value = result.get(0);
                    FloatBuffer out = ((OnnxTensor) value).getFloatBuffer();
                    out.get(logits, 0, count * graph.classes());
                }
                metrics.add(b.labels(), count, logits);
            }
        }
    }

    private Map<String, Object> json(OrtEnvironment env, ClassificationMetrics metrics, Spec spec, int batchSize,
                                     double seconds) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("engine", "onnxruntime");
        result.put("version", env.getVersion());
        result.put("model", model.toString());
        result.put("data", data.toString());
        result.put("labelsFrom", spec.source());
        result.put("images", metrics.images());
        result.put("top1", round(metrics.top1()));
        result.put("top5", round(metrics.top5()));
        result.put("classes", metrics.classes());
        List<Object> rows = new ArrayList<>();
        for (long[] row : metrics.confusion()) {
            rows.add(Arrays.stream(row).boxed().toList());
        }
        result.put("confusion", rows);
        if (metrics.hasOtherOutputs()) {
            result.put("otherPredictions", Arrays.stream(metrics.otherPredictions()).boxed().toList());
        }
        result.put("threads", threads);
        result.put("batch", batchSize);
        result.put("seconds", Math.round(seconds * 1000) / 1000.0);
        return result;
    }

    /** As {@code mnv2 eval}'s JSON: six decimals. */
    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    private static String describe(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            return "out of memory (raise the heap with -Xmx)";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message.strip().replace('\n', ' ');
    }
}
