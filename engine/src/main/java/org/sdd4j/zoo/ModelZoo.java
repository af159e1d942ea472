package org.sdd4j.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Downloads catalogued checkpoints into a local cache and hands out their paths.
 *
 * <p>Cache layout: {@code <cacheDir>/<model name>/<file name>}, plus {@code config.json} beside the weights
 * for models whose architecture configuration is not inside the checkpoint. The cache folder is, in order
 * of precedence: the builder's {@link Builder#cacheDir}, {@code <system property sdd4j.cache>/models},
 * {@code <environment SDD4J_CACHE>/models}, {@code ~/.cache/sdd4j/models}.
 *
 * <p>Downloads stream into a temporary file in the model's own folder while being hashed, and are moved
 * into place atomically only once verified, so the cache never holds a partial or unverified-but-pinned
 * file, and concurrent pulls of the same model cannot see each other's half-written bytes.
 *
 * <p>A mirror ({@link Builder#baseUrl} or system property {@code sdd4j.zoo.baseUrl}) replaces every
 * official address by {@code <base>/<model name>/<file name>}: this serves air-gapped sites and tests.
 */
public final class ModelZoo {
    /** Environment variable naming the sdd4j cache root; models live in its {@code models} folder. */
    public static final String CACHE_ENV = "SDD4J_CACHE";
    /** System property naming the sdd4j cache root; wins over {@link #CACHE_ENV}. */
    public static final String CACHE_PROPERTY = "sdd4j.cache";
    /** System property naming a mirror that replaces the official download addresses. */
    public static final String BASE_URL_PROPERTY = "sdd4j.zoo.baseUrl";

    private static final int CHUNK = 1 << 16;

    private final ModelCatalogue catalogue;
    private final Path cacheDir;
    private final URI baseUrl; // null: use each entry's official URL
    private final HttpClient http;
    private final Consumer<String> warnings;

    private ModelZoo(Builder b) {
        this.catalogue = b.catalogue != null ? b.catalogue : ModelCatalogue.builtIn();
        this.cacheDir = (b.cacheDir != null ? b.cacheDir : defaultCacheDir()).toAbsolutePath().normalize();
        URI base = b.baseUrl;
        if (base == null) {
            String property = System.getProperty(BASE_URL_PROPERTY);
            if (property != null && !property.isBlank()) {
                base = URI.create(property.trim());
            }
        }
        this.baseUrl = base == null ? null : withTrailingSlash(base);
        this.http = b.http != null ? b.http : HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL) // GitHub raw and Hugging Face redirect to CDNs
                .connectTimeout(Duration.ofSeconds(20))
                .build();
        this.warnings = b.warnings != null ? b.warnings : message -> System.err.println("sdd4j: warning: " + message);
    }

    /** A zoo over the built-in catalogue with the default cache folder and official addresses. */
    public ModelZoo() {
        this(new Builder());
    }

    /**
     * A zoo over the built-in catalogue.
     *
     * @param cacheDir the models folder to use
     * @param baseUrl  a mirror replacing the official addresses, or {@code null} for the official ones
     */
    public ModelZoo(Path cacheDir, URI baseUrl) {
        this(new Builder().cacheDir(Objects.requireNonNull(cacheDir, "cacheDir")).baseUrl(baseUrl));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The cache folder used when none is given: see the class comment for the order of precedence. */
    public static Path defaultCacheDir() {
        String root = System.getProperty(CACHE_PROPERTY);
        if (root == null || root.isBlank()) {
            root = System.getenv(CACHE_ENV);
        }
        if (root != null && !root.isBlank()) {
            return Path.of(root.trim(), "models");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "sdd4j", "models");
    }

    /** All catalogued models, in catalogue order. */
    public List<ModelEntry> list() {
        return catalogue.entries();
    }

    /** The catalogue entry called {@code name}; the exception lists the known names. */
    public ModelEntry entry(String name) {
        return catalogue.get(name);
    }

    /** The models folder this zoo reads and writes. */
    public Path cacheDir() {
        return cacheDir;
    }

    /** Where {@code entry}'s weights live in the cache (whether or not they have been pulled). */
    public Path cachedPath(ModelEntry entry) {
        return cacheDir.resolve(entry.name()).resolve(entry.fileName());
    }

    /** The address {@link #pull} downloads {@code entry} from: the official URL, or the mirror's. */
    public URI downloadUri(ModelEntry entry) {
        return baseUrl == null ? entry.url() : baseUrl.resolve(entry.name() + "/" + entry.fileName());
    }

    /**
     * Makes sure the model called {@code name} is in the cache and returns the path of its weights.
     *
     * <p>A cached file whose digest matches is reused without network access; one that does not match (a
     * corrupted or truncated earlier copy) is downloaded again. Models without a pinned digest are reused
     * as found and produce a warning, since nothing can vouch for their bytes.
     *
     * @throws IllegalArgumentException when no model has that name
     * @throws ModelPullException       when the download fails or does not verify; the message says what to do
     * @throws IOException              when the cache cannot be written
     */
    public Path pull(String name, ProgressListener progress) throws IOException {
        ModelEntry entry = entry(name);
        Objects.requireNonNull(progress, "progress");
        Path target = cachedPath(entry);
        Files.createDirectories(target.getParent());

        if (Files.isRegularFile(target)) {
            if (entry.sha256().isEmpty()) {
                warnings.accept("model '" + entry.name() + "' has no published SHA-256 digest; using the cached file "
                        + target + " unverified");
                writeConfig(entry);
                return target;
            }
            String actual = sha256Of(target);
            if (entry.sha256().get().equals(actual)) {
                writeConfig(entry);
                return target;
            }
            warnings.accept("cached file " + target + " has SHA-256 " + actual + " but model '" + entry.name()
                    + "' should have " + entry.sha256().get() + "; downloading it again");
        }

        URI uri = downloadUri(entry);
        Path part = Files.createTempFile(target.getParent(), entry.fileName() + ".", ".part");
        try {
            String actual = download(entry, uri, target, part, progress);
            if (entry.sha256().isPresent()) {
                if (!entry.sha256().get().equals(actual)) {
                    throw new ModelPullException(ModelPullException.Kind.DIGEST_MISMATCH, "download of model '"
                            + entry.name() + "' from " + uri + " has SHA-256 " + actual + " but expected "
                            + entry.sha256().get() + "; the file was discarded. The server may be serving a "
                            + "different or damaged file.");
                }
            } else {
                warnings.accept("model '" + entry.name() + "' has no published SHA-256 digest, so its download "
                        + "from " + uri + " is unverified (it hashed to " + actual + ")");
            }
            moveIntoPlace(part, target);
        } finally {
            Files.deleteIfExists(part);
        }
        writeConfig(entry);
        return target;
    }

    /** Streams {@code uri} into {@code part}, returning the hex SHA-256 of what was written. */
    private String download(ModelEntry entry, URI uri, Path target, Path part, ProgressListener progress)
            throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("User-Agent", "sdd4j-model-zoo")
                .timeout(Duration.ofMinutes(2)) // until the response headers arrive; the body may take longer
                .GET()
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting to " + uri);
        } catch (IOException e) {
            if (isUnreachable(e)) {
                throw new ModelPullException(ModelPullException.Kind.OFFLINE, "cannot reach " + uri.getHost()
                        + " to download model '" + entry.name() + "' (" + describe(e) + "): this machine appears to "
                        + "be offline. Download " + uri + " on a connected machine and put it at " + target
                        + entry.sha256().map(d -> " (its SHA-256 must be " + d + ")").orElse("")
                        + ", or point -D" + BASE_URL_PROPERTY + " at a reachable mirror.", e);
            }
            throw new ModelPullException(ModelPullException.Kind.TRANSFER,
                    "request for " + uri + " failed: " + describe(e), e);
        }

        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status != 200) {
                throw new ModelPullException(ModelPullException.Kind.HTTP_STATUS, "download of model '" + entry.name()
                        + "' failed: " + uri + " answered HTTP " + status + statusHint(status));
            }
            long total = response.headers().firstValueAsLong("Content-Length")
                    .orElse(entry.sizeBytes().orElse(-1L));
            MessageDigest digest = sha256();
            long done = 0;
            try (OutputStream out = Files.newOutputStream(part)) {
                byte[] buffer = new byte[CHUNK];
                int n;
                while (true) {
                    try {
                        n = body.read(buffer);
                    } catch (IOException e) {
                        throw new ModelPullException(ModelPullException.Kind.TRANSFER, "download of " + uri
                                + " broke off after " + done + " bytes: " + describe(e), e);
                    }
                    if (n < 0) {
                        break;
                    }
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                    done += n;
                    progress.onProgress(done, total);
                }
            }
            if (entry.sizeBytes().isPresent() && entry.sha256().isEmpty() && done != entry.sizeBytes().getAsLong()) {
                // Only checked for unverified entries: with a pinned digest, the digest error says more.
                throw new ModelPullException(ModelPullException.Kind.SIZE_MISMATCH, "download of model '"
                        + entry.name() + "' from " + uri + " is " + done + " bytes but should be "
                        + entry.sizeBytes().getAsLong() + "; the file was discarded.");
            }
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    private static void moveIntoPlace(Path part, Path target) throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Same folder, so only exotic file systems land here; a plain replace is the best they offer.
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes the architecture configuration beside the weights, so a loader needs only the folder. */
    private void writeConfig(ModelEntry entry) throws IOException {
        Optional<String> config = ModelCatalogue.config(entry);
        if (config.isEmpty()) {
            return;
        }
        Path file = cacheDir.resolve(entry.name()).resolve("config.json");
        byte[] bytes = config.get().getBytes(StandardCharsets.UTF_8);
        if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), bytes)) {
            return;
        }
        Path part = Files.createTempFile(file.getParent(), "config.json.", ".part");
        try {
            Files.write(part, bytes);
            moveIntoPlace(part, file);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /** The lower-case hex SHA-256 of a file. */
    static String sha256Of(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[CHUNK];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    /** Whether a failed request never reached the server (as opposed to failing once connected). */
    private static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof UnresolvedAddressException || t instanceof NoRouteToHostException
                    || t instanceof HttpConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        if (message == null && e.getCause() != null) {
            return describe(e.getCause());
        }
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static String statusHint(int status) {
        return switch (status) {
            case 401, 403 -> " (access refused: the repository may be gated or private)";
            case 404 -> " (not found: the file may have moved; check the catalogue entry or use a mirror via -D"
                    + BASE_URL_PROPERTY + ")";
            case 429 -> " (rate limited: try again later)";
            default -> status >= 500 ? " (server error: try again later)" : "";
        };
    }

    private static URI withTrailingSlash(URI uri) {
        String s = uri.toString();
        return s.endsWith("/") ? uri : URI.create(s + "/");
    }

    /** Configures a {@link ModelZoo}; every setting has a default. */
    public static final class Builder {
        private ModelCatalogue catalogue;
        private Path cacheDir;
        private URI baseUrl;
        private HttpClient http;
        private Consumer<String> warnings;

        private Builder() {
        }

        /** The catalogue to serve (default: the built-in one). */
        public Builder catalogue(ModelCatalogue catalogue) {
            this.catalogue = catalogue;
            return this;
        }

        /** The models folder (default: {@link ModelZoo#defaultCacheDir()}). */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = cacheDir;
            return this;
        }

        /** A mirror replacing the official addresses (default: system property {@code sdd4j.zoo.baseUrl}, else none). */
        public Builder baseUrl(URI baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The HTTP client (default: one following redirects, with a 20 s connect timeout). */
        public Builder httpClient(HttpClient http) {
            this.http = http;
            return this;
        }

        /** Where warnings about unverified or replaced files go (default: standard error). */
        public Builder warnings(Consumer<String> warnings) {
            this.warnings = warnings;
            return this;
        }

        public ModelZoo build() {
            return new ModelZoo(this);
        }
    }
}
