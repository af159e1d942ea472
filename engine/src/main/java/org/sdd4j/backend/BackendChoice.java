package org.sdd4j.backend;

/**
 * The CPU backend {@link Backends} picked, and why: what {@code sdd4j info} prints.
 *
 * @param backend  the provider, owned by the caller (close it)
 * @param provider which kind it is
 * @param reason   why this one: "forced by -Dsdd4j.backend=..." or the default rule, and for a fallback
 *                 the reason oneDNN was not used
 * @param oneDnn   the oneDNN library and ISA in use, or empty when oneDNN is not used
 * @param vectorBits the Vector API's preferred float vector size on this CPU, in bits
 */
public record BackendChoice(Backend backend, Backends.Provider provider, String reason, String oneDnn,
                            int vectorBits) {

    /** A few lines: provider, threads, oneDNN (library, version, ISA) or why not, Vector API width. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        s.append("backend: ").append(provider.propertyValue()).append(" (").append(backend.name()).append("), ")
                .append(backend.threads()).append(backend.threads() == 1 ? " thread" : " threads").append('\n');
        s.append("  chosen: ").append(reason).append('\n');
        if (!oneDnn.isEmpty()) {
            s.append("  oneDNN: ").append(oneDnn).append('\n');
        }
        s.append("  Vector API: ").append(vectorBits).append("-bit float vectors");
        return s.toString();
    }
}
