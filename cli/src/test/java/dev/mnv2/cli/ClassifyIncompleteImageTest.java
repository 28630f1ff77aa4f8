package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mnv2.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A truncated photo is an error of one line and exit code 1, not a guess from libjpeg's grey fill. */
class ClassifyIncompleteImageTest {
    @TempDir
    Path dir;

    @Test
    void truncatedJpegFailsWithOneLine() throws Exception {
        SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        byte[] photo = Files.readAllBytes(SharedData.data("images/cat_720p.jpg"));
        Path cut = Files.write(dir.resolve("cat_first_20k.jpg"), Arrays.copyOf(photo, 20_000));

        CliRun run = CliRun.of("classify", cut.toString());

        assertEquals(1, run.exitCode(), run.out());
        assertEquals("", run.out());
        assertEquals("mnv2: " + cut + ": incomplete image data (Corrupt JPEG data: premature end of data segment)",
                run.err().strip());
    }
}
