package org.sdd4j.audio;

import java.nio.ByteBuffer;

/**
 * MSB-first bit reader over a byte range of a buffer, with a 64-bit cache so that Rice decoding
 * (unary prefix + fixed bits, once per sample) costs a few shifts rather than a buffer read per bit.
 * Bits beyond {@code avail} in the cache are always zero, which the unary reader relies on.
 */
final class FlacBitReader {
    /** Thrown when a read needs bytes past the end; the decoder turns it into a "truncated" message. */
    static final class EndOfData extends Exception {
        EndOfData() {
            super(null, null, false, false);
        }
    }

    private final ByteBuffer buf;
    private final int limit;
    private int next;
    private long cache;
    private int avail;

    FlacBitReader(ByteBuffer buf, int start) {
        this.buf = buf;
        this.limit = buf.limit();
        this.next = start;
    }

    private void refill() {
        while (avail <= 56 && next < limit) {
            cache |= (long) (buf.get(next++) & 0xFF) << (56 - avail);
            avail += 8;
        }
    }

    /** Reads {@code n} bits (0..56) as an unsigned value. */
    long bits(int n) throws EndOfData {
        if (n == 0) {
            return 0;
        }
        if (avail < n) {
            refill();
            if (avail < n) {
                throw new EndOfData();
            }
        }
        long v = cache >>> (64 - n);
        cache <<= n;
        avail -= n;
        return v;
    }

    int uint(int n) throws EndOfData {
        return (int) bits(n);
    }

    /** Reads {@code n} bits (0..56) as a two's-complement value. */
    long signed(int n) throws EndOfData {
        if (n == 0) {
            return 0;
        }
        return bits(n) << (64 - n) >> (64 - n);
    }

    /** Counts zero bits up to and including the terminating one bit; returns the number of zeros. */
    long unary() throws EndOfData {
        long zeros = 0;
        while (true) {
            if (cache == 0) {
                zeros += avail;
                avail = 0;
                refill();
                if (avail == 0) {
                    throw new EndOfData();
                }
                continue;
            }
            int lz = Long.numberOfLeadingZeros(cache);
            zeros += lz;
            cache = cache << lz << 1; // two shifts: a single shift by 64 would be a no-op in Java
            avail -= lz + 1;
            return zeros;
        }
    }

    /** Reads a Rice-coded signed value with parameter {@code k} (zig-zag folded). */
    long rice(int k) throws EndOfData {
        long u = unary() << k | bits(k);
        return (u >>> 1) ^ -(u & 1);
    }

    /** Skips to the next byte boundary. */
    void alignToByte() {
        int drop = avail & 7;
        cache <<= drop;
        avail -= drop;
    }

    /** Offset of the next unread byte; only meaningful at a byte boundary. */
    int bytePosition() {
        return next - avail / 8;
    }

    boolean atByteBoundary() {
        return (avail & 7) == 0;
    }
}
