#!/usr/bin/env python3
# Provenance: copied unchanged but for these two comment lines from the project's shared benchmark kit, bench/pwm_oracle.py
# (sha256 ebcffae3b8410ced0d019b28680c535b1096b8f62ad5181a788749f6e256e89d), on 2026-12-03; it imports simulate.py from this folder.
"""The ceiling of a simulate.py benchmark: classify test.fa knowing the truth.

Scores each test sequence by max over the planted interacting pairs (A, B) of
min(z_A, z_B), where z is the best PWM log-odds hit of a motif (both strands),
standardised on the negatives. Prints the AUROC. A trained model is judged as a
fraction of this figure.   usage: pwm_oracle.py SIMDIR MOTIFS.meme
"""
import os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simulate import read_meme

sim, meme = sys.argv[1], sys.argv[2]
motifs = read_meme(meme)
pairs = [l.split("\t") for l in open(f"{sim}/truth_pairs.tsv").read().splitlines()[1:]]
ids = sorted({p[0] for p in pairs} | {p[2] for p in pairs})
X, y = [], []
for line in open(f"{sim}/test.fa"):
    if line.startswith(">"):
        y.append(int(line.split("label=")[1]))
    else:
        X.append(line.strip().upper())
y = np.array(y)
lut = {c: i for i, c in enumerate("ACGT")}
oh = np.array([[lut.get(c, 0) for c in s] for s in X])


def best_hit(m):
    lo = np.log2((m + 1e-3) / 0.25)
    w, best = len(m), np.full(len(X), -1e9)
    for mat in (lo, lo[::-1, ::-1]):
        for i in range(oh.shape[1] - w + 1):
            best = np.maximum(best, mat[np.arange(w), oh[:, i:i + w]].sum(1))
    return best


S = {t: best_hit(motifs[t][1]) for t in ids}
Z = {t: (S[t] - S[t][y == 0].mean()) / S[t][y == 0].std() for t in ids}
score = np.max([np.minimum(Z[a], Z[b]) for a, _, b, _ in pairs], axis=0)
order = np.argsort(score)
rank = np.empty(len(score)); rank[order] = np.arange(1, len(score) + 1)
pos = y == 1
n1, n0 = pos.sum(), (~pos).sum()
print(f"pwm_oracle_auroc {(rank[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0):.4f}")
