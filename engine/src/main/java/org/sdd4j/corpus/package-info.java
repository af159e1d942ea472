/**
 * Builds a small anti-spoofing corpus on the user's machine from what Debian ships: bona fide speech
 * from packages of real recordings and spoofed speech from the offline text-to-speech engines, with
 * the counter-measures against the bandwidth/silence shortcut applied identically to both classes,
 * a generator-held-out split, and a control that checks the shortcut is gone.
 *
 * <p>Entry points: {@link org.sdd4j.corpus.CorpusBuilder} (the build) and
 * {@link org.sdd4j.corpus.ShortcutControl} (the control). docs/CORPUS.md lists every source and licence.
 */
package org.sdd4j.corpus;
