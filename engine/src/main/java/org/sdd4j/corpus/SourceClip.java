package org.sdd4j.corpus;

import java.nio.file.Path;

/**
 * A candidate bona fide recording found in a source package, before decoding.
 *
 * @param file       the audio file
 * @param language   language code from the folder or file name, {@code -} when unknown
 * @param speaker    speaker id when the layout shows it, else {@code -}
 * @param transcript what is said, when the package ships it, else empty
 */
public record SourceClip(Path file, String language, String speaker, String transcript) {
}
