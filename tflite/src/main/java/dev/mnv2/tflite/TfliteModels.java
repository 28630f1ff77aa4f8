package dev.mnv2.tflite;

import dev.mnv2.load.Labels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Loads TFLite MobileNetV2 classifiers and Mobile DeepLabv3 segmentation models. {@link dev.mnv2.load.Models}
 * reads {@code .tflite} files through here ({@link TfliteFormat}); call it directly for the stored weight type.
 *
 * <pre>{@code
 * TfliteModel model = TfliteModels.load(Path.of("mobilenet_v2_1.0_224_quant.tflite"));
 * try (ImageClassifier classifier = ImageClassifier.create(model.loaded())) {
 *     List<Classification> top5 = classifier.classify(Path.of("cat.jpg"), 5);
 * }
 * }</pre>
 */
public final class TfliteModels {
    /** Files above this are not MobileNetV2 classifiers (1.4/224 float32 is about 25 MB, width 4 about 220 MB). */
    public static final long MAX_FILE_BYTES = 256L << 20;

    private static final int MAX_LABELS_BYTES = 1 << 24;

    /** Message prefix of a failure that no explicit check caught. */
    static final String UNCHECKED = "malformed TFLite file: ";

    private TfliteModels() {}

    /** Reads the model at {@code path}; I/O problems and malformed files both end in an IOException. */
    public static TfliteModel load(Path path) throws IOException {
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "model file not found");
        }
        if (size > MAX_FILE_BYTES) {
            throw new TfliteFormatException(path + ": " + size + " bytes is too large for a MobileNetV2 model");
        }
        try {
            return load(Files.readAllBytes(path));
        } catch (TfliteFormatException e) {
            throw withFile(path, e);
        }
    }

    /** Reads a model from the bytes of a .tflite file. */
    public static TfliteModel load(byte[] file) throws TfliteFormatException {
        ByteBuffer bytes = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        try {
            return MobileNetV2Importer.importModel(TfliteGraph.parse(bytes), embeddedLabels(file));
        } catch (RuntimeException e) {
            // Every read is checked first, so this is unreachable by design (the fuzz tests assert it);
            // should a gap remain, the caller still gets the one format exception, not a raw runtime error.
            throw new TfliteFormatException(UNCHECKED + e);
        }
    }

    private static TfliteFormatException withFile(Path path, TfliteFormatException e) {
        TfliteFormatException named = e instanceof UnsupportedModelException
                ? new UnsupportedModelException(path + ": " + e.getMessage())
                : new TfliteFormatException(path + ": " + e.getMessage());
        named.setStackTrace(e.getStackTrace());
        return named;
    }

    /**
     * The label file in the zip archive that TFLite metadata appends after the flatbuffer, or an empty list:
     * the only .txt entry, or else the first with more than one line. The importer keeps the labels only
     * when their count equals the class count.
     */
    static List<String> embeddedLabels(byte[] file) {
        int start = zipStart(file);
        if (start < 0) {
            return List.of();
        }
        List<List<String>> candidates = new ArrayList<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(file, start, file.length - start),
                StandardCharsets.UTF_8)) {
            ZipEntry entry;
            long budget = MAX_LABELS_BYTES; // all label files together: a zip bomb must not fill the heap
            while ((entry = zip.getNextEntry()) != null) {
                if (!entry.isDirectory() && entry.getName().toLowerCase(Locale.ROOT).endsWith(".txt")) {
                    byte[] content = zip.readNBytes((int) budget + 1);
                    budget -= content.length;
                    if (budget < 0) {
                        return List.of();
                    }
                    candidates.add(Labels.fromLines(new String(content, StandardCharsets.UTF_8)));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return List.of(); // a damaged metadata archive only costs the labels, not the model
        }
        return candidates.size() == 1 ? candidates.get(0) : candidates.stream()
                .filter(c -> c.size() > 1).findFirst().orElse(List.of());
    }

    /** Start of the appended zip archive, found through its end-of-central-directory record; -1 if none. */
    private static int zipStart(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int lowest = Math.max(0, file.length - 22 - 0xFFFF);
        for (int p = file.length - 22; p >= lowest; p--) {
            if (b.getInt(p) != 0x06054b50 || p + 22 + Short.toUnsignedInt(b.getShort(p + 20)) != file.length) {
                continue;
            }
            long directorySize = Integer.toUnsignedLong(b.getInt(p + 12));
            long directoryOffset = Integer.toUnsignedLong(b.getInt(p + 16));
            long directoryStart = p - directorySize;
            if (directoryStart < 0 || directoryStart + 46 > p || b.getInt((int) directoryStart) != 0x02014b50) {
                return -1;
            }
            // Offsets in the archive are either absolute in the file or relative to the archive's start.
            long firstLocal = Integer.toUnsignedLong(b.getInt((int) directoryStart + 42));
            long prefix = directoryStart - directoryOffset;
            for (long candidate : new long[] {prefix + firstLocal, firstLocal}) {
                if (candidate >= 0 && candidate + 4 <= p && b.getInt((int) candidate) == 0x04034b50) {
                    return (int) candidate;
                }
            }
            return -1;
        }
        return -1;
    }
}
