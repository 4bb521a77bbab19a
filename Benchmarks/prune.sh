#!/usr/bin/env bash
# Pruning figures for one model: heads removed by `prune --auto`, parameters, windows/s and AUROC before
# and after.
#
# usage: Benchmarks/prune.sh MODEL LABELLED.fa[.gz] OUTDIR [MAX_LOSS]
#
# The labelled FASTA is cut in two by record order: the first half is prune's --valid set, the second half
# is held out and scored by both models for the AUROC reported (prune never sees it). Windows/s come from
# `bench-encoder` (4,000 random 200-base windows, median of 3 runs, 1 and 2 threads). Needs a release build
# (.build/release/motifattn, or MOTIFATTN=path) and python3 with numpy.
set -euo pipefail
model=$1 labelled=$2 out=$3 max_loss=${4:-0.005}
bin=${MOTIFATTN:-.build/release/motifattn}
mkdir -p "$out"
python3 - "$labelled" "$out" <<'EOF'
import gzip, sys
path, out = sys.argv[1], sys.argv[2]
text = (gzip.open if path.endswith(".gz") else open)(path, "rt").read()
records = [">" + r for r in text.split(">")[1:]]
half = len(records) // 2
open(f"{out}/valid.fa", "w").write("".join(records[:half]))
open(f"{out}/heldout.fa", "w").write("".join(records[half:]))
EOF
"$bin" prune --model "$model" --auto --valid "$out/valid.fa" --max-loss "$max_loss" --threads 2 -o "$out/pruned.safetensors" \
    > "$out/prune.tsv" 2> "$out/prune.log"
for which in original pruned; do
    m=$model; [ "$which" = pruned ] && m=$out/pruned.safetensors
    "$bin" score --model "$m" "$out/heldout.fa" --threads 2 --quiet -o "$out/$which.scores.tsv"
    "$bin" bench-encoder --model "$m" --windows 4000 --length 200 --threads 2 --repeats 3 > "$out/$which.bench.tsv" 2> "$out/$which.bench.log"
done
python3 - "$out" "$model" <<'EOF'
import json, struct, sys
import numpy as np
out, model = sys.argv[1], sys.argv[2]

def auroc(path):
    labels = {}
    for line in open(f"{out}/heldout.fa"):
        if line.startswith(">"):
            name, *rest = line[1:].split()
            labels[name] = float(dict(x.split("=") for x in rest)["label"].split(",")[0])
    rows = [l.rstrip("\n").split("\t") for l in open(path) if not l.startswith("#")]
    header, rows = rows[0], rows[1:]
    y = np.array([labels[r[0]] for r in rows]); s = np.array([float(r[header.index("logit")]) for r in rows])
    order = np.argsort(s, kind="mergesort"); ranks = np.empty(len(s)); ranks[order] = np.arange(1, len(s) + 1)
    for v in np.unique(s):  # mid-ranks for ties
        tie = s == v; ranks[tie] = ranks[tie].mean()
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())

def parameters(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; header = json.loads(f.read(n))
    config = json.loads(header["__metadata__"]["motifattn"])
    count = sum(int(np.prod(v["shape"])) for k, v in header.items() if k != "__metadata__")
    heads = sum(config.get("heads_per_layer", [config["n_heads"]] * config["n_layers"]))
    return count, heads

def speed(path):
    rows = [l.rstrip("\n").split("\t") for l in open(path)]
    return {r[0]: float(r[2]) for r in rows[1:]}

removed = [l.split("\t")[1] for l in open(f"{out}/prune.tsv") if l.split("\t")[3:4] == ["yes"]]
for which, path in [("original", model), ("pruned", f"{out}/pruned.safetensors")]:
    count, heads = parameters(path); ws = speed(f"{out}/{which}.bench.tsv")
    print(f"{which}\theads {heads}\tparameters {count}\twindows/s 1 thread {ws.get('1', 0):.0f}, 2 threads {ws.get('2', 0):.0f}"
          f"\theld-out AUROC {auroc(f'{out}/{which}.scores.tsv'):.4f}")
print("removed\t" + (",".join(removed) or "none"))
EOF
