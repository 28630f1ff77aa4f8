package dev.mnv2.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path dir;

    @Test
    void classesAreSortedByNameAndImagesByFileNameWithAnyCaseOfExtension() throws Exception {
        TestFolders.write(TestFolders.image(4, 4, 1), dir.resolve("zebra/b.PNG"));
        TestFolders.write(TestFolders.image(4, 4, 2), dir.resolve("zebra/a.bmp"));
        TestFolders.write(TestFolders.image(4, 4, 3), dir.resolve("ant/x.JPeG"));
        TestFolders.write(TestFolders.image(4, 4, 4), dir.resolve("ant/w.jpg"));
        TestFolders.write(TestFolders.image(4, 4, 5), dir.resolve("mole/only.png"));
        Files.writeString(dir.resolve("ant/notes.txt"), "not an image");
        Files.writeString(dir.resolve("README"), "a file beside the classes");

        ImageFolder folder = ImageFolder.open(dir);

        assertEquals(List.of("ant", "mole", "zebra"), folder.classes());
        assertEquals(5, folder.size());
        assertEquals(List.of("w.jpg", "x.JPeG", "only.png", "a.bmp", "b.PNG"),
                folder.samples().stream().map(s -> s.path().getFileName().toString()).toList());
        assertEquals(List.of(0, 0, 1, 2, 2), folder.samples().stream().map(ImageFolder.Sample::label).toList());
        assertArrayEquals(new int[] {2, 1, 2}, folder.countPerClass());
    }

    @Test
    void limitPerClassIsAFunctionOfTheSeed() throws Exception {
        ImageFolder folder = ImageFolder.open(TestFolders.folder(dir, 12, 2, "a", "b", "c"));
        ImageFolder first = folder.limitPerClass(5, 7);
        ImageFolder again = folder.limitPerClass(5, 7);
        ImageFolder other = folder.limitPerClass(5, 8);

        assertEquals(first.samples(), again.samples());
        assertNotEquals(first.samples(), other.samples());
        assertArrayEquals(new int[] {5, 5, 5}, first.countPerClass());
        assertEquals(folder.classes(), first.classes());
        assertTrue(folder.samples().containsAll(first.samples()));
        assertEquals(folder.samples(), folder.limitPerClass(100, 7).samples(), "a larger limit keeps everything");
    }

    @Test
    void brokenFoldersAreOneLineErrorsNamingThePath() throws Exception {
        Path missing = dir.resolve("nowhere");
        assertMessage(missing + ": dataset folder not found", () -> ImageFolder.open(missing));

        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        assertMessage(file + ": not a folder", () -> ImageFolder.open(file));

        Path flat = dir.resolve("flat");
        TestFolders.write(TestFolders.image(2, 2, 1), flat.resolve("a.png"));
        assertMessage(flat + ": no class folders", () -> ImageFolder.open(flat));

        Path emptyClass = dir.resolve("empty");
        TestFolders.write(TestFolders.image(2, 2, 1), emptyClass.resolve("cat/a.png"));
        Files.createDirectories(emptyClass.resolve("dog"));
        Files.writeString(emptyClass.resolve("dog/readme.txt"), "x");
        assertMessage(emptyClass.resolve("dog") + ": class folder without images", () -> ImageFolder.open(emptyClass));
    }

    private static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable call) {
        DatasetException e = assertThrows(DatasetException.class, call);
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
