#!/usr/bin/env python3
"""Write the ragged test windows of the ORT-peer fixture: random lengths, some lower case, some N runs."""
import numpy as np
rng = np.random.default_rng(20261125)
with open("random-windows.fa", "w") as f:
    for i in range(64):
        n = int(rng.integers(8, 151))
        s = list(rng.choice(list("ACGT"), n))
        if i % 4 == 1:
            a = int(rng.integers(0, n)); s[a:a + int(rng.integers(1, 6))] = "N" * len(s[a:a + 5])
        if i % 3 == 2:
            a = int(rng.integers(0, n)); b = min(n, a + 30); s[a:b] = [c.lower() for c in s[a:b]]
        f.write(f">r{i + 1}\n{''.join(s)[:n]}\n")
