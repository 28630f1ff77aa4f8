package dev.mnv2.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Resolves {@code --model} arguments the way Keras and torchvision resolve pretrained weights: a path is
 * used as it is; a known name is looked up in the search folders ($MNV2_MODELS), then in the cache
 * (~/.cache/mnv2), and otherwise downloaded from its official URL into the cache. A download goes to a
 * temporary file in the cache folder, is checked against the published SHA-256, and only then moved into
 * place atomically, so an interrupted or corrupted download never stays in the cache.
 *
 * <p>This lives in core, not in a format module, because it knows only files, names and checksums; reading
 * the file is {@link dev.mnv2.load.Models}'s job, which resolves names here for every format.
 */
public final class ModelStore {
    /** Official home of the published models: the raw files of the public GitHub repository google-coral/test_data. */
    public static final URI DEFAULT_BASE_URL = URI.create("https://raw.githubusercontent.com/google-coral/test_data/master/");

    /** System property overriding the base URL (tests, mirrors). */
    public static final String BASE_URL_PROPERTY = "mnv2.models.url";

    /** The classifier used when none is named. */
    public static final String DEFAULT_MODEL = "mobilenet_v2_1.0_224_quant";

    /** The published segmentation model: Mobile DeepLabv3, the default of {@code mnv2 segment}. */
    public static final String DEFAULT_SEGMENTATION_MODEL = "deeplabv3_mnv2_pascal_quant";

    public static final List<KnownModel> KNOWN = List.of(
            new KnownModel(DEFAULT_MODEL, "mobilenet_v2_1.0_224_quant.tflite", "mobilenet_v2_1.0_224_quant.tflite",
                    "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776",
                    "MobileNetV2 1.0/224 ImageNet, TF1 quantisation-aware uint8, 1001 classes"),
            new KnownModel("tf2_mobilenet_v2_1.0_224_ptq", "tf2_mobilenet_v2_1.0_224_ptq.tflite",
                    "tf2_mobilenet_v2_1.0_224_ptq.tflite",
                    "5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c",
                    "MobileNetV2 1.0/224 ImageNet, TF2 post-training int8 per-channel, 1001 classes"),
            new KnownModel(DEFAULT_SEGMENTATION_MODEL, "deeplabv3_mnv2_pascal_quant.tflite",
                    "deeplabv3_mnv2_pascal_quant.tflite",
                    "350af47fd346ea6d74b58833a351f583ba860e9806ec5bd292ff8d8f1f249398",
                    "Mobile DeepLabv3 (MobileNetV2 1.0, output stride 16) PASCAL VOC 2012, 513x513, uint8, 21 classes"));

    private static final Pattern FILE_EXTENSION = Pattern.compile("\\.[A-Za-z][A-Za-z0-9]*$");

    /** No MobileNetV2 file comes near this; a server sending more is not sending the model. */
    private static final long MAX_DOWNLOAD_BYTES = 256L << 20;

    private final List<KnownModel> known;
    private final List<Path> searchFolders;
    private final Path cache;
    private final URI baseUrl;
    private final Duration timeout;

    public ModelStore(List<KnownModel> known, List<Path> searchFolders, Path cache, URI baseUrl, Duration timeout) {
        this.known = List.copyOf(known);
        this.searchFolders = List.copyOf(searchFolders);
        this.cache = Objects.requireNonNull(cache, "cache");
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The store users get: $MNV2_MODELS, then ~/.cache/mnv2 (or $XDG_CACHE_HOME/mnv2), then the official URL. */
    public static ModelStore defaults() {
        List<Path> search = new ArrayList<>();
        String models = System.getenv("MNV2_MODELS");
        if (models != null && !models.isBlank()) {
            search.add(Path.of(models));
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cacheRoot = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        String url = System.getProperty(BASE_URL_PROPERTY);
        URI base = url != null && !url.isBlank() ? URI.create(url.endsWith("/") ? url : url + "/") : DEFAULT_BASE_URL;
        return new ModelStore(KNOWN, search, cacheRoot.resolve("mnv2"), base, Duration.ofSeconds(30));
    }

    public List<KnownModel> known() {
        return known;
    }

    public Path cache() {
        return cache;
    }

    /** The known model called {@code name} (with or without its file extension). */
    public Optional<KnownModel> find(String name) {
        return known.stream().filter(m -> m.name().equals(name) || m.fileName().equals(name)).findFirst();
    }

    /**
     * The file for {@code nameOrPath}: an existing path, or a known model found locally or downloaded.
     * Anything else is a {@link ModelNotFoundException} saying what was tried and what to do.
     */
    public Path resolve(String nameOrPath) throws ModelNotFoundException {
        Optional<KnownModel> model = find(nameOrPath);
        if (model.isEmpty()) {
            Path path = Path.of(nameOrPath);
            if (Files.isRegularFile(path)) {
                return path;
            }
            if (looksLikePath(nameOrPath) || Files.exists(path)) {
                throw new ModelNotFoundException("model file not found: " + nameOrPath);
            }
            throw new ModelNotFoundException("unknown model '" + nameOrPath + "'; give a path to a model file or one of: "
                    + known.stream().map(KnownModel::name).collect(Collectors.joining(", ")));
        }
        KnownModel m = model.get();
        for (Path folder : searchFolders) {
            Path candidate = folder.resolve(m.fileName());
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        Path cached = cache.resolve(m.fileName());
        if (Files.isRegularFile(cached)) {
            try {
                if (sha256(cached).equals(m.sha256())) {
                    return cached;
                }
                Files.delete(cached); // damaged cache entry: fetch it again
            } catch (IOException e) {
                throw new ModelNotFoundException("cannot read cached model " + cached + ": " + e.getMessage(), e);
            }
        }
        return download(m);
    }

    /** Downloads {@code m} into the cache, verified; returns the cached file. */
    public Path download(KnownModel m) throws ModelNotFoundException {
        URI url = baseUrl.resolve(m.path());
        Path temp = null;
        try {
            Files.createDirectories(cache);
            temp = Files.createTempFile(cache, m.fileName() + ".", ".part");
            String digest = fetch(url, temp);
            if (!digest.equals(m.sha256())) {
                throw new IOException("the downloaded file's SHA-256 is " + digest + ", expected " + m.sha256());
            }
            Path target = cache.resolve(m.fileName());
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new ModelNotFoundException("cannot download model '" + m.name() + "' from " + url + " ("
                    + reason(e) + "); download it yourself and put " + m.fileName() + " into "
                    + (searchFolders.isEmpty() ? "" : searchFolders.get(0) + " or ") + cache
                    + " (or set MNV2_MODELS to its folder)", e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // nothing more to do: it is a .part file that resolve() never returns
                }
            }
        }
    }

    /** Streams {@code url} into {@code target}; returns the SHA-256 of what arrived. */
    private String fetch(URI url, Path target) throws IOException {
        // HttpURLConnection rather than java.net.http: it exists on every JVM, Android's included.
        HttpURLConnection connection = (HttpURLConnection) url.toURL().openConnection();
        connection.setConnectTimeout((int) timeout.toMillis());
        connection.setReadTimeout((int) timeout.toMillis());
        connection.setInstanceFollowRedirects(true);
        try {
            int status = connection.getResponseCode();
            if (status != HttpURLConnection.HTTP_OK) {
                throw new IOException("HTTP " + status);
            }
            MessageDigest sha = newSha256();
            long total = 0;
            try (InputStream in = new DigestInputStream(connection.getInputStream(), sha);
                 OutputStream out = Files.newOutputStream(target)) {
                byte[] chunk = new byte[1 << 16];
                int n;
                while ((n = in.read(chunk)) > 0) {
                    total += n;
                    if (total > MAX_DOWNLOAD_BYTES) {
                        throw new IOException("the server sent more than " + MAX_DOWNLOAD_BYTES + " bytes");
                    }
                    out.write(chunk, 0, n);
                }
            }
            long expected = connection.getContentLengthLong();
            if (expected >= 0 && total != expected) {
                throw new IOException("the transfer ended after " + total + " of " + expected + " bytes");
            }
            return HexFormat.of().formatHex(sha.digest());
        } finally {
            connection.disconnect();
        }
    }

    /** Lower-case hex SHA-256 of a file. */
    public static String sha256(Path file) throws IOException {
        MessageDigest sha = newSha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * A folder separator or a file extension (a dot and a letter, then letters and digits: {@code .onnx},
     * not the {@code .0_224} of a model name) makes an argument a path, whatever the formats are.
     */
    private static boolean looksLikePath(String s) {
        return s.contains("/") || s.contains("\\") || FILE_EXTENSION.matcher(s).find();
    }

    private static String reason(IOException e) {
        String message = e.getMessage();
        boolean blank = message == null || message.isBlank();
        if (e instanceof ConnectException || e instanceof UnknownHostException || e instanceof NoRouteToHostException) {
            return "cannot connect, offline or host unreachable" + (blank ? "" : ": " + message);
        }
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        return blank ? e.getClass().getSimpleName() : message;
    }
}
