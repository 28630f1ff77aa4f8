package dev.mnv2.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.testing.RandomData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Core must run on a JVM without {@code jdk.incubator.vector}: a child JVM started without the module runs
 * the scalar kernels, and its logits must be the vector kernels' to the bit in every mode, thread count and
 * batch size.
 */
class WithoutVectorModuleTest {

    static Network network() {
        return MobileNetV2.builder().width(0.35).resolution(64).classes(16).seed(77).build();
    }

    /**
     * Logits of the test network on fixed inputs, as the hex of their bits, for batch 1 and 3, both modes, one
     * and two threads.
     */
    static String logitBits() {
        Network network = network();
        StringJoiner bits = new StringJoiner(" ", (Predictor.vectorAvailable() ? "vector" : "scalar") + ": ", "");
        for (ExecutionMode mode : ExecutionMode.values()) {
            for (int threads : new int[] {1, 2}) {
                try (Predictor p = Predictor.builder(network).mode(mode).threads(threads).build()) {
                    for (int batch : new int[] {1, 3}) {
                        bits.add(mode + "/" + threads + "/" + batch + ":");
                        for (float v : p.forward(RandomData.tensor(batch, network.input(), 9 + batch)).data()) {
                            bits.add(Integer.toHexString(Float.floatToRawIntBits(v)));
                        }
                    }
                }
            }
        }
        return bits.toString();
    }

    /** Entry point of the child JVM. */
    public static void main(String[] args) {
        System.out.println(logitBits());
    }

    @Test
    void scalarJvmGivesTheVectorKernelsBits() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                WithoutVectorModuleTest.class.getName()).redirectErrorStream(true).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, child.exitValue(), output);
        String expected = logitBits();
        assertTrue(expected.startsWith("vector: "), expected);
        assertEquals(expected.replace("vector: ", "scalar: "), output);
    }
}
