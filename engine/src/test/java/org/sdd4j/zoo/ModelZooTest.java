package org.sdd4j.zoo;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Pulls through a loopback HTTP mirror serving the real checkpoints from the shared folder. */
class ModelZooTest {
    private static final String AASIST_L_SHA256 = "814331d088032bb4c3fa61cc014789eadeed464209dd094ab3a2dd6ffbdce27a";

    @TempDir
    Path cache;

    private Path models;
    private HttpServer server;
    private final Map<String, Path> served = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> warnings = new ArrayList<>();

    @BeforeEach
    void startMirror() throws IOException {
        Path shared = Path.of(System.getProperty("sdd4j.shared", "../../shared"));
        models = shared.resolve("models");
        assumeTrue(Files.isRegularFile(models.resolve("aasist/AASIST-L.pth")),
                "shared checkpoints not found under " + models.toAbsolutePath() + " (set -Dsdd4j.shared); skipping");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            Path file = served.get(exchange.getRequestURI().getPath());
            try (exchange) {
                if (file == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, Files.size(file));
                try (OutputStream out = exchange.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stopMirror() {
        if (server != null) {
            server.stop(0);
        }
    }

    private URI mirror() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mirror");
    }

    private ModelZoo zoo(URI base) {
        return ModelZoo.builder().cacheDir(cache).baseUrl(base).warnings(warnings::add).build();
    }

    @Test
    void pullsAasistLThroughTheMirrorAndVerifiesIt() throws IOException {
        served.put("/mirror/aasist-l/AASIST-L.pth", models.resolve("aasist/AASIST-L.pth"));
        AtomicLong lastDone = new AtomicLong(-1);
        AtomicLong lastTotal = new AtomicLong(-2);
        AtomicInteger calls = new AtomicInteger();

        Path pulled = zoo(mirror()).pull("aasist-l", (done, total) -> {
            assertTrue(done > lastDone.get(), "progress must advance");
            lastDone.set(done);
            lastTotal.set(total);
            calls.incrementAndGet();
        });

        assertEquals(cache.resolve("aasist-l").resolve("AASIST-L.pth"), pulled);
        assertEquals(AASIST_L_SHA256, ModelZoo.sha256Of(pulled));
        assertArrayEquals(Files.readAllBytes(models.resolve("aasist/AASIST-L.pth")), Files.readAllBytes(pulled));
        assertEquals(426_428L, lastDone.get());
        assertEquals(426_428L, lastTotal.get());
        assertTrue(calls.get() >= 2, "a 416 KB file arrives in several chunks");
        assertTrue(Files.readString(cache.resolve("aasist-l/config.json")).contains("\"gat_dims\": [24, 32]"));
        assertEquals(List.of(), warnings);
        assertNoPartFiles();
    }

    @Test
    void cachedVerifiedFileIsReusedWithoutNetwork() throws IOException {
        served.put("/mirror/aasist-l/AASIST-L.pth", models.resolve("aasist/AASIST-L.pth"));
        ModelZoo zoo = zoo(mirror());
        Path first = zoo.pull("aasist-l", ProgressListener.NONE);
        assertEquals(1, requests.get());

        AtomicInteger progressCalls = new AtomicInteger();
        Path second = zoo.pull("aasist-l", (done, total) -> progressCalls.incrementAndGet());
        assertEquals(first, second);
        assertEquals(1, requests.get(), "a verified cached file must not be downloaded again");
        assertEquals(0, progressCalls.get());
    }

    @Test
    void corruptedCachedFileIsDownloadedAgain() throws IOException {
        served.put("/mirror/aasist-l/AASIST-L.pth", models.resolve("aasist/AASIST-L.pth"));
        Path target = cache.resolve("aasist-l/AASIST-L.pth");
        Files.createDirectories(target.getParent());
        Files.write(target, new byte[] {1, 2, 3});

        Path pulled = zoo(mirror()).pull("aasist-l", ProgressListener.NONE);

        assertEquals(1, requests.get());
        assertEquals(AASIST_L_SHA256, ModelZoo.sha256Of(pulled));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("downloading it again"), warnings.getFirst());
    }

    @Test
    void digestMismatchDiscardsTheDownloadAndNamesBothDigests() throws IOException {
        // The mirror serves the full AASIST under AASIST-L's name.
        served.put("/mirror/aasist-l/AASIST-L.pth", models.resolve("aasist/AASIST.pth"));
        String wrong = ModelZoo.sha256Of(models.resolve("aasist/AASIST.pth"));

        ModelPullException e = assertThrows(ModelPullException.class,
                () -> zoo(mirror()).pull("aasist-l", ProgressListener.NONE));

        assertEquals(ModelPullException.Kind.DIGEST_MISMATCH, e.kind());
        assertTrue(e.getMessage().contains(AASIST_L_SHA256) && e.getMessage().contains(wrong), e.getMessage());
        assertTrue(Files.notExists(cache.resolve("aasist-l/AASIST-L.pth")));
        assertNoPartFiles();
    }

    @Test
    void httpErrorNamesUrlAndStatus() {
        ModelPullException e = assertThrows(ModelPullException.class,
                () -> zoo(mirror()).pull("aasist", ProgressListener.NONE));

        assertEquals(ModelPullException.Kind.HTTP_STATUS, e.kind());
        assertTrue(e.getMessage().contains(mirror() + "/aasist/AASIST.pth"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertNoPartFiles();
    }

    @Test
    void unreachableServerSaysOfflineAndWhereToPutTheFile() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        ModelZoo zoo = zoo(URI.create("http://127.0.0.1:" + closedPort + "/"));

        ModelPullException e = assertThrows(ModelPullException.class, () -> zoo.pull("aasist-l", ProgressListener.NONE));

        assertEquals(ModelPullException.Kind.OFFLINE, e.kind());
        assertTrue(e.getMessage().contains("appears to be offline"), e.getMessage());
        assertTrue(e.getMessage().contains(cache.resolve("aasist-l/AASIST-L.pth").toString()), e.getMessage());
        assertTrue(e.getMessage().contains(AASIST_L_SHA256), e.getMessage());
        assertNoPartFiles();
    }

    @Test
    void unverifiedModelIsPulledWithAWarningGivingItsDigest() throws IOException {
        ModelEntry unpinned = new ModelEntry("unpinned", ModelFamily.AASIST, "test entry",
                URI.create("https://example.org/weights/best.pth"), "best.pth", OptionalLong.of(1_275_639L),
                Optional.empty(), "MIT", URI.create("https://example.org"), Optional.empty());
        served.put("/mirror/unpinned/best.pth", models.resolve("asvspoof5-aasist/best.pth"));
        ModelZoo zoo = ModelZoo.builder().catalogue(ModelCatalogue.of(List.of(unpinned))).cacheDir(cache)
                .baseUrl(mirror()).warnings(warnings::add).build();

        Path pulled = zoo.pull("unpinned", ProgressListener.NONE);

        String digest = ModelZoo.sha256Of(models.resolve("asvspoof5-aasist/best.pth"));
        assertEquals(digest, ModelZoo.sha256Of(pulled));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("unverified") && warnings.getFirst().contains(digest), warnings.getFirst());
    }

    private void assertNoPartFiles() {
        try (Stream<Path> files = Files.walk(cache)) {
            List<Path> parts = files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
            assertEquals(List.of(), parts, "temporary download files must be removed");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
