package dev.mnv2.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the vector kernels' 1×1 convolution ({@link Kernels#pointwise}) alone, on one thread, for the shapes of
 * MobileNetV2's expansions and projections: pixels, input and output channels, ReLU6 or linear. Prints the median
 * of 15 timed batches of calls and GFLOP/s. On a shared machine compare two builds in alternating JVMs, several
 * rounds, and read the fastest: two runs of one build differ by up to 10 % here.
 *
 * <pre>
 * mvn -q -pl core -am test-compile
 * java --add-modules jdk.incubator.vector -cp core/target/classes:core/target/test-classes \
 *     dev.mnv2.exec.PointwiseBenchmark [pixels,in,out[,linear];...]
 * </pre>
 */
public final class PointwiseBenchmark {
    private PointwiseBenchmark() {}

    private static final String DEFAULT_SHAPES = "12544,16,96;3136,24,144;3136,144,24,linear;784,32,192;"
            + "784,192,32,linear;196,64,384;196,384,64,linear;196,96,576;196,576,96,linear;49,160,960;"
            + "49,960,160,linear;49,320,1280;2304,16,8,linear;2304,48,8,linear";

    public static void main(String[] args) {
        if (!VectorSupport.AVAILABLE) {
            System.err.println("PointwiseBenchmark times the vector kernels: run with --add-modules jdk.incubator.vector");
            System.exit(2);
        }
        Kernels k = VectorSupport.kernels();
        List<String> shapes = List.of((args.length > 0 ? args[0] : DEFAULT_SHAPES).split(";"));
        System.out.printf(Locale.ROOT, "vector kernels at %d bits, one thread, median of 15 timed batches%n",
                VectorSupport.bits());
        List<String> lines = new ArrayList<>();
        // Twice through the list: the first pass compiles every kernel, the second is reported.
        for (int pass = 0; pass < 2; pass++) {
            lines.clear();
            for (String shape : shapes) {
                lines.add(time(k, shape.split(",")));
            }
        }
        lines.forEach(System.out::println);
    }

    private static String time(Kernels k, String[] f) {
        int pixels = Integer.parseInt(f[0].trim());
        int inC = Integer.parseInt(f[1].trim());
        int outC = Integer.parseInt(f[2].trim());
        boolean linear = f.length > 3 && f[3].trim().equals("linear");
        float lo = linear ? Float.NEGATIVE_INFINITY : 0f;
        float hi = linear ? Float.POSITIVE_INFINITY : 6f;
        SplittableRandom random = new SplittableRandom(1);
        float[] in = new float[pixels * inC];
        for (int i = 0; i < in.length; i++) in[i] = (float) random.nextDouble(-1, 1);
        float[] weights = new float[inC * outC];
        for (int i = 0; i < weights.length; i++) weights[i] = (float) random.nextDouble(-0.5, 0.5);
        float[] w = Kernels.pack(weights, inC, outC);
        float[] bias = new float[outC];
        float[] out = new float[pixels * outC];
        long macs = (long) pixels * inC * outC;
        int calls = (int) Math.max(20, 3e8 / macs);
        double[] us = new double[15];
        for (int r = 0; r < us.length; r++) {
            long start = System.nanoTime();
            for (int c = 0; c < calls; c++) {
                k.pointwise(in, 0, pixels, inC, w, bias, outC, lo, hi, out, 0, null, 0);
            }
            us[r] = (System.nanoTime() - start) / 1e3 / calls;
        }
        Arrays.sort(us);
        double median = us[us.length / 2];
        return String.format(Locale.ROOT, "%6d px %5d -> %-5d %-6s %9.1f us %7.1f GFLOP/s", pixels, inC, outC,
                linear ? "linear" : "relu6", median, 2.0 * macs / median / 1e3);
    }
}
