package dev.mnv2.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the vector kernels' 3×3 depthwise convolution ({@link Kernels#depthwiseRow}) alone, on one thread, for
 * the layers of MobileNetV2 (α 1.0, 224): square input size, channels, stride, with ReLU6 and TensorFlow's SAME
 * padding. Each timed call convolves every output row of the layer once; prints the median of 201 calls and
 * GFLOP/s. On a shared machine compare two builds in alternating JVMs, several rounds, and read the fastest.
 *
 * <pre>
 * mvn -q -pl core -am test-compile
 * java --add-modules jdk.incubator.vector -cp core/target/classes:core/target/test-classes \
 *     dev.mnv2.exec.DepthwiseBenchmark [size,channels,stride;...]
 * </pre>
 */
public final class DepthwiseBenchmark {
    private DepthwiseBenchmark() {}

    private static final String DEFAULT_SHAPES = "112,32,1;112,96,2;56,144,1;56,144,2;28,192,1;28,192,2;"
            + "14,384,1;14,576,1;14,576,2;7,960,1";

    public static void main(String[] args) {
        if (!VectorSupport.AVAILABLE) {
            System.err.println("DepthwiseBenchmark times the vector kernels: run with --add-modules jdk.incubator.vector");
            System.exit(2);
        }
        Kernels k = VectorSupport.kernels();
        List<String> shapes = List.of((args.length > 0 ? args[0] : DEFAULT_SHAPES).split(";"));
        System.out.printf(Locale.ROOT, "vector kernels at %d bits, one thread, median of 201 whole-layer calls%n",
                VectorSupport.bits());
        List<String> lines = new ArrayList<>();
        // Three times through the list: the first passes compile every kernel variant, the last is reported.
        for (int pass = 0; pass < 3; pass++) {
            lines.clear();
            for (String shape : shapes) {
                lines.add(time(k, shape.split(",")));
            }
        }
        lines.forEach(System.out::println);
    }

    private static String time(Kernels k, String[] f) {
        int size = Integer.parseInt(f[0].trim());
        int channels = Integer.parseInt(f[1].trim());
        int stride = Integer.parseInt(f[2].trim());
        int outSize = (size + stride - 1) / stride;
        // SAME padding: stride 1 pads one on each side; stride 2 on an even size pads only right and bottom.
        int pad = Math.max(0, ((outSize - 1) * stride + 3 - size) / 2);
        SplittableRandom random = new SplittableRandom(1);
        float[] in = new float[size * size * channels];
        for (int i = 0; i < in.length; i++) in[i] = (float) random.nextDouble(-1, 1);
        float[] w = new float[9 * channels];
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextDouble(-0.5, 0.5);
        float[] bias = new float[channels];
        float[] out = new float[outSize * outSize * channels];
        int[] rowOff = new int[3];
        double[] us = new double[201];
        for (int r = 0; r < us.length; r++) {
            long start = System.nanoTime();
            for (int oy = 0; oy < outSize; oy++) {
                for (int ky = 0; ky < 3; ky++) {
                    int iy = oy * stride - pad + ky;
                    rowOff[ky] = iy >= 0 && iy < size ? iy * size * channels : -1;
                }
                k.depthwiseRow(in, rowOff, size, channels, 3, stride, 1, pad, w, bias, 0f, 6f,
                        out, oy * outSize * channels, outSize, null, 0);
            }
            us[r] = (System.nanoTime() - start) / 1e3;
        }
        Arrays.sort(us);
        double median = us[us.length / 2];
        long macs = 9L * outSize * outSize * channels;
        return String.format(Locale.ROOT, "%4d x %-4d x %-5d stride %d %9.1f us %7.1f GFLOP/s", size, size,
                channels, stride, median, 2.0 * macs / median / 1e3);
    }
}
