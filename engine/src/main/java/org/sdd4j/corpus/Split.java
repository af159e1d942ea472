package org.sdd4j.corpus;

/**
 * The subsets of a built corpus. {@link #TEST_UNSEEN} holds the generators that never occur in
 * training, so it measures generalisation to unseen synthesis methods; {@link #TEST_IN_DOMAIN} holds
 * the training generators on unseen texts and unseen bona fide speakers.
 */
public enum Split {
    TRAIN("train"),
    DEV("dev"),
    TEST_IN_DOMAIN("test_in_domain"),
    TEST_UNSEEN("test_unseen");

    private final String text;

    Split(String text) {
        this.text = text;
    }

    /** The name used in protocol files and as the split file's base name. */
    public String text() {
        return text;
    }

    /** Parses {@link #text()}; throws naming the bad value. */
    public static Split parse(String text) {
        for (Split s : values()) {
            if (s.text.equals(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("split must be train, dev, test_in_domain or test_unseen, was '" + text + "'");
    }
}
