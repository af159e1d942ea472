package org.sdd4j.zoo;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * One downloadable checkpoint in the catalogue.
 *
 * @param name           the short name users pull it by (lower case, e.g. {@code aasist-l})
 * @param family         the architecture, which picks the loader
 * @param description    one line for listings
 * @param url            the official download address
 * @param fileName       the name the file is stored under in the cache (and on a mirror)
 * @param sizeBytes      the file size, when known
 * @param sha256         the lower-case hex SHA-256 of the file, when a digest can be pinned; empty means
 *                       downloads of this model cannot be verified
 * @param licence        SPDX-style licence of the weights
 * @param homepage       where the model is documented
 * @param configResource classpath resource (relative to this package) holding the model's architecture
 *                       configuration as JSON, for families whose checkpoints do not carry it
 */
public record ModelEntry(
        String name,
        ModelFamily family,
        String description,
        URI url,
        String fileName,
        OptionalLong sizeBytes,
        Optional<String> sha256,
        String licence,
        URI homepage,
        Optional<String> configResource) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public ModelEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(sizeBytes, "sizeBytes");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(licence, "licence");
        Objects.requireNonNull(homepage, "homepage");
        Objects.requireNonNull(configResource, "configResource");
        // Names and file names become path segments of the cache and of mirror URLs: keep them plain.
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model name '" + name + "' must match " + NAME);
        }
        if (!FILE.matcher(fileName).matches()) {
            throw new IllegalArgumentException("model '" + name + "': file name '" + fileName + "' must match " + FILE);
        }
        if (!url.isAbsolute() || !("https".equals(url.getScheme()) || "http".equals(url.getScheme()))) {
            throw new IllegalArgumentException("model '" + name + "': url '" + url + "' is not an absolute http(s) URL");
        }
        if (sha256.isPresent() && !SHA256.matcher(sha256.get()).matches()) {
            throw new IllegalArgumentException("model '" + name + "': sha256 '" + sha256.get()
                    + "' is not 64 lower-case hex digits");
        }
        if (sizeBytes.isPresent() && sizeBytes.getAsLong() <= 0) {
            throw new IllegalArgumentException("model '" + name + "': size " + sizeBytes.getAsLong() + " is not positive");
        }
    }

    /** Whether downloads are checked against a pinned SHA-256 digest. */
    public boolean verified() {
        return sha256.isPresent();
    }
}
