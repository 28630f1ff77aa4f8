package dev.mnv2.cli;

import dev.mnv2.image.ImageReadException;
import dev.mnv2.image.ImageSegmenter;
import dev.mnv2.image.Images;
import dev.mnv2.image.PascalVoc;
import dev.mnv2.image.SegmentationMap;
import dev.mnv2.image.SegmentationOverlay;
import dev.mnv2.image.SegmentationScore;
import dev.mnv2.interop.AtomicFiles;
import dev.mnv2.load.LoadedModel;
import dev.mnv2.load.Models;
import dev.mnv2.zoo.ModelStore;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mnv2 segment}: the class of every pixel of photos, as a mask PNG, an overlay PNG and a summary. */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = "Segment images (JPEG, PNG, BMP) with a pretrained Mobile DeepLabv3 and print, per image, the "
                + "classes present with their pixel counts. The whole photo is fitted into the model's input "
                + "keeping its aspect ratio; the logits are resized bilinearly back to the photo's size before "
                + "the argmax, so masks are the photo's size. A folder stands for its images, as in classify.")
final class SegmentCommand implements Callable<Integer> {
    enum Format { text, json }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME|PATH", defaultValue = ModelStore.DEFAULT_SEGMENTATION_MODEL,
            description = "A segmentation model: a .tflite, .onnx or .safetensors file, or a known name looked up "
                    + "in $MNV2_MODELS, then ~/.cache/mnv2, then downloaded (SHA-256 checked). "
                    + "Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--mask-out", paramLabel = "FILE.png|DIR/",
            description = "Write the mask: 8-bit grayscale PNG the size of the image, pixel value = class index. "
                    + "An existing folder or a name ending in / (created if missing) gets <image name>.mask.png "
                    + "for every image; a .png file name takes one image only.")
    String maskOut;

    @Option(names = "--overlay-out", paramLabel = "FILE.png|DIR/",
            description = "Write the photo blended with the PASCAL VOC colours and a legend of the classes present "
                    + "below it (PNG), named as for --mask-out with .overlay.png.")
    String overlayOut;

    @Option(names = "--truth", paramLabel = "MASK|DIR",
            description = "Score against ground-truth masks (8-bit grayscale or palette, value = class index, "
                    + PascalVoc.IGNORE_LABEL + " not scored): a mask file for one image, or a folder holding "
                    + "<image name>.png or .bmp per image (PASCAL VOC's SegmentationClass). Prints each image's "
                    + "IoU per class and, over all images, the mean IoU as VOC computes it.")
    Path truth;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR", description = "Image files, or folders of images.")
    List<Path> images;

    @Override
    public Integer call() throws IOException {
        List<Path> files = ClassifyCommand.expandFolders(images);
        Map<Path, Path> masks = targets("--mask-out", maskOut, "mask", files);
        Map<Path, Path> overlays = targets("--overlay-out", overlayOut, "overlay", files);
        for (Path image : files) {
            if (masks.containsKey(image) && masks.get(image).equals(overlays.get(image))) {
                throw usage("--mask-out and --overlay-out would both write " + masks.get(image));
            }
        }
        if (truth != null && !Files.isDirectory(truth) && files.size() != 1) {
            throw usage("--truth " + truth + " names one mask but there are " + files.size()
                    + " images; give a folder of masks");
        }
        createFolder(maskOut);
        createFolder(overlayOut);
        LoadedModel loaded = Models.load(model);
        ModelTask.SEGMENTATION.require(spec.commandLine(), model, loaded);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImageReport report = new ImageReport(out, err, format == Format.json);
        SegmentationScore total = null;
        int scored = 0;
        try (ImageSegmenter segmenter = ImageSegmenter.create(loaded)) {
            for (Path image : files) {
                try {
                    BufferedImage photo = Images.read(image);
                    SegmentationMap map = segmenter.segment(photo);
                    Path maskFile = null;
                    SegmentationScore score = null;
                    if (truth != null) {
                        maskFile = truthFor(image);
                        int[] values = truthValues(maskFile, map);
                        try {
                            score = new SegmentationScore(map.labels()).add(map, values);
                        } catch (IllegalArgumentException e) {
                            throw new ImageReadException(maskFile + ": " + e.getMessage(), e);
                        }
                        if (total == null) {
                            total = new SegmentationScore(map.labels());
                        }
                        total.add(map, values);
                        scored++;
                    }
                    Path mask = masks.get(image);
                    if (mask != null) {
                        writePng(map.toMaskImage(), mask);
                    }
                    Path overlay = overlays.get(image);
                    if (overlay != null) {
                        writePng(SegmentationOverlay.render(photo, map), overlay);
                    }
                    if (format == Format.json) {
                        Map<String, Object> result = jsonResult(image, map, mask, overlay);
                        if (score != null) {
                            result.put("score", jsonScore(maskFile, score));
                        }
                        report.add(result);
                    } else {
                        printText(out, image, map, mask, overlay);
                        if (score != null) {
                            out.println("  " + textScore("against " + maskFile, score));
                        }
                    }
                } catch (ImageReadException | OutputException e) {
                    report.failed(image, e);
                }
            }
        }
        if (total == null) {
            return report.finish();
        }
        if (format == Format.text && scored > 1) {
            out.println(textScore("over " + scored + " images", total));
        }
        return report.finish(Map.of("score", jsonScore(truth, total)));
    }

    /** The mask of {@code image}: the --truth file, or its namesake in the --truth folder. */
    private Path truthFor(Path image) throws ImageReadException {
        if (!Files.isDirectory(truth)) {
            return truth;
        }
        for (String extension : List.of(".png", ".bmp")) {
            Path candidate = truth.resolve(stem(image) + extension);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new ImageReadException(image + ": no ground-truth mask " + stem(image) + ".png or .bmp in " + truth);
    }

    private static int[] truthValues(Path maskFile, SegmentationMap map) throws ImageReadException {
        BufferedImage mask = Images.readMask(maskFile);
        try {
            return SegmentationScore.maskValues(mask, map.height(), map.width());
        } catch (IllegalArgumentException e) {
            throw new ImageReadException(maskFile + ": " + e.getMessage(), e);
        }
    }

    private static String textScore(String what, SegmentationScore score) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "mean IoU %s: %.4f, pixel accuracy %.4f;",
                what, score.meanIou(), score.pixelAccuracy()));
        for (SegmentationScore.ClassIou c : score.perClass()) {
            line.append(String.format(Locale.ROOT, " %s %.4f", c.label(), c.iou()));
        }
        return line.toString();
    }

    private static Map<String, Object> jsonScore(Path truth, SegmentationScore score) {
        List<Object> classes = new ArrayList<>();
        for (SegmentationScore.ClassIou c : score.perClass()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("index", c.index());
            entry.put("label", c.label());
            entry.put("iou", Math.round(c.iou() * 1e6) / 1e6);
            entry.put("intersection", c.intersection());
            entry.put("union", c.union());
            classes.add(entry);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("truth", truth.toString());
        result.put("pixels", score.pixels());
        result.put("meanIou", Math.round(score.meanIou() * 1e6) / 1e6);
        result.put("pixelAccuracy", Math.round(score.pixelAccuracy() * 1e6) / 1e6);
        result.put("classes", classes);
        return result;
    }

    /**
     * The file each image's output goes to, or none without the option. A folder (one that exists, or a
     * name ending in a separator, then created) holds {@code <stem>.<kind>.png} per image; otherwise the
     * value is a .png file and there must be one image. Two images that would write one file, and an
     * output that is an input image, are usage errors, found before the model is loaded.
     */
    private Map<Path, Path> targets(String option, String value, String kind, List<Path> files) {
        Map<Path, Path> targets = new LinkedHashMap<>();
        if (value == null) {
            return targets;
        }
        if (isFolder(value)) {
            Path dir = Path.of(value);
            Map<Path, Path> writers = new HashMap<>();
            for (Path image : files) {
                Path target = dir.resolve(stem(image) + "." + kind + ".png");
                Path earlier = writers.putIfAbsent(target.toAbsolutePath().normalize(), image);
                if (earlier != null) {
                    throw usage(option + ": " + earlier + " and " + image + " would both write " + target);
                }
                targets.put(image, target);
            }
        } else {
            if (files.size() != 1) {
                throw usage(option + " " + value + " names one file but there are " + files.size()
                        + " images; give a folder (an existing one, or end the name with /)");
            }
            if (!value.toLowerCase(Locale.ROOT).endsWith(".png")) {
                throw usage(option + " " + value + ": the file must end in .png (or give a folder ending with /)");
            }
            targets.put(files.get(0), Path.of(value));
        }
        for (Path target : targets.values()) {
            for (Path image : files) {
                if (sameFile(target, image)) {
                    throw usage(option + " would overwrite the input image " + image);
                }
            }
        }
        return targets;
    }

    private static boolean isFolder(String value) {
        return value.endsWith("/") || value.endsWith(File.separator) || Files.isDirectory(Path.of(value));
    }

    /** The output folder an option names, made if missing, once every argument has been checked. */
    private static void createFolder(String value) throws IOException {
        if (value == null || !isFolder(value)) {
            return;
        }
        try {
            Files.createDirectories(Path.of(value));
        } catch (IOException e) {
            throw new IOException("cannot create the output folder " + value + " (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ")", e);
        }
    }

    private static String stem(Path image) {
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static boolean sameFile(Path a, Path b) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** A PNG written atomically, so an interrupted run never leaves a truncated file under the name. */
    private static void writePng(BufferedImage image, Path target) throws OutputException {
        try {
            AtomicFiles.write(target, channel -> ImageIO.write(image, "png", Channels.newOutputStream(channel)));
        } catch (IOException e) {
            throw new OutputException(Mnv2.describe(e), e);
        }
    }

    /** A file this command could not write: reported per image, like an unreadable image. */
    private static final class OutputException extends Exception {
        private static final long serialVersionUID = 1L;

        OutputException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static void printText(PrintWriter out, Path image, SegmentationMap map, Path mask, Path overlay) {
        out.printf(Locale.ROOT, "%s  %dx%d%n", image, map.width(), map.height());
        for (SegmentationMap.ClassArea area : map.present()) {
            out.printf(Locale.ROOT, "  %6.2f%%  %3d  %-12s %,d px%n", 100 * area.fraction(), area.index(), area.label(),
                    area.pixels());
        }
        if (mask != null) {
            out.println("  mask: " + mask);
        }
        if (overlay != null) {
            out.println("  overlay: " + overlay);
        }
    }

    private static Map<String, Object> jsonResult(Path image, SegmentationMap map, Path mask, Path overlay) {
        List<Object> classes = new ArrayList<>();
        for (SegmentationMap.ClassArea area : map.present()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("index", area.index());
            entry.put("label", area.label());
            entry.put("pixels", area.pixels());
            entry.put("fraction", Math.round(area.fraction() * 1e6) / 1e6);
            classes.add(entry);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("image", image.toString());
        result.put("width", map.width());
        result.put("height", map.height());
        result.put("classes", classes);
        if (mask != null) {
            result.put("mask", mask.toString());
        }
        if (overlay != null) {
            result.put("overlay", overlay.toString());
        }
        return result;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
