package org.sdd4j.cli;

/** A command line that cannot be carried out as given (a missing input, a bad option value). */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
