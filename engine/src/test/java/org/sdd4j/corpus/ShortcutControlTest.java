package org.sdd4j.corpus;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShortcutControlTest {
    /** A noise burst "utterance" with some silence around it, optionally band-limited to 4 kHz. */
    static float[] clip(SplittableRandom rng, boolean narrow, boolean digitalSilence) {
        float[] x = new float[16000];
        int lead = 1600 + rng.nextInt(3200);
        for (int i = lead; i < 13000; i++) {
            x[i] = (float) (0.1 * rng.nextGaussian() * Math.abs(Math.sin(i / 900.0)));
        }
        float[] y = narrow ? Conditioning.bandLimit(x, 16000, 3600, 100) : Conditioning.bandLimit(x, 16000, 7500, 100);
        return digitalSilence ? y : Conditioning.addNoise(y, -60, rng);
    }

    static ShortcutControl.Result control(boolean shortcut) {
        SplittableRandom rng = new SplittableRandom(11);
        List<CorpusItem> items = new ArrayList<>();
        List<double[]> features = new ArrayList<>();
        Split[] splits = {Split.TRAIN, Split.TRAIN, Split.TRAIN, Split.TEST_IN_DOMAIN, Split.TEST_UNSEEN};
        for (int i = 0; i < 300; i++) {
            Label label = i % 2 == 0 ? Label.BONAFIDE : Label.SPOOF;
            boolean narrow = shortcut ? label == Label.BONAFIDE : rng.nextBoolean();
            boolean silent = shortcut ? label == Label.SPOOF : rng.nextBoolean();
            items.add(new CorpusItem("a/" + i + ".wav", label, "s", "-", "en", "-", "-", splits[(i / 2) % 5], 1, "-"));
            features.add(ShortcutFeatures.of(clip(rng, narrow, silent), 16000));
        }
        return ShortcutControl.run(items, features);
    }

    @Test
    void findsABandwidthAndSilenceShortcut() {
        ShortcutControl.Result r = control(true);
        assertTrue(r.worstEer() < 0.05, r.toText());
        assertTrue(r.shortcutFound());
    }

    @Test
    void staysNearChanceWithoutOne() {
        ShortcutControl.Result r = control(false);
        assertTrue(r.worstEer() > 0.30, r.toText());
        assertFalse(r.shortcutFound());
    }

    @Test
    void rollOffFollowsTheBand() {
        SplittableRandom rng = new SplittableRandom(2);
        double narrow = ShortcutFeatures.of(clip(rng, true, true), 16000)[0];
        double wide = ShortcutFeatures.of(clip(rng, false, true), 16000)[0];
        assertTrue(narrow < 4200 && wide > 5000, narrow + " " + wide);
    }
}
