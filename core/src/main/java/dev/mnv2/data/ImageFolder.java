package dev.mnv2.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A labelled image dataset in the common folder layout {@code DIR/<class>/<image>}: one subfolder per
 * class, classes in name order (label i = the i-th name), images with a {@code .jpg}, {@code .jpeg},
 * {@code .png} or {@code .bmp} name (any case) in name order within each class. Other files and deeper
 * folders are ignored. Immutable.
 *
 * <pre>{@code
 * ImageFolder train = ImageFolder.open(Path.of("cifar10/train")).limitPerClass(500, 42);
 * }</pre>
 */
public final class ImageFolder {
    /** The name endings, compared case-insensitively, of the files counted as images. */
    public static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp");

    /** One image and its class. */
    public record Sample(Path path, int label) {}

    private final Path root;
    private final List<String> classes;
    private final List<Sample> samples;

    private ImageFolder(Path root, List<String> classes, List<Sample> samples) {
        this.root = root;
        this.classes = classes;
        this.samples = samples;
    }

    /** Lists {@code root}; a missing folder, one without class folders or a class folder without images fails. */
    public static ImageFolder open(Path root) {
        if (!Files.exists(root)) {
            throw new DatasetException(root + ": dataset folder not found");
        }
        if (!Files.isDirectory(root)) {
            throw new DatasetException(root + ": not a folder (expected DIR/<class>/<images>)");
        }
        List<Path> classDirs = list(root).stream().filter(Files::isDirectory).sorted().toList();
        if (classDirs.isEmpty()) {
            throw new DatasetException(root + ": no class folders (expected DIR/<class>/<images>)");
        }
        List<String> classes = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (Path classDir : classDirs) {
            List<Path> images = list(classDir).stream()
                    .filter(f -> isImageName(f) && Files.isRegularFile(f)).sorted().toList();
            if (images.isEmpty()) {
                throw new DatasetException(classDir + ": class folder without images ("
                        + String.join(", ", IMAGE_EXTENSIONS) + ")");
            }
            int label = classes.size();
            classes.add(classDir.getFileName().toString());
            for (Path image : images) {
                samples.add(new Sample(image, label));
            }
        }
        return new ImageFolder(root, List.copyOf(classes), List.copyOf(samples));
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.toList();
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(dir + ": cannot list the folder (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    static boolean isImageName(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    public Path root() {
        return root;
    }

    /** Class names in label order. */
    public List<String> classes() {
        return classes;
    }

    public int size() {
        return samples.size();
    }

    public Sample sample(int index) {
        return samples.get(index);
    }

    /** All samples, grouped by class in label order, each class's images in name order. */
    public List<Sample> samples() {
        return samples;
    }

    /** Images per class, in label order. */
    public int[] countPerClass() {
        int[] counts = new int[classes.size()];
        for (Sample s : samples) {
            counts[s.label()]++;
        }
        return counts;
    }

    /**
     * At most {@code n} images of each class, chosen at random as a function of {@code seed} alone (the same
     * seed picks the same files), kept in name order; a class with fewer keeps all of them. The classes stay
     * the same, so labels do not change.
     */
    public ImageFolder limitPerClass(int n, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("images per class must be at least 1, got " + n);
        }
        List<Sample> kept = new ArrayList<>();
        int start = 0;
        for (int label = 0; label < classes.size(); label++) {
            int end = start;
            while (end < samples.size() && samples.get(end).label() == label) {
                end++;
            }
            List<Integer> positions = new ArrayList<>();
            for (int i = start; i < end; i++) {
                positions.add(i);
            }
            // Each class draws from its own stream, so one class's size does not change another's choice.
            Collections.shuffle(positions, new Random(Seeds.mix(seed, label)));
            List<Integer> chosen = new ArrayList<>(positions.subList(0, Math.min(n, positions.size())));
            Collections.sort(chosen);
            for (int i : chosen) {
                kept.add(samples.get(i));
            }
            start = end;
        }
        return new ImageFolder(root, classes, List.copyOf(kept));
    }
}
