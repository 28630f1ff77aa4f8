package dev.mnv2.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.mnv2.testing.SharedData;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Name resolution and downloads against a local HTTP server on 127.0.0.1 (no other network is used). */
class ModelStoreTest {
    private static final byte[] GOOD = "pretend these are model weights".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile byte[] served = GOOD;
    private volatile int status = 200;
    private volatile boolean dropConnection;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/models/", exchange -> {
            requests.incrementAndGet();
            byte[] body = served;
            if (dropConnection) {
                exchange.sendResponseHeaders(200, body.length); // promise the whole file, send half, hang up
                exchange.getResponseBody().write(body, 0, body.length / 2);
                exchange.getResponseBody().flush();
                exchange.getHttpContext().getServer().stop(0);
                return;
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private KnownModel model() throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(GOOD));
        return new KnownModel("tiny_model", "tiny_model.tflite", "files/tiny_model.tflite", sha, "test model");
    }

    private ModelStore store(URI base, Path... search) throws Exception {
        return new ModelStore(List.of(model()), List.of(search), dir.resolve("cache"), base, Duration.ofSeconds(5));
    }

    private URI local() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/models/");
    }

    @Test
    void downloadsVerifiesAndCachesAKnownName() throws Exception {
        ModelStore store = store(local());

        Path file = store.resolve("tiny_model");

        assertEquals(dir.resolve("cache").resolve("tiny_model.tflite"), file);
        assertArrayEquals(GOOD, Files.readAllBytes(file));
        assertEquals(1, requests.get());
        assertEquals(file, store.resolve("tiny_model.tflite"), "second lookup (by file name) hits the cache");
        assertEquals(1, requests.get());
        assertEquals(List.of(file), cacheFiles());
    }

    @Test
    void searchFolderComesBeforeCacheAndNetwork() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("models"));
        Files.write(folder.resolve("tiny_model.tflite"), GOOD);

        assertEquals(folder.resolve("tiny_model.tflite"), store(local(), folder).resolve("tiny_model"));
        assertEquals(0, requests.get());
    }

    @Test
    void wrongBytesAreRejectedAndNothingStaysInTheCache() throws Exception {
        served = "tampered".getBytes(StandardCharsets.UTF_8);

        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> store(local()).resolve("tiny_model"));

        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        assertTrue(e.getMessage().contains("put tiny_model.tflite into"), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void httpErrorIsReportedAndNothingStaysInTheCache() throws Exception {
        status = 404;

        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> store(local()).resolve("tiny_model"));

        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void interruptedTransferLeavesNoPartialFile() throws Exception {
        dropConnection = true;

        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> store(local()).resolve("tiny_model"));

        assertTrue(e.getMessage().contains("cannot download model 'tiny_model'"), e.getMessage());

        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void unreachableServerSaysWhereToPutTheFile() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        ModelStore store = store(URI.create("http://127.0.0.1:" + closedPort + "/models/"));

        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> store.resolve("tiny_model"));

        assertTrue(e.getMessage().contains("cannot download model 'tiny_model'"), e.getMessage());
        assertTrue(e.getMessage().contains("offline"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("cache").toString()), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void damagedCacheEntryIsFetchedAgain() throws Exception {
        Files.createDirectories(dir.resolve("cache"));
        Files.writeString(dir.resolve("cache").resolve("tiny_model.tflite"), "half a file");

        Path file = store(local()).resolve("tiny_model");

        assertArrayEquals(GOOD, Files.readAllBytes(file));
        assertEquals(1, requests.get());
    }

    @Test
    void pathsAreUsedAsTheyAreAndUnknownNamesListTheKnownOnes() throws Exception {
        Path own = Files.write(dir.resolve("mine.tflite"), GOOD);
        ModelStore store = store(local());

        assertEquals(own, store.resolve(own.toString()));
        ModelNotFoundException missing = assertThrows(ModelNotFoundException.class,
                () -> store.resolve(dir.resolve("absent.tflite").toString()));
        assertTrue(missing.getMessage().startsWith("model file not found"), missing.getMessage());
        for (String fileName : new String[] {"weights.bin", "model.pt", "net.ONNX"}) {
            ModelNotFoundException absent = assertThrows(ModelNotFoundException.class, () -> store.resolve(fileName));
            assertTrue(absent.getMessage().equals("model file not found: " + fileName), absent.getMessage());
        }
        ModelNotFoundException unknown = assertThrows(ModelNotFoundException.class,
                () -> store.resolve("mobilenet_v2_0.5_160"));
        assertTrue(unknown.getMessage().contains("unknown model 'mobilenet_v2_0.5_160'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("tiny_model"), unknown.getMessage());
        assertEquals(0, requests.get());
    }

    @Test
    void publishedModelsPointAtTheirOfficialFiles() {
        ModelStore store = ModelStore.defaults();
        KnownModel quant = store.find(ModelStore.DEFAULT_MODEL).orElseThrow();
        assertEquals("7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776", quant.sha256());
        assertEquals(URI.create("https://raw.githubusercontent.com/google-coral/test_data/master/mobilenet_v2_1.0_224_quant.tflite"),
                ModelStore.DEFAULT_BASE_URL.resolve(quant.path()));
        KnownModel deeplab = store.find(ModelStore.DEFAULT_SEGMENTATION_MODEL).orElseThrow();
        assertEquals("350af47fd346ea6d74b58833a351f583ba860e9806ec5bd292ff8d8f1f249398", deeplab.sha256());
        assertEquals(URI.create("https://raw.githubusercontent.com/google-coral/test_data/master/deeplabv3_mnv2_pascal_quant.tflite"),
                ModelStore.DEFAULT_BASE_URL.resolve(deeplab.path()));
    }

    /** The checksums typed into {@link ModelStore#KNOWN} are those of the published files themselves. */
    @Test
    void everyKnownModelsChecksumIsThatOfItsPublishedFile() throws IOException {
        for (KnownModel m : ModelStore.KNOWN) {
            assertEquals(m.sha256(), ModelStore.sha256(SharedData.model(m.fileName())), m.name());
        }
    }

    private List<Path> cacheFiles() throws IOException {
        Path cache = dir.resolve("cache");
        if (!Files.isDirectory(cache)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(cache)) {
            return files.toList();
        }
    }
}
