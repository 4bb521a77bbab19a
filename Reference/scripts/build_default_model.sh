#!/usr/bin/env bash
# Rebuilds Reference/model/default.safetensors: regenerates the demo's training set
# (simulate.py, seed 1) and trains the default configuration with motifattn train.
# The same seed and thread count give a bit-identical model file.
#   Reference/scripts/build_default_model.sh [MOTIFATTN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-.build/release/motifattn}
# A fixed working folder (not mktemp): its path is recorded in the model's metadata (command line), so the
# same seed and thread count give a byte-identical file.
work=Reference/model/.work
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
python3 Reference/scripts/simulate.py --motifs Reference/jaspar/jaspar_core_vertebrates.meme --out "$work" --seed 1
"$bin" train --train "$work/train.fa" --valid-fraction 0.05 --seed 1 --threads 2 \
    -o Reference/model/default.safetensors
# What it was trained on, for scan's training-data check (the demo genome comes from the same simulation).
python3 Reference/scripts/describe_model.py Reference/model/default.safetensors \
    "the simulated demo (Reference/scripts/simulate.py seed 1: 8 JASPAR motifs and 3 planted pairs in random DNA; it has seen no real genome)" \
    Reference/demo/genome.fa.gz
"$bin" score --model Reference/model/default.safetensors "$work/test.fa" --threads 2 --quiet -o "$work/test_scores.tsv"
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
labels = [int(l.split("label=")[1]) for l in open(f"{work}/test.fa") if l.startswith(">")]
scores = [float(l.split("\t")[1]) for l in open(f"{work}/test_scores.tsv") if not l.startswith(("#", "name"))]
pos = sorted((s, y) for s, y in zip(scores, labels))
# AUROC by ranks (ties are not expected in float logits).
rank_sum = sum(i + 1 for i, (_, y) in enumerate(pos) if y == 1)
n1 = sum(labels); n0 = len(labels) - n1
print(f"default model test AUROC {(rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0):.4f}")
PY
