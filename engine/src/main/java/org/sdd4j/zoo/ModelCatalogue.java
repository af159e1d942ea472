package org.sdd4j.zoo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The list of checkpoints the zoo knows, read from a JSON file of the form
 * {@code {"models": [{"name": ..., "family": ..., "url": ..., "file": ..., "sha256": ... | null, ...}]}}.
 *
 * <p>The built-in catalogue is the resource {@code models.json} beside this class. Entries are validated
 * when read so that a typo in a catalogue fails at start-up, naming the entry, not at download time.
 */
public final class ModelCatalogue {
    static final String BUILT_IN = "models.json";

    private static final Set<String> REQUIRED = Set.of("name", "family", "description", "url", "file", "licence", "homepage");
    private static final Set<String> KNOWN = Set.of("name", "family", "description", "url", "file", "sizeBytes",
            "sha256", "licence", "homepage", "config");

    private final Map<String, ModelEntry> entries;

    private ModelCatalogue(Map<String, ModelEntry> entries) {
        this.entries = entries;
    }

    /** The catalogue shipped with sdd4j. */
    public static ModelCatalogue builtIn() {
        try (InputStream in = ModelCatalogue.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("resource org/sdd4j/zoo/" + BUILT_IN + " is missing from the classpath");
            }
            return parse(in, "built-in " + BUILT_IN);
        } catch (IOException e) {
            // The built-in catalogue is part of the build; failing to read it is a packaging bug.
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a catalogue.
     *
     * @param origin names the source in error messages (a file name, a URL)
     * @throws IOException when the JSON is malformed or an entry is invalid
     */
    public static ModelCatalogue parse(InputStream in, String origin) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(in);
        } catch (JsonProcessingException e) {
            throw new IOException(origin + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.path("models").isArray()) {
            throw new IOException(origin + ": expected an object with a \"models\" array");
        }
        Map<String, ModelEntry> entries = new LinkedHashMap<>();
        int index = 0;
        for (JsonNode node : root.get("models")) {
            String where = origin + ": models[" + index++ + "]";
            ModelEntry entry = parseEntry(node, where);
            if (entries.putIfAbsent(entry.name(), entry) != null) {
                throw new IOException(where + ": model name '" + entry.name() + "' is listed twice");
            }
        }
        return new ModelCatalogue(entries);
    }

    private static ModelEntry parseEntry(JsonNode node, String where) throws IOException {
        if (!node.isObject()) {
            throw new IOException(where + ": expected an object");
        }
        if (node.hasNonNull("name")) {
            where = where + " ('" + node.get("name").asText() + "')";
        }
        for (String field : REQUIRED) {
            if (!node.path(field).isTextual()) {
                throw new IOException(where + ": missing text field '" + field + "'");
            }
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!KNOWN.contains(field)) {
                throw new IOException(where + ": unknown field '" + field + "' (known: " + KNOWN + ")");
            }
        }
        OptionalLong size = OptionalLong.empty();
        if (node.hasNonNull("sizeBytes")) {
            if (!node.get("sizeBytes").canConvertToLong()) {
                throw new IOException(where + ": sizeBytes must be an integer");
            }
            size = OptionalLong.of(node.get("sizeBytes").asLong());
        }
        Optional<String> config = optionalText(node, "config", where);
        if (config.isPresent() && ModelCatalogue.class.getResource(config.get()) == null) {
            throw new IOException(where + ": config resource org/sdd4j/zoo/" + config.get() + " is not on the classpath");
        }
        try {
            return new ModelEntry(
                    node.get("name").asText(),
                    ModelFamily.fromId(node.get("family").asText()),
                    node.get("description").asText(),
                    new URI(node.get("url").asText()),
                    node.get("file").asText(),
                    size,
                    optionalText(node, "sha256", where),
                    node.get("licence").asText(),
                    new URI(node.get("homepage").asText()),
                    config);
        } catch (URISyntaxException e) {
            throw new IOException(where + ": malformed URL: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
    }

    private static Optional<String> optionalText(JsonNode node, String field, String where) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new IOException(where + ": field '" + field + "' must be text or null");
        }
        return Optional.of(value.asText());
    }

    /** All entries, in catalogue order. */
    public List<ModelEntry> entries() {
        return List.copyOf(entries.values());
    }

    /** The entry called {@code name}, if catalogued. */
    public Optional<ModelEntry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** The entry called {@code name}; the exception lists the names that do exist. */
    public ModelEntry get(String name) {
        ModelEntry entry = entries.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("no model called '" + name + "' in the catalogue; known models: "
                    + String.join(", ", entries.keySet()));
        }
        return entry;
    }

    /** The architecture configuration (JSON text) of {@code entry}, for families whose checkpoints lack one. */
    public static Optional<String> config(ModelEntry entry) {
        if (entry.configResource().isEmpty()) {
            return Optional.empty();
        }
        String resource = entry.configResource().get();
        try (InputStream in = ModelCatalogue.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("config resource org/sdd4j/zoo/" + resource + " of model '"
                        + entry.name() + "' is missing from the classpath");
            }
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading config resource org/sdd4j/zoo/" + resource, e);
        }
    }

    /** A catalogue holding just {@code entries} (for organisation mirrors and tests). */
    public static ModelCatalogue of(List<ModelEntry> entries) {
        Map<String, ModelEntry> map = new LinkedHashMap<>();
        for (ModelEntry e : entries) {
            if (map.putIfAbsent(e.name(), e) != null) {
                throw new IllegalArgumentException("model name '" + e.name() + "' is listed twice");
            }
        }
        return new ModelCatalogue(map);
    }
}
