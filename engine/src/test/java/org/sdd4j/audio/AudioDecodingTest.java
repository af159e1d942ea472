package org.sdd4j.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fixture decodes bit-exactly to the mono float32 samples soundfile (libsndfile) produces, as
 * recorded by tools/scripts/make_audio_fixtures.py in audio/expected.json.
 */
class AudioDecodingTest {

    static Path resourceDir() throws URISyntaxException {
        return Path.of(AudioDecodingTest.class.getResource("/audio/expected.json").toURI()).getParent();
    }

    static Path sharedClips() {
        return Path.of(System.getProperty("sdd4j.shared", "../shared"), "fixtures", "audio");
    }

    private static JsonNode expected() throws Exception {
        return new ObjectMapper().readTree(resourceDir().resolve("expected.json").toFile());
    }

    static Stream<Arguments> fixtures() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode e : expected().get("files")) {
            out.add(Arguments.of(e.get("file").asText(), e));
        }
        return out.stream();
    }

    static Stream<Arguments> sharedFixtures() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode e : expected().get("sharedClips")) {
            out.add(Arguments.of(e.get("file").asText(), e));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void decodesGeneratedFixturesLikeSoundfile(String name, JsonNode expected) throws Exception {
        check(AudioReader.read(resourceDir().resolve(name)), expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sharedFixtures")
    void decodesSharedClipsLikeSoundfile(String name, JsonNode expected) throws Exception {
        Path clip = sharedClips().resolve(name);
        assumeTrue(Files.isRegularFile(clip), "shared clip " + clip + " missing: set -Dsdd4j.shared to the shared folder");
        check(AudioReader.read(clip), expected);
    }

    private static void check(AudioClip clip, JsonNode expected) throws Exception {
        String name = expected.get("file").asText();
        assertEquals(expected.get("sampleRate").asInt(), clip.sampleRate(), name + " sample rate");
        assertEquals(expected.get("samples").asInt(), clip.length(), name + " length");
        JsonNode first = expected.get("first");
        for (int i = 0; i < first.size(); i++) {
            assertEquals((float) first.get(i).asDouble(), clip.samples()[i], 0f, name + " sample " + i);
        }
        double sum = 0;
        for (float v : clip.samples()) {
            sum += v;
        }
        assertEquals(expected.get("sum").asDouble(), sum, 1e-9 * clip.length(), name + " sum of samples");
        assertEquals(expected.get("sha256").asText(), sha256(clip.samples()), name + " sha256 of float32 samples");
    }

    static String sha256(float[] x) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }
}
