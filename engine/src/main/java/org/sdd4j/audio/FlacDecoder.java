package org.sdd4j.audio;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A complete pure-Java FLAC decoder (RFC 9639): STREAMINFO, other metadata blocks skipped, frames with
 * CONSTANT, VERBATIM, FIXED and LPC subframes, wasted bits, Rice and Rice2 partitioned residuals with
 * escape partitions, independent and left/side, right/side, mid/side stereo, 4 to 32 bits per sample,
 * fixed and variable block sizes. An ID3v2 tag before the stream is skipped.
 *
 * <p>Integrity: every frame header's CRC-8 and every frame's CRC-16 are checked, and the decoded
 * audio is checked against the MD5 signature in STREAMINFO when one is present; a mismatch, a lost
 * frame sync or a stream that ends early is reported with the file name and the frame's byte offset.
 *
 * <p>Samples are scaled like libsndfile: {@code s / 2^(bitsPerSample - 1)}; channels are averaged in
 * double and rounded to float once, as in {@link WavDecoder}.
 */
public final class FlacDecoder implements AudioDecoder {
    private static final int[] CRC8 = new int[256];
    private static final int[] CRC16 = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c8 = i;
            int c16 = i << 8;
            for (int k = 0; k < 8; k++) {
                c8 = (c8 & 0x80) != 0 ? (c8 << 1) ^ 0x07 : c8 << 1;
                c16 = (c16 & 0x8000) != 0 ? (c16 << 1) ^ 0x8005 : c16 << 1;
            }
            CRC8[i] = c8 & 0xFF;
            CRC16[i] = c16 & 0xFFFF;
        }
    }

    @Override
    public String formatName() {
        return "FLAC";
    }

    @Override
    public boolean recognizes(ByteBuffer contents) {
        return WavDecoder.ascii(contents, streamStart(contents), 4).equals("fLaC");
    }

    /** Offset of "fLaC": 0, or just past an ID3v2 tag (10-byte header + syncsafe size + footer). */
    private static int streamStart(ByteBuffer b) {
        if (!WavDecoder.ascii(b, 0, 3).equals("ID3") || b.limit() < 10) {
            return 0;
        }
        int size = (b.get(6) & 0x7F) << 21 | (b.get(7) & 0x7F) << 14 | (b.get(8) & 0x7F) << 7 | (b.get(9) & 0x7F);
        boolean footer = (b.get(5) & 0x10) != 0;
        return 10 + size + (footer ? 10 : 0);
    }

    /** The STREAMINFO fields that decoding uses. */
    private record StreamInfo(int sampleRate, int channels, int bitsPerSample, long totalSamples, byte[] md5) {
        boolean hasMd5() {
            for (byte x : md5) {
                if (x != 0) {
                    return true;
                }
            }
            return false;
        }
    }

    @Override
    public AudioClip decode(String source, ByteBuffer contents) throws AudioFormatException {
        ByteBuffer b = contents.duplicate();
        if (b.limit() == 0) {
            throw new AudioFormatException(source, "file is empty");
        }
        int start = streamStart(b);
        if (!WavDecoder.ascii(b, start, 4).equals("fLaC")) {
            throw new AudioFormatException(source, b.limit() < start + 4
                    ? "truncated FLAC header" : "not a FLAC file (no fLaC marker)");
        }
        FlacBitReader r = new FlacBitReader(b, start + 4);
        StreamInfo info;
        try {
            info = readMetadata(source, r);
        } catch (FlacBitReader.EndOfData e) {
            throw new AudioFormatException(source, "truncated FLAC header: the file ends inside the metadata blocks");
        }
        return new Frames(source, b, r, info).decodeAll();
    }

    private static StreamInfo readMetadata(String source, FlacBitReader r)
            throws FlacBitReader.EndOfData, AudioFormatException {
        StreamInfo info = null;
        boolean last = false;
        while (!last) {
            last = r.bits(1) == 1;
            int type = r.uint(7);
            int length = r.uint(24);
            if (info == null && type != 0) {
                throw new AudioFormatException(source, "FLAC stream does not start with a STREAMINFO block");
            }
            if (type == 0 && info == null) {
                if (length != 34) {
                    throw new AudioFormatException(source, "FLAC STREAMINFO block has length " + length + ", expected 34");
                }
                r.bits(16); // minimum block size
                r.bits(16); // maximum block size
                r.bits(24); // minimum frame size
                r.bits(24); // maximum frame size
                int rate = r.uint(20);
                int channels = r.uint(3) + 1;
                int bps = r.uint(5) + 1;
                long total = r.bits(36);
                byte[] md5 = new byte[16];
                for (int i = 0; i < 16; i++) {
                    md5[i] = (byte) r.bits(8);
                }
                if (rate == 0) {
                    throw new AudioFormatException(source, "FLAC STREAMINFO declares a sample rate of 0");
                }
                if (bps < 4) {
                    throw new AudioFormatException(source, "FLAC STREAMINFO declares " + bps + " bits per sample");
                }
                info = new StreamInfo(rate, channels, bps, total, md5);
            } else {
                for (int i = 0; i < length; i++) { // skipped byte-wise: blocks are byte-aligned and small
                    r.bits(8);
                }
            }
        }
        return info;
    }

    /** Decoding state for the audio frames of one stream. */
    private static final class Frames {
        private final String source;
        private final ByteBuffer buf;
        private final FlacBitReader r;
        private final StreamInfo info;
        private final MessageDigest md5;
        private float[] out;
        private int count;
        private long[][] channels = new long[0][];
        private byte[] md5Bytes = new byte[0];
        private int frameStart;

        Frames(String source, ByteBuffer buf, FlacBitReader r, StreamInfo info) {
            this.source = source;
            this.buf = buf;
            this.r = r;
            this.info = info;
            this.md5 = info.hasMd5() ? newMd5() : null;
            long total = info.totalSamples();
            this.out = new float[(int) Math.min(total > 0 ? total : 1 << 16, Integer.MAX_VALUE - 8)];
        }

        private static MessageDigest newMd5() {
            try {
                return MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK always provides MD5", e);
            }
        }

        private AudioFormatException corrupt(String problem) {
            return new AudioFormatException(source, "corrupt FLAC frame at byte offset " + frameStart + ": " + problem);
        }

        AudioClip decodeAll() throws AudioFormatException {
            int limit = buf.limit();
            long total = info.totalSamples();
            while (true) {
                frameStart = r.bytePosition();
                if (frameStart >= limit || (total > 0 && count >= total)) {
                    break; // end of stream; bytes after the last declared sample (e.g. tags) are ignored
                }
                if (limit - frameStart >= 3 && WavDecoder.ascii(buf, frameStart, 3).equals("TAG")) {
                    break; // ID3v1 trailer
                }
                try {
                    decodeFrame();
                } catch (FlacBitReader.EndOfData e) {
                    if (frameHeaderAfter(frameStart)) {
                        throw corrupt("the frame's data runs into the frames after it");
                    }
                    throw new AudioFormatException(source, "truncated: the file ends inside the FLAC frame at byte offset "
                            + frameStart + " after " + count + " samples");
                }
            }
            if (total > 0 && count < total) {
                throw new AudioFormatException(source, "truncated: the FLAC stream ends after " + count + " of "
                        + total + " samples");
            }
            if (count == 0) {
                throw new AudioFormatException(source, "contains no audio samples");
            }
            if (md5 != null && !Arrays.equals(md5.digest(), info.md5())) {
                throw new AudioFormatException(source, "decoded FLAC audio does not match the MD5 signature in STREAMINFO");
            }
            return new AudioClip(count == out.length ? out : Arrays.copyOf(out, count), info.sampleRate(), source);
        }

        /** The frame header fields that decoding needs. */
        private record Header(int blockSize, int sizeCode, int channelCode) {
        }

        /** Parses and CRC-checks the frame header starting at the reader's (byte-aligned) position. */
        private Header readHeader(FlacBitReader r) throws FlacBitReader.EndOfData, AudioFormatException {
            int start = r.bytePosition();
            int sync = r.uint(16);
            if ((sync & 0xFFFE) != 0xFFF8) {
                throw corrupt(String.format("expected a frame sync code, found 0x%04X", sync));
            }
            int blockSizeCode = r.uint(4);
            int rateCode = r.uint(4);
            int channelCode = r.uint(4);
            int sizeCode = r.uint(3);
            if (r.bits(1) != 0) {
                throw corrupt("reserved header bit is set");
            }
            readCodedNumber(r);
            int blockSize = switch (blockSizeCode) {
                case 0 -> throw corrupt("reserved block size code 0");
                case 1 -> 192;
                case 2, 3, 4, 5 -> 576 << (blockSizeCode - 2);
                case 6 -> r.uint(8) + 1;
                case 7 -> r.uint(16) + 1;
                default -> 256 << (blockSizeCode - 8);
            };
            switch (rateCode) {
                case 12 -> r.bits(8);
                case 13, 14 -> r.bits(16);
                case 15 -> throw corrupt("invalid sample rate code 15");
                default -> { } // rate in the code itself, or STREAMINFO's; the clip uses STREAMINFO's
            }
            int headerEnd = r.bytePosition();
            if (crc8(start, headerEnd) != r.uint(8)) {
                throw corrupt("frame header CRC-8 mismatch");
            }
            return new Header(blockSize, sizeCode, channelCode);
        }

        /**
         * Whether a valid frame header starts somewhere after {@code from}: tells a frame that runs past
         * the end of the file because it is corrupt from one that is cut off because the file is truncated.
         */
        private boolean frameHeaderAfter(int from) {
            for (int i = from + 1; i + 1 < buf.limit(); i++) {
                if ((buf.get(i) & 0xFF) == 0xFF && (buf.get(i + 1) & 0xFE) == 0xF8) {
                    try {
                        readHeader(new FlacBitReader(buf, i));
                        return true;
                    } catch (FlacBitReader.EndOfData | AudioFormatException e) {
                        // not a header; keep looking
                    }
                }
            }
            return false;
        }

        private void decodeFrame() throws FlacBitReader.EndOfData, AudioFormatException {
            Header h = readHeader(r);
            int blockSize = h.blockSize();
            int sizeCode = h.sizeCode();
            int channelCode = h.channelCode();
            int bps = switch (sizeCode) {
                case 0 -> info.bitsPerSample();
                case 1 -> 8;
                case 2 -> 12;
                case 3 -> throw corrupt("reserved sample size code 3");
                case 4 -> 16;
                case 5 -> 20;
                case 6 -> 24;
                default -> 32;
            };
            int nch = channelCode < 8 ? channelCode + 1 : 2;
            if (channelCode > 10) {
                throw corrupt("reserved channel assignment " + channelCode);
            }
            if (nch != info.channels()) {
                throw corrupt("frame has " + nch + " channels but STREAMINFO declares " + info.channels());
            }
            if (channels.length != nch || channels[0].length < blockSize) {
                channels = new long[nch][Math.max(blockSize, channels.length > 0 ? channels[0].length : 0)];
            }
            for (int c = 0; c < nch; c++) {
                boolean side = (channelCode == 8 && c == 1) || (channelCode == 9 && c == 0) || (channelCode == 10 && c == 1);
                decodeSubframe(channels[c], blockSize, bps + (side ? 1 : 0));
            }
            r.alignToByte();
            int frameEnd = r.bytePosition();
            int crc16 = r.uint(16);
            if (crc16(frameStart, frameEnd) != crc16) {
                throw corrupt("frame CRC-16 mismatch");
            }
            decorrelate(channelCode, blockSize);
            if (md5 != null) {
                updateMd5(nch, blockSize, bps);
            }
            appendMono(nch, blockSize, bps);
        }

        /** The UTF-8-like coded frame or sample number; only its well-formedness matters here. */
        private void readCodedNumber(FlacBitReader r) throws FlacBitReader.EndOfData, AudioFormatException {
            int first = r.uint(8);
            int ones = Integer.numberOfLeadingZeros(~first << 24); // leading one bits of the first byte
            if (ones == 1 || ones > 7) {
                throw corrupt("malformed coded frame number");
            }
            int extra = ones == 0 ? 0 : ones - 1;
            for (int i = 0; i < extra; i++) {
                if ((r.uint(8) & 0xC0) != 0x80) {
                    throw corrupt("malformed coded frame number");
                }
            }
        }

        private void decodeSubframe(long[] s, int n, int sampleBits)
                throws FlacBitReader.EndOfData, AudioFormatException {
            if (r.bits(1) != 0) {
                throw corrupt("subframe padding bit is set");
            }
            int type = r.uint(6);
            int wasted = 0;
            if (r.bits(1) == 1) {
                wasted = (int) Math.min(r.unary() + 1, 64);
                if (wasted >= sampleBits) {
                    throw corrupt(wasted + " wasted bits in a " + sampleBits + "-bit subframe");
                }
            }
            int bits = sampleBits - wasted;
            if (type == 0) {
                Arrays.fill(s, 0, n, r.signed(bits));
            } else if (type == 1) {
                for (int i = 0; i < n; i++) {
                    s[i] = r.signed(bits);
                }
            } else if (type >= 8 && type <= 12) {
                int order = type - 8;
                warmUp(s, order, n, bits);
                residual(s, order, n);
                fixedPredict(s, order, n);
            } else if (type >= 32) {
                int order = type - 31;
                warmUp(s, order, n, bits);
                int precision = r.uint(4) + 1;
                if (precision == 16) {
                    throw corrupt("invalid LPC coefficient precision");
                }
                int shift = (int) r.signed(5);
                if (shift < 0) {
                    throw corrupt("negative LPC shift " + shift);
                }
                long[] coefs = new long[order];
                for (int j = 0; j < order; j++) {
                    coefs[j] = r.signed(precision);
                }
                residual(s, order, n);
                lpcPredict(s, coefs, shift, n);
            } else {
                throw corrupt("reserved subframe type " + type);
            }
            if (wasted > 0) {
                for (int i = 0; i < n; i++) {
                    s[i] <<= wasted;
                }
            }
        }

        private void warmUp(long[] s, int order, int n, int bits) throws FlacBitReader.EndOfData, AudioFormatException {
            if (order > n) {
                throw corrupt("predictor order " + order + " exceeds block size " + n);
            }
            for (int i = 0; i < order; i++) {
                s[i] = r.signed(bits);
            }
        }

        /** Reads the partitioned Rice residual into s[order..n). */
        private void residual(long[] s, int order, int n) throws FlacBitReader.EndOfData, AudioFormatException {
            int method = r.uint(2);
            if (method > 1) {
                throw corrupt("reserved residual coding method " + method);
            }
            int paramBits = method == 0 ? 4 : 5;
            int escape = (1 << paramBits) - 1;
            int partitionOrder = r.uint(4);
            int partitionSize = n >> partitionOrder;
            if (partitionSize << partitionOrder != n || partitionSize < order) {
                throw corrupt("residual partition order " + partitionOrder + " does not fit block size " + n
                        + " with predictor order " + order);
            }
            int i = order;
            for (int p = 0; p < 1 << partitionOrder; p++) {
                int end = (p + 1) * partitionSize;
                int k = r.uint(paramBits);
                if (k == escape) {
                    int rawBits = r.uint(5);
                    for (; i < end; i++) {
                        s[i] = r.signed(rawBits);
                    }
                } else {
                    for (; i < end; i++) {
                        s[i] = r.rice(k);
                    }
                }
            }
        }

        private static void fixedPredict(long[] s, int order, int n) {
            switch (order) {
                case 1 -> {
                    for (int i = 1; i < n; i++) s[i] += s[i - 1];
                }
                case 2 -> {
                    for (int i = 2; i < n; i++) s[i] += 2 * s[i - 1] - s[i - 2];
                }
                case 3 -> {
                    for (int i = 3; i < n; i++) s[i] += 3 * s[i - 1] - 3 * s[i - 2] + s[i - 3];
                }
                case 4 -> {
                    for (int i = 4; i < n; i++) s[i] += 4 * s[i - 1] - 6 * s[i - 2] + 4 * s[i - 3] - s[i - 4];
                }
                default -> { } // order 0: the residual is the signal
            }
        }

        private static void lpcPredict(long[] s, long[] coefs, int shift, int n) {
            int order = coefs.length;
            for (int i = order; i < n; i++) {
                long sum = 0;
                for (int j = 0; j < order; j++) {
                    sum += coefs[j] * s[i - 1 - j];
                }
                s[i] += sum >> shift;
            }
        }

        private void decorrelate(int channelCode, int n) {
            long[] a = channels.length > 1 ? channels[0] : null;
            long[] b = channels.length > 1 ? channels[1] : null;
            switch (channelCode) {
                case 8 -> { // left, side: right = left - side
                    for (int i = 0; i < n; i++) b[i] = a[i] - b[i];
                }
                case 9 -> { // side, right: left = side + right
                    for (int i = 0; i < n; i++) a[i] += b[i];
                }
                case 10 -> { // mid, side; the side's low bit restores the mid's lost bit
                    for (int i = 0; i < n; i++) {
                        long mid = a[i] << 1 | (b[i] & 1);
                        long side = b[i];
                        a[i] = (mid + side) >> 1;
                        b[i] = (mid - side) >> 1;
                    }
                }
                default -> { } // independent channels
            }
        }

        /** Feeds interleaved little-endian samples of ceil(bps/8) bytes to the MD5, as the encoder did. */
        private void updateMd5(int nch, int n, int bps) {
            int width = (bps + 7) / 8;
            int need = nch * n * width;
            if (md5Bytes.length < need) {
                md5Bytes = new byte[need];
            }
            int at = 0;
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < nch; c++) {
                    long v = channels[c][i];
                    for (int k = 0; k < width; k++) {
                        md5Bytes[at++] = (byte) (v >> (8 * k));
                    }
                }
            }
            md5.update(md5Bytes, 0, need);
        }

        private void appendMono(int nch, int n, int bps) throws AudioFormatException {
            if (count + (long) n > Integer.MAX_VALUE - 8) {
                throw new AudioFormatException(source, "too long to decode into one clip");
            }
            if (count + n > out.length) {
                out = Arrays.copyOf(out, (int) Math.min(Math.max(2L * out.length, count + n), Integer.MAX_VALUE - 8));
            }
            double scale = 1.0 / (1L << (bps - 1));
            for (int i = 0; i < n; i++) {
                long sum = 0;
                for (int c = 0; c < nch; c++) {
                    sum += channels[c][i];
                }
                out[count + i] = (float) (sum * scale / nch);
            }
            count += n;
        }

        private int crc8(int from, int to) {
            int crc = 0;
            for (int i = from; i < to; i++) {
                crc = CRC8[(crc ^ buf.get(i)) & 0xFF];
            }
            return crc;
        }

        private int crc16(int from, int to) {
            int crc = 0;
            for (int i = from; i < to; i++) {
                crc = ((crc << 8) ^ CRC16[((crc >> 8) ^ buf.get(i)) & 0xFF]) & 0xFFFF;
            }
            return crc;
        }
    }
}
