#!/usr/bin/env python3
"""Builds the audio-decoding test fixtures for org.sdd4j.audio and their soundfile reference values.

Writes small WAV/RF64/FLAC files in many layouts to engine/src/test/resources/audio/ (WAV via
soundfile/libsndfile and by hand for odd chunk layouts; FLAC via the `flac` CLI at several bit depths,
channel counts, rates and compression levels, plus a hand-built FLAC stream that uses the features
libFLAC's encoder never emits: variable block sizes, escape-coded and Rice2 partitions, wasted bits,
CONSTANT/VERBATIM subframes and all four stereo decorrelations). Every file is then read back with
soundfile, and expected.json records, per file, the sha256 of the mono float32 little-endian samples
the Java decoder must reproduce bit for bit, plus the first values for readable failures.

Mono reference = soundfile.read(dtype='float64') channels summed left to right in float64, divided by
the channel count, rounded once to float32 (what org.sdd4j.audio documents); for mono files the script
asserts that this equals soundfile's own float32 output.

The 14 shared clips (../shared/fixtures/audio) get entries too (hashes only; the clips are not copied).

Usage: python3 tools/scripts/make_audio_fixtures.py [--shared /work/shared]
"""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "engine", "src", "test", "resources", "audio")


def signal(frames, channels, rate, seed, silence=True):
    """Speech-like test content in [-0.9, 0.9]: chirp + tones + noise, a silent stretch, per-channel variety."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / rate
    cols = []
    for c in range(channels):
        f0 = 120.0 * (c + 1)
        x = 0.4 * np.sin(2 * np.pi * (f0 * t + 0.25 * rate * 0.2 * t * t))
        x += 0.2 * np.sin(2 * np.pi * 0.31 * rate * t + c)
        x += 0.15 * rng.standard_normal(frames)
        if silence:
            x[frames // 3: frames // 3 + frames // 8] = 0.0  # digital silence -> CONSTANT subframes
        cols.append(np.clip(x, -0.9, 0.9))
    return np.stack(cols, axis=1)


def mono_reference(path):
    data, rate = sf.read(path, dtype="float64", always_2d=True)
    acc = data[:, 0].copy()
    for c in range(1, data.shape[1]):
        acc = acc + data[:, c]
    mono = (acc / data.shape[1]).astype(np.float32)
    if data.shape[1] == 1:
        f32, _ = sf.read(path, dtype="float32", always_2d=True)
        assert np.array_equal(f32[:, 0], mono), path
    return mono, rate, data.shape[1]


def entry(path, name):
    mono, rate, ch = mono_reference(path)
    return {
        "file": name,
        "sampleRate": int(rate),
        "channels": int(ch),
        "samples": int(mono.size),
        "sha256": hashlib.sha256(mono.astype("<f4").tobytes()).hexdigest(),
        "first": [float(v) for v in mono[:8]],
        "sum": float(np.sum(mono, dtype=np.float64)),
    }


def write_wavs(out):
    made = []
    specs = [  # name, channels, rate, subtype, format
        ("pcm_u8_mono_8k.wav", 1, 8000, "PCM_U8", "WAV"),
        ("pcm16_stereo_44k.wav", 2, 44100, "PCM_16", "WAV"),
        ("pcm24_mono_22k.wav", 1, 22050, "PCM_24", "WAV"),
        ("pcm32_3ch_48k.wav", 3, 48000, "PCM_32", "WAV"),
        ("float32_stereo_16k.wav", 2, 16000, "FLOAT", "WAV"),
        ("float64_mono_11k.wav", 1, 11025, "DOUBLE", "WAV"),
        ("ext_pcm24_6ch_48k.wav", 6, 48000, "PCM_24", "WAVEX"),
        ("ext_float_2ch_16k.wav", 2, 16000, "FLOAT", "WAVEX"),
        ("rf64_pcm16_mono_16k.wav", 1, 16000, "PCM_16", "RF64"),
    ]
    for i, (name, ch, rate, subtype, fmt) in enumerate(specs):
        frames = int(0.05 * rate) + 7
        sf.write(os.path.join(out, name), signal(frames, ch, rate, 100 + i), rate, subtype=subtype, format=fmt)
        made.append(name)

    # Odd-sized unknown chunks (with RIFF pad bytes) before and between fmt and data.
    pcm = (signal(801, 1, 16000, 7)[:, 0] * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    junk = b"JUNK" + struct.pack("<I", 3) + b"abc" + b"\0"
    lst = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\0"
    body = b"WAVE" + junk + b"fmt " + struct.pack("<I", 16) + fmt + lst + b"data" + struct.pack("<I", len(pcm)) + pcm
    write_bytes(out, "odd_chunks_pcm16.wav", b"RIFF" + struct.pack("<I", len(body)) + body)
    made.append("odd_chunks_pcm16.wav")

    # Streaming writers: RIFF and data sizes unknown (0xFFFFFFFF) -> data runs to the end of the file.
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm
    write_bytes(out, "unknown_size_pcm16.wav", b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + body)
    made.append("unknown_size_pcm16.wav")
    return made


def write_bytes(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def flac_cli(out, tmp):
    made = []
    specs = [  # name, channels, rate, wav subtype, flac options
        ("flac16_mono_16k_l0.flac", 1, 16000, "PCM_16", ["-0"]),
        ("flac16_mono_16k_l5.flac", 1, 16000, "PCM_16", ["-5"]),
        ("flac16_mono_16k_l8.flac", 1, 16000, "PCM_16", ["-8"]),
        ("flac16_stereo_44k_l8.flac", 2, 44100, "PCM_16", ["-8"]),
        ("flac16_stereo_22k_l2_nomid.flac", 2, 22050, "PCM_16", ["-2", "--no-mid-side"]),
        ("flac24_stereo_48k_l5.flac", 2, 48000, "PCM_24", ["-5"]),
        ("flac24_stereo_96k_l8_b192.flac", 2, 96000, "PCM_24", ["-8", "--lax", "-b", "192"]),
        ("flac8_mono_8k_l5.flac", 1, 8000, "PCM_U8", ["-5"]),
        ("flac24_6ch_48k_l5.flac", 6, 48000, "PCM_24", ["-5"]),
        ("flac16_mono_11k_l8_lpc32.flac", 1, 11025, "PCM_16", ["--lax", "-l", "32", "-b", "4608", "-r", "8"]),
        ("flac32_mono_48k_l5.flac", 1, 48000, "PCM_32", ["-5"]),
        ("flac16_stereo_16k_seek_pad.flac", 2, 16000, "PCM_16", ["-5", "-S", "1s", "--padding=1001", "-T", "ARTIST=x"]),
    ]
    for i, (name, ch, rate, subtype, opts) in enumerate(specs):
        frames = int(0.12 * rate) + 13
        x = signal(frames, ch, rate, 200 + i)
        if i == 2:
            x = np.round(x * 4096) / 4096  # low bits zero -> wasted-bits subframes
        wav = os.path.join(tmp, name + ".wav")
        sf.write(wav, x, rate, subtype=subtype, format="WAVEX")
        subprocess.run(["flac", "-s", "-f", *opts, "-o", os.path.join(out, name), wav], check=True)
        made.append(name)

    # 12- and 20-bit streams: WAVE_FORMAT_EXTENSIBLE with fewer valid bits than the container.
    for bits, name in ((12, "flac12_mono_16k_valid12.flac"), (20, "flac20_stereo_16k_valid20.flac")):
        ch = 1 if bits == 12 else 2
        width = 2 if bits == 12 else 3
        x = signal(1931, ch, 16000, bits)
        ints = np.round(x * (2 ** (bits - 1) - 1)).astype(np.int64) << (8 * width - bits)
        pcm = b"".join(int(v).to_bytes(width, "little", signed=True) for v in ints.reshape(-1))
        guid_pcm = struct.pack("<H", 1) + bytes([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, ch, 16000, 16000 * ch * width, ch * width, 8 * width, 22, bits,
                          0x4 if ch == 1 else 0x3) + guid_pcm
        body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm
        write_bytes(tmp, name + ".wav", b"RIFF" + struct.pack("<I", len(body)) + body)
        subprocess.run(["flac", "-s", "-f", "-8", "-o", os.path.join(out, name), os.path.join(tmp, name + ".wav")],
                       check=True)
        made.append(name)
    return made


# ---------------------------------------------------------------------------------------------------
# A tiny hand-built FLAC writer for the features libFLAC never emits.

class Bits:
    def __init__(self):
        self.bits = []

    def put(self, value, n):
        for i in range(n - 1, -1, -1):
            self.bits.append((value >> i) & 1)

    def signed(self, value, n):
        self.put(value & ((1 << n) - 1), n)

    def unary(self, zeros):
        self.bits.extend([0] * zeros + [1])

    def align(self):
        while len(self.bits) % 8:
            self.bits.append(0)

    def tobytes(self):
        assert len(self.bits) % 8 == 0
        return bytes(int("".join(map(str, self.bits[i:i + 8])), 2) for i in range(0, len(self.bits), 8))


def crc8(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def utf8_number(n):
    if n < 0x80:
        return bytes([n])
    for extra in range(1, 7):
        if n < 1 << (5 * extra + 6) or extra == 6:
            break
    out = []
    for _ in range(extra):
        out.append(0x80 | (n & 0x3F))
        n >>= 6
    lead = (0xFF00 >> (extra + 1)) & 0xFF
    return bytes([lead | n] + out[::-1])


def zigzag(v):
    return 2 * v if v >= 0 else -2 * v - 1


def subframe(w, kind, s, bps, wasted=0):
    """Writes one subframe of samples s (Python ints) at bps bits; kind picks the coding."""
    w.put(0, 1)
    types = {"constant": 0, "verbatim": 1, "fixed2": 10, "lpc2": 32 + 1}
    w.put(types[kind], 6)
    if wasted:
        w.put(1, 1)
        w.unary(wasted - 1)
        s = [v >> wasted for v in s]
        bps -= wasted
    else:
        w.put(0, 1)
    if kind == "constant":
        assert len(set(s)) == 1
        w.signed(s[0], bps)
        return
    if kind == "verbatim":
        for v in s:
            w.signed(v, bps)
        return
    order = 2
    for v in s[:order]:
        w.signed(v, bps)
    if kind == "lpc2":  # coefficients 2, -1 at precision 5 with shift 1: (4 s1 - 2 s2) >> 1
        w.put(5 - 1, 4)
        w.signed(1, 5)
        w.signed(4, 5)
        w.signed(-2, 5)
    res = [s[i] - (2 * s[i - 1] - s[i - 2]) for i in range(order, len(s))]
    # Rice2 (5-bit parameters) with partition order 2: an escape partition, then Rice partitions.
    w.put(1, 2)
    w.put(2, 4)
    part = len(s) >> 2
    i = 0
    for p in range(4):
        chunk = res[i:i + (part - order if p == 0 else part)]
        i += len(chunk)
        if p == 0:
            raw = max(max(abs(v) for v in chunk).bit_length() + 1, 1)
            w.put(31, 5)
            w.put(raw, 5)
            for v in chunk:
                w.signed(v, raw)
        elif p == 3 and all(v == 0 for v in chunk):
            w.put(31, 5)
            w.put(0, 5)  # escape with 0 bits: all-zero partition
        else:
            mean = max(1, int(np.mean([abs(v) for v in chunk])))
            k = max(0, mean.bit_length() - 1)
            w.put(k, 5)
            for v in chunk:
                u = zigzag(v)
                w.unary(u >> k)
                w.put(u & ((1 << k) - 1), k)


def handmade_flac(out):
    """Stereo 16-bit, 16 kHz, variable block sizes and every stereo decorrelation."""
    rate, bps = 16000, 16
    blocks = [1152, 37, 300, 4096, 16, 1000, 2048]
    total = sum(blocks)
    x = signal(total, 2, rate, 77, silence=False)
    ints = np.round(x * 20000).astype(np.int64)
    ints[1152:1152 + 37, :] = 1234  # a constant block
    ints[1152 + 37 + 300:1152 + 37 + 300 + 4096, 0] &= ~0x7  # left of block 4 has 3 wasted bits
    frames = []
    start = 0
    ramp = sum(blocks[:6]) + 1534  # both channels linear to the end: all-zero fixed-2 residual partition
    ints[ramp:, 0] = ints[ramp:, 1] = 100 + 3 * np.arange(total - ramp)
    plans = [  # (channel assignment, kinds for channel 0 / 1)
        (1, ("fixed2", "lpc2")),      # independent
        (1, ("constant", "constant")),
        (8, ("verbatim", "fixed2")),  # left/side
        (1, ("fixed2", "lpc2")),      # independent, left with 3 wasted bits
        (10, ("verbatim", "verbatim")),  # mid/side
        (9, ("fixed2", "lpc2")),      # right/side
        (10, ("fixed2", "fixed2")),   # mid/side, ends in a zero partition
    ]
    for bi, n in enumerate(blocks):
        left = [int(v) for v in ints[start:start + n, 0]]
        right = [int(v) for v in ints[start:start + n, 1]]
        assign, kinds = plans[bi]
        if assign == 1:
            chans, widths = [left, right], [bps, bps]
        elif assign == 8:
            chans, widths = [left, [a - b for a, b in zip(left, right)]], [bps, bps + 1]
        elif assign == 9:
            chans, widths = [[a - b for a, b in zip(left, right)], right], [bps + 1, bps]
        else:
            chans = [[(a + b) >> 1 for a, b in zip(left, right)], [a - b for a, b in zip(left, right)]]
            widths = [bps, bps + 1]
        w = Bits()
        w.put(0b11111111111110, 14)
        w.put(0, 1)
        w.put(1, 1)  # variable block size: the header carries the first sample number
        bs_code = 6 if n <= 256 else 7
        w.put(bs_code, 4)
        w.put(13 if bi % 2 else 5, 4)  # 16 kHz as "16-bit Hz" or as code 5
        w.put(assign if assign != 1 else 1, 4)
        w.put(4, 3)
        w.put(0, 1)
        for byte in utf8_number(start):
            w.put(byte, 8)
        w.put(n - 1, 8 if bs_code == 6 else 16)
        if bi % 2:
            w.put(rate, 16)
        header = w.tobytes()
        w.put(crc8(header), 8)
        for c in range(2):
            kind = kinds[c]
            wasted = 3 if (bi == 3 and assign == 1 and c == 0) else 0
            if kind in ("fixed2", "lpc2") and n < 16:
                kind = "verbatim"
            subframe(w, kind, chans[c], widths[c], wasted)
        w.align()
        body = w.tobytes()
        frames.append(body + struct.pack(">H", crc16(body)))
        start += n
    interleaved = b"".join(int(v).to_bytes(2, "little", signed=True) for v in ints.reshape(-1))
    md5 = hashlib.md5(interleaved).digest()
    si = Bits()
    si.put(min(blocks), 16)
    si.put(max(blocks), 16)
    si.put(0, 24)
    si.put(0, 24)
    si.put(rate, 20)
    si.put(2 - 1, 3)
    si.put(bps - 1, 5)
    si.put(total, 36)
    streaminfo = si.tobytes() + md5
    app = b"test" + b"\x01\x02\x03"
    meta = bytes([0]) + len(streaminfo).to_bytes(3, "big") + streaminfo
    meta += bytes([0x80 | 2]) + len(app).to_bytes(3, "big") + app  # APPLICATION block, last
    write_bytes(out, "handmade_variable_blocks.flac", b"fLaC" + meta + b"".join(frames))
    return ["handmade_variable_blocks.flac"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        names = write_wavs(OUT) + flac_cli(OUT, tmp) + handmade_flac(OUT)
    files = []
    for name in names:
        try:
            files.append(entry(os.path.join(OUT, name), name))
        except Exception as e:  # libsndfile may lack 32-bit FLAC: reference via flac -d then soundfile
            if not name.endswith(".flac"):
                raise
            with tempfile.TemporaryDirectory() as tmp:
                wav = os.path.join(tmp, "d.wav")
                subprocess.run(["flac", "-s", "-d", "-f", "-o", wav, os.path.join(OUT, name)], check=True)
                e2 = entry(wav, name)
                e2["reference"] = f"flac -d then soundfile ({type(e).__name__}: {e})"
                files.append(e2)
    shared = []
    clips = os.path.join(args.shared, "fixtures", "audio")
    if os.path.isdir(clips):
        for name in sorted(os.listdir(clips)):
            shared.append(entry(os.path.join(clips, name), name))
    else:
        print("warning: no shared clips at", clips, file=sys.stderr)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"generator": "tools/scripts/make_audio_fixtures.py",
                   "soundfile": sf.__version__, "libsndfile": sf.__libsndfile_version__,
                   "files": files, "sharedClips": shared}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(files)} fixtures + {len(shared)} shared clips; {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
