package dev.mnv2.exec;

import dev.mnv2.model.Activation;
import dev.mnv2.model.ConvSpec;
import dev.mnv2.model.Padding;
import dev.mnv2.model.Shape;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the training kernels on MobileNetV2 1.0/224 layers (a batch of 8 images): forward, input gradient and
 * weight gradient of the stem, of block 3's expansion, depthwise and projection, and of its batch norm, with
 * the vector and the scalar kernels on 1 and 2 threads. Prints the fastest of the timed calls (on a shared
 * machine the least disturbed one) and GFLOP/s.
 *
 * <pre>
 * mvn -q -pl core -am test-compile
 * java --add-modules jdk.incubator.vector -cp core/target/classes:core/target/test-classes \
 *     dev.mnv2.exec.BackwardBenchmark [batch] [iterations]
 * </pre>
 */
public final class BackwardBenchmark {
    private BackwardBenchmark() {}

    /** One timed operation over all its parts. */
    private interface Operation {
        void run(Kernels k, Workers workers, int parts);
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.printf(Locale.ROOT, "batch %d, fastest of %d calls, %d processors%n", batch, iterations,
                Runtime.getRuntime().availableProcessors());
        Padding same = Padding.same();
        conv("stem 3x3/2 3->32 at 224", new ConvSpec("stem", 3, 32, 3, 2, 1, 1, same, Activation.IDENTITY, false,
                false), new Shape(224, 224, 3), batch, iterations);
        conv("expand 1x1 24->144 at 56", new ConvSpec("expand", 24, 144, 1, 1, 1, 1, same, Activation.IDENTITY,
                false, false), new Shape(56, 56, 24), batch, iterations);
        conv("depthwise 3x3 144 at 56", new ConvSpec("dw", 144, 144, 3, 1, 1, 144, same, Activation.IDENTITY, false,
                false), new Shape(56, 56, 144), batch, iterations);
        conv("depthwise 3x3/2 144 at 56", new ConvSpec("dw2", 144, 144, 3, 2, 1, 144, same, Activation.IDENTITY,
                false, false), new Shape(56, 56, 144), batch, iterations);
        conv("project 1x1 144->24 at 56", new ConvSpec("project", 144, 24, 1, 1, 1, 1, same, Activation.IDENTITY,
                false, false), new Shape(56, 56, 144), batch, iterations);
        batchNorm(new Shape(56, 56, 144), batch, iterations);
    }

    private static void conv(String name, ConvSpec spec, Shape in, int batch, int iterations) {
        ConvTraining conv = ConvTraining.of(spec, in);
        Shape out = conv.outputShape();
        SplittableRandom random = new SplittableRandom(1);
        float[] x = GradientCheck.uniform(batch * in.elements(), 1, random);
        float[] w = GradientCheck.uniform(spec.weightCount(), 0.5, random);
        float[] dy = GradientCheck.uniform(batch * out.elements(), 1, random);
        float[] y = new float[dy.length];
        float[] dx = new float[x.length];
        float[] dw = new float[w.length];
        conv.setWeights(w);
        ConvTraining.Workspace[] ws = {conv.workspace(), conv.workspace()};
        double flops = 2.0 * batch * out.height() * out.width() * spec.kernel() * spec.kernel() * spec.inPerGroup()
                * spec.outChannels();
        report(name + " forward", flops, iterations, (k, workers, parts) -> workers.run((worker, part) ->
                conv.forward(k, x, 0, batch, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, y, 0,
                        ws[worker], part, parts), parts));
        report(name + " dX", flops, iterations, (k, workers, parts) -> workers.run((worker, part) ->
                conv.inputGradient(k, dy, 0, batch, false, dx, 0, ws[worker], part, parts), parts));
        report(name + " dW", flops, iterations, (k, workers, parts) -> {
            Arrays.fill(dw, 0f);
            workers.run((worker, part) -> conv.weightGradient(k, x, 0, dy, 0, batch, dw, ws[worker], part, parts),
                    parts);
        });
    }

    private static void batchNorm(Shape shape, int batch, int iterations) {
        int pixels = batch * shape.height() * shape.width();
        int c = shape.channels();
        SplittableRandom random = new SplittableRandom(2);
        float[] x = GradientCheck.uniform(batch * shape.elements(), 1, random);
        float[] dy = GradientCheck.uniform(x.length, 1, random);
        float[] y = new float[x.length];
        float[] dx = new float[x.length];
        float[] gamma = new float[c];
        float[] beta = new float[c];
        Arrays.fill(gamma, 1f);
        BatchNormTraining bn = new BatchNormTraining(c);
        String name = "batch norm + relu6 " + c + " at " + shape.height();
        report(name + " forward", 0, iterations, (k, workers, parts) -> {
            workers.run((worker, part) -> bn.statistics(k, x, 0, pixels, part, parts), parts);
            bn.coefficients(gamma, beta, 1e-3f);
            workers.run((worker, part) -> bn.normalize(k, x, 0, pixels, 0f, 6f, y, 0, part, parts), parts);
        });
        report(name + " backward", 0, iterations, (k, workers, parts) -> {
            workers.run((worker, part) -> bn.parameterGradients(k, x, 0, dy, 0, pixels, 0f, 6f, part, parts), parts);
            workers.run((worker, part) -> bn.inputGradient(k, x, 0, dy, 0, pixels, 0f, 6f, false, dx, 0, part, parts),
                    parts);
        });
    }

    private static void report(String name, double flops, int iterations, Operation operation) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-42s", name));
        for (boolean vector : new boolean[] {true, false}) {
            Kernels k = vector ? VectorSupport.kernels() : ScalarKernels.INSTANCE;
            for (int threads : new int[] {1, 2}) {
                try (Workers workers = new Workers(threads, "bench")) {
                    double ms = fastestMs(k, workers, threads, iterations, operation);
                    line.append(String.format(Locale.ROOT, "  %s/%dt %7.1f ms", vector ? "vector" : "scalar", threads, ms));
                    if (flops > 0) {
                        line.append(String.format(Locale.ROOT, " %5.1f GF/s", flops / ms / 1e6));
                    }
                }
            }
        }
        System.out.println(line);
    }

    private static double fastestMs(Kernels k, Workers workers, int parts, int iterations, Operation operation) {
        for (int i = 0; i < 3; i++) {
            operation.run(k, workers, parts);
        }
        double fastest = Double.POSITIVE_INFINITY;
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            operation.run(k, workers, parts);
            fastest = Math.min(fastest, (System.nanoTime() - start) / 1e6);
        }
        return fastest;
    }
}
