package dev.mnv2.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.model.MobileNetV2;
import dev.mnv2.model.Network;
import dev.mnv2.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Classifying works in a 256 MB heap whatever a file claims: a child JVM started with -Xmx256m classifies
 * each file with a full-size MobileNetV2 (1.0/224, 1001 classes, random weights: the published model's
 * size) and also reads it whole, where running out of memory must come back as an ImageReadException.
 */
class SmallHeapTest {
    private static final String HEAP = "-Xmx256m";

    @TempDir
    Path dir;

    /** Entry point of the child JVM: one line per file and way of reading it; exit status 0. */
    public static void main(String[] files) {
        Network network = MobileNetV2.builder().width(1.0).resolution(224).classes(1001).seed(1).build();
        try (ImageClassifier classifier = ImageClassifier.create(network, PixelScaling.MINUS_ONE_TO_ONE)) {
            for (String name : files) {
                Path file = Path.of(name);
                report(file, "classify", () -> "classified as " + classifier.classify(file, 1).get(0).index());
                report(file, "read whole", () -> {
                    var image = Images.read(file);
                    return "decoded " + image.getWidth() + "x" + image.getHeight();
                });
            }
        }
    }

    private static void report(Path file, String what, Callable<String> action) {
        long start = System.nanoTime();
        String outcome;
        try {
            outcome = action.call();
        } catch (ImageReadException e) {
            outcome = "ImageReadException: " + e.getMessage();
        } catch (Throwable e) {
            outcome = "ESCAPED " + e;
        }
        System.out.printf("%s %s: %s (%.0f ms)%n", file.getFileName(), what, outcome, (System.nanoTime() - start) / 1e6);
    }

    @Test
    void hostileFilesAndALargePhotoClassifyInA256MbHeap() throws Exception {
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, byte[]> file : HostileImages.claiming100Megapixels().entrySet()) {
            files.add(Files.write(dir.resolve(file.getKey()), file.getValue()));
        }
        Path photo = dir.resolve("photo-48mp.jpg");
        ImageIO.write(HostileImages.photoLike(8000, 6000, 7), "jpg", photo.toFile());
        files.add(photo);

        List<String> lines = classifyInChild(files);

        for (Path file : files) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(file.getFileName() + " classify: ")), file.toString());
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("photo-48mp.jpg classify: classified as ")), "the photo");
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("claims-100mp.jpg classify: ImageReadException: "
                + dir.resolve("claims-100mp.jpg") + ": incomplete image data")), "the 840-byte JPEG");
    }

    @Test
    void sharedPhotosClassifyInA256MbHeap() throws Exception {
        List<Path> photos = List.of(SharedData.data("images/cat_720p.jpg"), SharedData.data("images/cat.bmp"));

        List<String> lines = classifyInChild(photos);

        for (Path photo : photos) {
            String name = photo.getFileName().toString();
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(name + " classify: classified as ")), name);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(name + " read whole: decoded ")), name);
        }
    }

    /** The child's lines, printed here with its timings; no Error may escape and the JVM must not die. */
    private static List<String> classifyInChild(List<Path> files) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                SmallHeapTest.class.getName()));
        files.forEach(f -> command.add(f.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        System.out.print(output);
        assertEquals(0, child.exitValue(), output);
        assertFalse(output.contains("ESCAPED"), output);
        return output.lines().filter(l -> !l.startsWith("WARNING")).toList();
    }
}
