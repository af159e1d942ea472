#!/usr/bin/env python3
"""Writes engine/src/test/resources/drift/cka.json: small feature matrices and their linear CKA
(Kornblith et al., ICML 2019) computed with numpy in feature space,
  CKA(X, Y) = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F),  columns of Xc, Yc centred,
so the Java implementation (which goes through the n x n Gram matrices) is checked against the
formula as published, not against itself. Needs numpy only.
"""
import json
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'engine', 'src', 'test', 'resources', 'drift')


def linear_cka(x, y):
    xc = x - x.mean(axis=0, keepdims=True)
    yc = y - y.mean(axis=0, keepdims=True)
    return float(np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)))


def main():
    rng = np.random.default_rng(20250705)
    cases = []
    n = 12
    x = rng.standard_normal((n, 5))
    # Related (a noisy linear map to another width), unrelated, and a wide case with more features than rows.
    related = x @ rng.standard_normal((5, 3)) + 0.5 * rng.standard_normal((n, 3))
    unrelated = rng.standard_normal((n, 7))
    wide_x = rng.standard_normal((n, 40))
    wide_y = np.tanh(wide_x[:, :30] * 2.0) + 0.1 * rng.standard_normal((n, 30))
    for name, a, b in [('related', x, related), ('unrelated', x, unrelated), ('wide', wide_x, wide_y)]:
        cases.append({'name': name, 'x': a.tolist(), 'y': b.tolist(), 'cka': linear_cka(a, b)})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'cka.json'), 'w') as f:
        json.dump({'cases': cases}, f, indent=1)
        f.write('\n')
    for c in cases:
        print(c['name'], c['cka'])


if __name__ == '__main__':
    main()
