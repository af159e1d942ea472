package org.sdd4j.augment;

/**
 * The codec cannot be applied on this machine: neither ffmpeg nor sox is installed, or the installed
 * ones lack its encoder. A trainer catches this to skip codec augmentation (and say so once) rather
 * than stop; {@link CodecAugment#unavailableReason(Codec)} gives the same message up front.
 */
public final class CodecUnavailableException extends Exception {
    private final Codec codec;

    public CodecUnavailableException(Codec codec, String message) {
        super(message);
        this.codec = codec;
    }

    /** The codec that could not be applied. */
    public Codec codec() {
        return codec;
    }
}
