package dev.mnv2.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassificationMetricsTest {
    @Test
    void countsTopOneTopFiveAndConfusion() {
        ClassificationMetrics m = ClassificationMetrics.of(List.of("a", "b", "c", "d", "e", "f"));
        m.add(0, new float[] {9, 1, 2, 3, 4, 5}, 0);         // right
        m.add(1, new float[] {9, 1, 2, 3, 4, 5}, 0);         // rank 6: wrong, not in top 5
        m.add(2, new float[] {0, 0, 1, 4, 5, 3, 2}, 1);      // offset 1: logits 0,1,4,5,3,2 -> c is 2nd
        m.add(3, new float[] {1, 1, 1, 1, 1, 1}, 0);         // a tie: goes to output 0, d ranks 4th

        assertEquals(4, m.images());
        assertEquals(0.25, m.top1());
        assertEquals(0.75, m.top5());
        assertArrayEquals(new double[] {1, 0, 0, 0, 0, 0}, m.perClassTop1());
        assertArrayEquals(new long[] {1, 0, 0, 0, 0, 0}, m.confusion()[0]);
        assertArrayEquals(new long[] {1, 0, 0, 0, 0, 0}, m.confusion()[1]);
        assertArrayEquals(new long[] {0, 0, 0, 1, 0, 0}, m.confusion()[2]);
        assertArrayEquals(new long[] {1, 0, 0, 0, 0, 0}, m.confusion()[3]);
    }

    @Test
    void outputsThatAreNoClassAreWrongAndCountedAsOther() {
        // Classes "x" and "y" are outputs 3 and 1 of a 4-output model.
        ClassificationMetrics m = ClassificationMetrics.mapped(List.of("x", "y"), 4, new int[] {3, 1});
        m.add(new int[] {0, 1, 1}, 3, new float[] {0, 0, 0, 1, /**/ 0, 2, 0, 1, /**/ 5, 2, 0, 1});
        assertEquals(2.0 / 3, m.top1(), 1e-12);
        assertEquals(1.0, m.top5());
        assertArrayEquals(new long[] {1, 0}, m.confusion()[0]);
        assertArrayEquals(new long[] {0, 1}, m.confusion()[1]);
        assertArrayEquals(new long[] {0, 1}, m.otherPredictions());
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.mapped(List.of("x", "y"), 4, new int[] {1, 1}));
    }

    @Test
    void classFoldersAreMatchedToLabelsByWholeLabelOrFirstName(@TempDir Path dir) throws Exception {
        ImageFolder folder = ImageFolder.open(TestFolders.folder(dir.resolve("data"), 1, 4, "cat", "tabby", "tench"));
        // "cat" is the first name of outputs 3 and 4: the first one; "tabby" is the whole label of output 2
        // and the first name of output 0: the whole label wins.
        List<String> labels = List.of("tabby, tabby cat", "tench, Tinca tinca", "tabby", "cat, house cat", "cat, feline");
        ClassificationMetrics m = ClassificationMetrics.byLabel(folder, labels, "model.onnx");
        m.add(new int[] {0, 1, 2}, 3, new float[] {
            0, 0, 0, 9, 1, // cat: output 3, right
            9, 0, 1, 0, 0, // tabby: output 0 is no class folder, wrong and "other"
            0, 9, 0, 0, 0, // tench: output 1, right
        });
        assertArrayEquals(new double[] {1, 0, 1}, m.perClassTop1());
        assertArrayEquals(new long[] {0, 1, 0}, m.otherPredictions());

        DatasetException none = assertThrows(DatasetException.class,
                () -> ClassificationMetrics.byLabel(folder, List.of(), "model.onnx"));
        assertEquals("model.onnx has no labels to match the class folders of " + folder.root() + " against",
                none.getMessage());
        DatasetException unknown = assertThrows(DatasetException.class,
                () -> ClassificationMetrics.byLabel(folder, List.of("a", "b", "tench", "d", "e"), "model.onnx"));
        assertEquals(folder.root() + ": class folders cat, tabby are not among the 5 labels of model.onnx "
                + "('a', 'b', 'tench', 'd', ...)", unknown.getMessage());
    }
}
