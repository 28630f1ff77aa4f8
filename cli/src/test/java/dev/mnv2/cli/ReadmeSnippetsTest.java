package dev.mnv2.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the README compiles against the library as it is: its imports on top, the
 * rest as the body of a method, so a renamed class, a changed signature or a missing import fails here.
 */
class ReadmeSnippetsTest {
    @TempDir
    Path dir;

    private static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        int at = 0;
        while ((at = markdown.indexOf("```java\n", at)) >= 0) {
            int start = at + "```java\n".length();
            int end = markdown.indexOf("\n```", start);
            blocks.add(markdown.substring(start, end + 1));
            at = end;
        }
        return blocks;
    }

    @Test
    void everyJavaBlockOfTheReadmeCompiles() throws IOException {
        List<String> blocks = javaBlocks(Files.readString(Path.of("README.md"), StandardCharsets.UTF_8));
        assertTrue(blocks.size() >= 5, "found " + blocks.size() + " Java blocks in README.md");
        List<Path> sources = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            StringBuilder imports = new StringBuilder();
            StringBuilder body = new StringBuilder();
            for (String line : blocks.get(i).split("\n")) {
                (line.startsWith("import ") ? imports : body).append(line).append('\n');
            }
            String name = "ReadmeSnippet" + (i + 1);
            sources.add(Files.writeString(dir.resolve(name + ".java"), imports + "\nclass " + name + " {\n"
                    + "    static void run() throws Exception {\n" + body + "    }\n}\n"));
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        boolean compiled;
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT,
                StandardCharsets.UTF_8)) {
            compiled = compiler.getTask(null, files, diagnostics,
                    List.of("-classpath", System.getProperty("java.class.path"), "-d",
                            Files.createDirectories(dir.resolve("classes")).toString(), "-proc:none"),
                    null, files.getJavaFileObjectsFromPaths(sources)).call();
        }
        assertTrue(compiled, diagnostics.getDiagnostics().stream()
                .map(d -> d.getSource().getName().replaceAll(".*/", "") + ":" + d.getLineNumber() + ": "
                        + d.getMessage(Locale.ROOT))
                .collect(Collectors.joining("\n")));
    }
}
