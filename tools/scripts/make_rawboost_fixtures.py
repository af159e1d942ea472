#!/usr/bin/env python3
"""Reference numbers for org.sdd4j.augment.FirDesign, computed with scipy.signal.

RawBoost designs its notch filters with scipy.signal.firwin (Hamming window, pass_zero=True, so two
cut-offs give a band-stop filter), normalises them by the peak of scipy.signal.freqz's default
512-point response, and filters with a centred lfilter (RawBoost.py's filterFIR). This script records
each of those for a few parameter sets so the Java port is checked against scipy itself.

The test signal for filterFIR is reproducible in Java without storing it:
  x[n] = 0.5 sin(0.05 n) + 0.25 cos(0.31 n + 1), n = 0..199

Usage: python3 tools/scripts/make_rawboost_fixtures.py
"""
import json
import os

import numpy as np
from scipy import signal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "engine", "src", "test", "resources", "rawboost", "firwin_reference.json")
FS = 16000

# (numtaps, cutoffs in Hz, pass_zero): RawBoost's own shape (odd length, two edges, pass_zero=True)
# at the clamped extremes, plus a low-pass and a band-pass to pin the band-edge semantics.
CASES = [
    (11, [300.0, 800.0], True),
    (51, [0.001, 450.0], True),
    (99, [7500.0, 7999.999], True),
    (31, [1000.0, 2000.0], True),
    (21, [4000.0], True),
    (25, [1000.0, 3000.0], False),
]


def filter_fir(x, b):
    """RawBoost.py filterFIR, verbatim in behaviour."""
    n = b.shape[0] + 1
    xpad = np.pad(x, (0, n), "constant")
    y = signal.lfilter(b, 1, xpad)
    return y[int(n / 2):int(y.shape[0] - n / 2)]


def main():
    n = np.arange(200)
    x = 0.5 * np.sin(0.05 * n) + 0.25 * np.cos(0.31 * n + 1)
    cases = []
    for taps, cutoff, pass_zero in CASES:
        h = signal.firwin(taps, cutoff, window="hamming", pass_zero=pass_zero, fs=FS)
        _, resp = signal.freqz(h, 1, fs=FS)
        cases.append({"numTaps": taps, "cutoff": cutoff, "passZero": pass_zero, "taps": h.tolist(),
                      "maxMagnitude": float(np.amax(abs(resp))), "filtered": filter_fir(x, h).tolist()})
    # A cascade as genNotchCoeffs builds it (convolution of several notches, then freqz peak).
    b = 1
    for taps, cutoff, _ in CASES[:4]:
        b = np.convolve(signal.firwin(taps, cutoff, window="hamming", fs=FS), b)
    _, resp = signal.freqz(b, 1, fs=FS)
    cascade = {"members": [0, 1, 2, 3], "taps": b.tolist(), "maxMagnitude": float(np.amax(abs(resp))),
               "filtered": filter_fir(x, b).tolist()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"fs": FS, "scipy": __import__("scipy").__version__, "cases": cases, "cascade": cascade}, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
