package dev.mnv2.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small image folders written with ImageIO for the data tests. */
final class TestFolders {
    private TestFolders() {}

    /** A random RGB image (seeded). */
    static BufferedImage image(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    static Path write(BufferedImage image, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        String name = file.getFileName().toString();
        String format = name.substring(name.lastIndexOf('.') + 1).toLowerCase(java.util.Locale.ROOT);
        if (!ImageIO.write(image, format.equals("jpg") ? "jpeg" : format, file.toFile())) {
            throw new IOException("no ImageIO writer for " + format);
        }
        return file;
    }

    /** {@code root/<class>/<i>.png}: {@code perClass} random {@code size}×{@code size} PNGs in each class. */
    static Path folder(Path root, int perClass, int size, String... classes) throws IOException {
        long seed = 1;
        for (String c : classes) {
            for (int i = 0; i < perClass; i++) {
                write(image(size, size, seed++), root.resolve(c).resolve(String.format("%03d.png", i)));
            }
        }
        return root;
    }
}
