package org.sdd4j.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sdd4j.augment.CodecAugment;

class ChannelChainTest {
    @Test
    void drawsFollowTheSharedDistribution() {
        // no tools: the codec stage is off, so the band-limit and level draws are what is tested
        ChannelChain chain = new ChannelChain(ChannelDistribution.defaults(), CodecAugment.withTools(null, null));
        SplittableRandom rng = new SplittableRandom(3);
        double lpSum = 0;
        double hpSum = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            ChannelChain.Draw d = chain.draw(rng);
            assertTrue(d.lowPassHz() >= 3400 && d.lowPassHz() <= 8000, "lp " + d.lowPassHz());
            assertTrue(d.highPassHz() >= 50 && d.highPassHz() <= 300, "hp " + d.highPassHz());
            assertTrue(d.codec().isEmpty());
            lpSum += d.lowPassHz();
            hpSum += d.highPassHz();
        }
        assertEquals(5700, lpSum / n, 60);
        assertEquals(175, hpSum / n, 5);
    }

    @Test
    void aNarrowbandCaptureRemovesTheUpperBand() throws Exception {
        ChannelChain chain = new ChannelChain(ChannelDistribution.defaults(), CodecAugment.withTools(null, null));
        float[] y = chain.imposeCapture(ConditioningTest.tone(16000, 6000, 0.5),
                new ChannelChain.Capture(8000, java.util.Optional.empty()), new SplittableRandom(1));
        assertTrue(Conditioning.activeRmsDb(y) < -40, "6 kHz survived an 8 kHz capture: " + Conditioning.activeRmsDb(y));
    }

    @Test
    void sameSeedSameOutput() throws Exception {
        ChannelChain chain = new ChannelChain(ChannelDistribution.defaults(), CodecAugment.withTools(null, null));
        float[] x = ConditioningTest.tone(16000, 500, 0.2);
        float[] a = chain.apply(x, chain.draw(new SplittableRandom(9)), new SplittableRandom(10));
        float[] b = chain.apply(x, chain.draw(new SplittableRandom(9)), new SplittableRandom(10));
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
    }
}
