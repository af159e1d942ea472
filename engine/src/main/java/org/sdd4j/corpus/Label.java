package org.sdd4j.corpus;

/** The class of a corpus item, written as {@code bonafide} / {@code spoof} in protocol files. */
public enum Label {
    BONAFIDE("bonafide"),
    SPOOF("spoof");

    private final String text;

    Label(String text) {
        this.text = text;
    }

    /** The name used in protocol files and folder names. */
    public String text() {
        return text;
    }

    /** Parses {@link #text()}; throws naming the bad value. */
    public static Label parse(String text) {
        for (Label l : values()) {
            if (l.text.equals(text)) {
                return l;
            }
        }
        throw new IllegalArgumentException("label must be 'bonafide' or 'spoof', was '" + text + "'");
    }
}
