package dev.mnv2.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Two builds of core in one JVM, each loaded by a class loader of its own, their calls alternated in short paired
 * rounds: a slow spell of the shared host then slows both alike. The median of the per-round ratios B/A came out
 * within 1-2 % across repeated runs here, where fresh JVMs of one build spread 10-25 %. Run by {@code bench/ab},
 * which builds the two class folders.
 *
 * <pre>
 * BuildAB A_CLASSES B_CLASSES ROUNDS CASE...
 *   CASE: model:W:R                        MobileNetV2 α W at R×R, batch 1, one thread, random weights
 *         pointwise:PIXELS:IN:OUT[:linear] one 1×1 convolution (ReLU6 unless linear), vector kernels
 * </pre>
 *
 * Both builds are driven through their public API ({@code model}) or, for {@code pointwise}, through the
 * package-private kernel interface by reflection; a build whose signatures differ cannot run that case.
 */
public final class BuildAB {
    private BuildAB() {}

    /** One call of the code under test. */
    private interface Call {
        void run() throws ReflectiveOperationException;
    }

    /** Nanoseconds a round of one build should take: short, so a slow spell spans few pairs. */
    private static final long ROUND_NS = 5_000_000L;

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: BuildAB A_CLASSES B_CLASSES ROUNDS CASE... (see bench/ab)");
            System.exit(2);
        }
        ClassLoader[] builds = {loader(args[0]), loader(args[1])};
        int rounds = Integer.parseInt(args[2]);
        for (int i = 3; i < args.length; i++) {
            Call[] calls = {call(builds[0], args[i]), call(builds[1], args[i])};
            System.out.println(compare(args[i], calls, rounds));
        }
    }

    private static ClassLoader loader(String classes) throws MalformedURLException {
        return new URLClassLoader(new URL[] {Path.of(classes).toUri().toURL()}, BuildAB.class.getClassLoader());
    }

    private static Call call(ClassLoader build, String spec) throws ReflectiveOperationException {
        String[] f = spec.split(":");
        try {
            switch (f[0]) {
                case "model":
                    return model(build, Double.parseDouble(f[1]), Integer.parseInt(f[2]));
                case "pointwise":
                    return pointwise(build, Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                            f.length > 4 && f[4].equals("linear"));
                default:
                    throw new IllegalArgumentException("unknown case " + spec + ": model:W:R or pointwise:PIXELS:IN:OUT[:linear]");
            }
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("malformed case " + spec + ": model:W:R or pointwise:PIXELS:IN:OUT[:linear]");
        }
    }

    /** Warms both builds up for 3 s, then alternates rounds (which goes first flips every round). */
    private static String compare(String spec, Call[] calls, int rounds) throws ReflectiveOperationException {
        long warmEnd = System.nanoTime() + 3_000_000_000L;
        long pair = 1;
        while (System.nanoTime() < warmEnd) {
            long start = System.nanoTime();
            calls[0].run();
            calls[1].run();
            pair = System.nanoTime() - start;
        }
        int perRound = (int) Math.max(1, 2 * ROUND_NS / Math.max(1, pair));
        double[][] us = new double[2][rounds];
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int b = (r + k) % 2;
                long start = System.nanoTime();
                for (int c = 0; c < perRound; c++) {
                    calls[b].run();
                }
                us[b][r] = (System.nanoTime() - start) / 1e3 / perRound;
            }
            ratio[r] = us[1][r] / us[0][r];
        }
        for (double[] u : us) Arrays.sort(u);
        Arrays.sort(ratio);
        return String.format(Locale.ROOT, "%-28s A %10.1f us  B %10.1f us  B/A %.3f (paired rounds: quartiles %.3f-%.3f, %d rounds of %d calls)",
                spec, us[0][rounds / 2], us[1][rounds / 2], ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4],
                rounds, perRound);
    }

    private static Call model(ClassLoader build, double width, int resolution) throws ReflectiveOperationException {
        Class<?> networkClass = build.loadClass("dev.mnv2.model.Network");
        Class<?> predictorClass = build.loadClass("dev.mnv2.exec.Predictor");
        Class<?> tensorClass = build.loadClass("dev.mnv2.exec.Tensor");
        Class<?> shapeClass = build.loadClass("dev.mnv2.model.Shape");
        Object b = build.loadClass("dev.mnv2.model.MobileNetV2").getMethod("builder").invoke(null);
        b = b.getClass().getMethod("width", double.class).invoke(b, width);
        b = b.getClass().getMethod("resolution", int.class, int.class).invoke(b, resolution, resolution);
        b = b.getClass().getMethod("classes", int.class).invoke(b, 1000);
        b = b.getClass().getMethod("seed", long.class).invoke(b, 2018L);
        Object network = b.getClass().getMethod("build").invoke(b);
        Object pb = predictorClass.getMethod("builder", networkClass).invoke(null, network);
        pb = pb.getClass().getMethod("threads", int.class).invoke(pb, 1);
        Object predictor = pb.getClass().getMethod("build").invoke(pb);
        Method zeros = tensorClass.getMethod("zeros", int.class, shapeClass);
        Object image = zeros.invoke(null, 1, networkClass.getMethod("input").invoke(network));
        fill((float[]) tensorClass.getMethod("data").invoke(image), 7);
        Object logits = zeros.invoke(null, 1, predictorClass.getMethod("outputShape").invoke(predictor));
        Method forward = predictorClass.getMethod("forward", tensorClass, tensorClass);
        return () -> invoke(forward, predictor, image, logits);
    }

    private static Call pointwise(ClassLoader build, int pixels, int inC, int outC, boolean linear)
            throws ReflectiveOperationException {
        Method kernelsOf = build.loadClass("dev.mnv2.exec.VectorSupport").getDeclaredMethod("kernels");
        kernelsOf.setAccessible(true);
        Object kernels = kernelsOf.invoke(null);
        Class<?> kernelsClass = build.loadClass("dev.mnv2.exec.Kernels");
        Method pack = kernelsClass.getDeclaredMethod("pack", float[].class, int.class, int.class);
        pack.setAccessible(true);
        Method product = kernelsClass.getDeclaredMethod("pointwise", float[].class, int.class, int.class, int.class,
                float[].class, float[].class, int.class, float.class, float.class, float[].class, int.class,
                float[].class, int.class);
        product.setAccessible(true);
        float[] in = new float[pixels * inC];
        fill(in, 1);
        float[] weights = new float[inC * outC];
        fill(weights, 2);
        float[] packed = (float[]) pack.invoke(null, weights, inC, outC);
        float[] bias = new float[outC];
        float[] out = new float[pixels * outC];
        float lo = linear ? Float.NEGATIVE_INFINITY : 0f;
        float hi = linear ? Float.POSITIVE_INFINITY : 6f;
        return () -> invoke(product, kernels, in, 0, pixels, inC, packed, bias, outC, lo, hi, out, 0, null, 0);
    }

    private static void fill(float[] values, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < values.length; i++) values[i] = (float) (2 * random.nextDouble() - 1);
    }

    private static void invoke(Method m, Object target, Object... args) throws ReflectiveOperationException {
        try {
            m.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw e;
        }
    }
}
