#!/usr/bin/env python3
"""Reference outputs for org.sdd4j.audio.Resampler, computed with scipy.signal.resample_poly.

The filter is designed here with scipy (firwin + Kaiser window) from the same specification the Java
class documents (pass band to 0.90 of the lower Nyquist, cut-off 0.95, stop band from 1.0 at 90 dB,
Kaiser's length/beta formulas), and handed to resample_poly as its FIR, so the test checks both
the Java filter design and its polyphase arithmetic against an independent implementation.

Test signals (0.125 s at each input rate, float32), reproducible in Java without storing them:
  sines: 0.3 sin(2 pi f1 t) + 0.2 sin(2 pi f2 t + 1) + 0.1 sin(2 pi f3 t + 2), f = 0.11/0.43/0.83 x lower Nyquist
  chirp: 0.5 sin(2 pi (20 t + (0.99 fs/2 - 20) t^2 / (2 T))), 20 Hz up to 0.99 of the *input* Nyquist
  noise: uniform from a 32-bit LCG, x = 1664525 x + 1013904223 mod 2^32, value (x >> 8) / 2^23 - 1
Outputs are stored as float32 little-endian in resample_reference.f32, indexed by resample_reference.json.

Usage: python3 tools/scripts/make_resample_fixtures.py
"""
import json
import math
import os

import numpy as np
from scipy.signal import firwin, resample_poly

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "engine", "src", "test", "resources", "resample")
STOPBAND_DB, PASSBAND_EDGE = 90.0, 0.90
CUTOFF = (PASSBAND_EDGE + 1.0) / 2
RATES = [8000, 11025, 22050, 44100, 48000]
TARGET = 16000
SECONDS = 0.125


def design(up, down):
    lower = 1.0 / max(up, down)
    transition = (1.0 - PASSBAND_EDGE) * lower * math.pi
    half = math.ceil((STOPBAND_DB - 7.95) / (2.285 * transition) / 2)
    beta = 0.1102 * (STOPBAND_DB - 8.7)
    return firwin(2 * half + 1, CUTOFF * lower, window=("kaiser", beta))  # unit DC gain


def signals(rate):
    n = int(SECONDS * rate)
    t = np.arange(n, dtype=np.float64) / rate
    nyq = min(rate, TARGET) / 2
    sines = (0.3 * np.sin(2 * np.pi * 0.11 * nyq * t) + 0.2 * np.sin(2 * np.pi * 0.43 * nyq * t + 1)
             + 0.1 * np.sin(2 * np.pi * 0.83 * nyq * t + 2))
    f1 = 0.99 * rate / 2
    chirp = 0.5 * np.sin(2 * np.pi * (20 * t + (f1 - 20) * t * t / (2 * SECONDS)))
    noise = np.empty(n)
    x = 12345
    for i in range(n):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        noise[i] = (x >> 8) / 2.0 ** 23 - 1.0
    return {"sines": sines.astype(np.float32), "chirp": chirp.astype(np.float32), "noise": noise.astype(np.float32)}


def main():
    os.makedirs(OUT, exist_ok=True)
    index, blob, offset = [], [], 0
    for rate in RATES:
        g = math.gcd(rate, TARGET)
        up, down = TARGET // g, rate // g
        h = design(up, down)
        for name, x in signals(rate).items():
            y = resample_poly(x.astype(np.float64), up, down, window=h).astype("<f4")
            index.append({"fromRate": rate, "signal": name, "inputLength": int(x.size), "offset": offset,
                          "length": int(y.size), "taps": int(h.size)})
            blob.append(y.tobytes())
            offset += y.size
    with open(os.path.join(OUT, "resample_reference.f32"), "wb") as f:
        f.write(b"".join(blob))
    with open(os.path.join(OUT, "resample_reference.json"), "w") as f:
        json.dump({"generator": "tools/scripts/make_resample_fixtures.py", "toRate": TARGET, "cases": index}, f, indent=1)
    print(f"{len(index)} cases, {offset} output samples")


if __name__ == "__main__":
    main()
