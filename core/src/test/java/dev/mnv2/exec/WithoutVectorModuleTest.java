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
 * the scalar kernels, and its logits must be the vector kernels' to the bit.
 */
class WithoutVectorModuleTest {

    static Network network() {
        return MobileNetV2.builder().width(0.35).resolution(64).classes(16).seed(77).build();
    }

    /** Logits of the test network on a fixed input, as the hex of their bits. */
    static String logitBits() {
        Network network = network();
        try (Predictor p = Predictor.builder(network).threads(2).build()) {
            StringJoiner bits = new StringJoiner(" ", (p.vectorized() ? "vector" : "scalar") + ": ", "");
            for (float v : p.forward(RandomData.tensor(2, network.input(), 9)).data()) {
                bits.add(Integer.toHexString(Float.floatToRawIntBits(v)));
            }
            return bits.toString();
        }
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
