package org.sdd4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
    private static final long KIB = 1 << 10, MIB = 1 << 20;

    @Test
    void aRepeatedPatternAllocatesOnlyInItsFirstRound() {
        try (MemoryPool pool = new MemoryPool(false)) {
            long[] sizes = {3 * MIB, 5 * MIB, 3 * MIB, 64 * KIB, 17 * MIB, 100 * KIB};
            round(pool, sizes);
            long first = pool.systemBytes();
            for (int i = 0; i < 5; i++) {
                round(pool, sizes);
            }
            assertEquals(first, pool.systemBytes(), "later rounds reuse every block");
        }
    }

    @Test
    void aMissTakesACachedBlockUpToTwiceItsSizeBeforeAllocating() {
        try (MemoryPool pool = new MemoryPool(false)) {
            pool.give(pool.take(6 * MIB, false));
            long allocated = pool.systemBytes();
            MemorySegment s = pool.take(4 * MIB, false);
            assertEquals(4 * MIB, s.byteSize());
            assertEquals(allocated, pool.systemBytes(), "the cached 6 MiB block serves the 4 MiB request");
            assertEquals(6 * MIB, pool.liveBytes());
            pool.give(s);
            assertEquals(6 * MIB, pool.cachedBytes(), "it goes back as the 6 MiB block it is");
            pool.give(pool.take(6 * MIB, false));
            assertEquals(allocated, pool.systemBytes());
        }
    }

    @Test
    void aLeanPoolNeverHoldsMoreThanItsPeakInUse() {
        for (boolean lean : new boolean[] {false, true}) {
            try (MemoryPool pool = new MemoryPool(lean)) {
                long largest = 0;
                for (int i = 0; i < 30; i++) {
                    // Two sizes per round, in classes no other round uses.
                    long a = 2 * MIB + i * 700 * KIB, b = 40 * MIB + i * 9 * MIB;
                    largest = Math.max(largest, MemoryPool.sizeClass(b));
                    round(pool, new long[] {a, b});
                }
                boolean bounded = pool.peakBytes() <= pool.peakLiveBytes() + largest;
                // Caching by class (idle blocks stay for 65,536 requests) ends up holding every round's blocks.
                assertEquals(lean, bounded, (lean ? "lean" : "caching") + ": " + pool.peakBytes() + " held, "
                        + pool.peakLiveBytes() + " in use at the peaks");
            }
        }
    }

    @Test
    void aLeanPoolFreesTheLeastRecentlyReturnedBlocksFirst() {
        try (MemoryPool pool = new MemoryPool(true)) {
            MemorySegment old = pool.take(4 * MIB, false), recent = pool.take(6 * MIB, false);
            pool.give(old);
            pool.give(recent);
            long allocated = pool.systemBytes(), request = 3 * MIB / 2;   // both cached blocks are over twice this
            pool.give(pool.take(request, false));    // a miss: frees the 4 MiB block, keeps the 6 MiB one
            assertEquals(allocated + request, pool.systemBytes());
            assertEquals(6 * MIB + request, pool.cachedBytes());
            pool.give(pool.take(6 * MIB, false));    // a hit
            assertEquals(allocated + request, pool.systemBytes());
        }
    }

    @Test
    void blocksNeverOverlapUnderARandomWorkload() {
        for (boolean lean : new boolean[] {false, true}) {
            randomWorkload(new MemoryPool(lean));
        }
    }

    private static void randomWorkload(MemoryPool p) {
        SplittableRandom r = new SplittableRandom(5);
        try (MemoryPool pool = p) {
            List<MemorySegment> held = new ArrayList<>();
            for (int step = 0; step < 3000; step++) {
                if (!held.isEmpty() && r.nextInt(3) == 0) {
                    MemorySegment s = held.remove(r.nextInt(held.size()));
                    check(s);
                    pool.give(s);
                } else {
                    long bytes = r.nextBoolean() ? 1 + r.nextLong(MIB) : MIB + r.nextLong(12 * MIB);
                    MemorySegment s = pool.take(bytes, false);
                    // Stamp the first and last words: a block overlapping another would overwrite them.
                    s.set(ValueLayout.JAVA_BYTE, 0, (byte) (s.address() >>> 6));
                    s.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) (s.address() >>> 6));
                    held.add(s);
                }
            }
            held.forEach(MemoryPoolTest::check);
            held.forEach(pool::give);
            assertEquals(0, pool.liveBytes());
        }
    }

    @Test
    void blocksOfShapesThatStopComingAreFreed() {
        try (MemoryPool pool = new MemoryPool(false)) {
            for (int i = 0; i < 40; i++) {
                // Each round's block falls in a size class no other round uses (a clip of another length).
                round(pool, new long[] {shape(i)});
                // Smaller requests in between: a service's other work, all hits after the first round.
                for (int k = 0; k < MemoryPool.IDLE_TAKES / 8; k++) {
                    pool.give(pool.take(4096, false));
                }
            }
            // Caching by class alone would hold all 40 blocks. A block turns idle after eight more rounds, so at
            // most the last nine stay.
            long lastNine = 0;
            for (int i = 31; i < 40; i++) {
                lastNine += MemoryPool.sizeClass(shape(i));
            }
            assertTrue(pool.cachedBytes() <= lastNine + MIB, pool.cachedBytes() + " bytes cached");
            long held = pool.cachedBytes();
            round(pool, new long[] {shape(39)});   // the newest shape is still cached
            assertEquals(held, pool.cachedBytes());
        }
    }

    @Test
    void blocksComeBackZeroedWhenAsked() {
        try (MemoryPool pool = new MemoryPool(false)) {
            for (long size : new long[] {MIB, 3 * MIB}) {
                MemorySegment s = pool.take(size, false);
                s.fill((byte) 7);
                pool.give(s);
                MemorySegment again = pool.take(size, true);
                for (long i = 0; i < size; i += 4099) {
                    assertEquals(0, again.get(ValueLayout.JAVA_BYTE, i));
                }
                pool.give(again);
            }
        }
    }

    private static void check(MemorySegment s) {
        byte stamp = (byte) (s.address() >>> 6);
        assertEquals(stamp, s.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(stamp, s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1));
    }

    /** Round {@code i}'s block: 256 KiB and up in 8 KiB steps, each in a size class of its own. */
    private static long shape(int i) {
        return 256 * KIB + i * 8 * KIB;
    }

    /** Takes every size at once, then gives them all back. */
    private static void round(MemoryPool pool, long[] sizes) {
        List<MemorySegment> taken = new ArrayList<>();
        for (long size : sizes) {
            taken.add(pool.take(size, false));
        }
        taken.forEach(pool::give);
    }
}
