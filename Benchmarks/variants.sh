#!/usr/bin/env bash
# Speed of `motifattn variants` against `motifattn score` on the same windows, measured, not asserted.
#   Benchmarks/variants.sh [SNVS] [THREADS] [ROUNDS]     (defaults: 2000 SNVs, 2 threads, 3 rounds)
# Random SNVs of the demo genome (Python random.seed(3)); `score` reads a FASTA of the same windows that
# `variants` scores: REF and ALT, 200 bases around the SNV, both strands (4 windows a SNV). Runs alternate
# score/variants; prints each run's seconds, the medians, windows/s and the ratio variants ÷ score (the goal:
# at least 0.9). Wall clock of the whole process (model and, for variants, JASPAR loading included).
set -euo pipefail
cd "$(dirname "$0")/.."
snvs=${1:-2000}; threads=${2:-2}; rounds=${3:-3}
bin=${MOTIFATTN:-.build/release/motifattn}
genome=Reference/demo/genome.fa.gz
model=Reference/model/default.safetensors
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

python3 - "$genome" "$snvs" "$work" <<'PY'
import gzip, random, sys
genome, count, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
contigs, name = {}, None
with gzip.open(genome, "rt") as f:
    for line in f:
        if line.startswith(">"):
            name = line[1:].split()[0]; contigs[name] = []
        else:
            contigs[name].append(line.strip().upper())
contigs = {k: "".join(v) for k, v in contigs.items()}
random.seed(3)
names = sorted(contigs)
calls = set()
while len(calls) < count:
    c = random.choice(names)
    p = random.randrange(150, len(contigs[c]) - 150)
    if contigs[c][p] in "ACGT":
        calls.add((c, p))
complement = str.maketrans("ACGTN", "TGCAN")
with open(f"{work}/bench.vcf", "w") as vcf, open(f"{work}/bench.fa", "w") as fa:
    vcf.write("##fileformat=VCFv4.2\n")
    for c in names:
        vcf.write(f"##contig=<ID={c},length={len(contigs[c])}>\n")
    vcf.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    for i, (c, p) in enumerate(sorted(calls, key=lambda x: (names.index(x[0]), x[1]))):
        ref = contigs[c][p]
        alt = random.choice([b for b in "ACGT" if b != ref])
        vcf.write(f"{c}\t{p + 1}\tsnv{i}\t{ref}\t{alt}\t.\tPASS\t.\n")
        left = p - 99  # the allele at offset (200 - 1) // 2 = 99 of the 200-base window, as `variants` cuts it
        window = contigs[c][left:left + 200]
        for allele, bases in (("ref", window), ("alt", window[:99] + alt + window[100:])):
            fa.write(f">snv{i}_{allele}_plus\n{bases}\n")
            fa.write(f">snv{i}_{allele}_minus\n{bases.translate(complement)[::-1]}\n")
PY

seconds() { /usr/bin/time -f "%e" -o "$work/time" "$@" > /dev/null 2>&1; cat "$work/time"; }
score_runs=(); variant_runs=()
for round in $(seq "$rounds"); do
    score_runs+=("$(seconds "$bin" score --model "$model" "$work/bench.fa" --threads "$threads" --quiet -o "$work/scores.tsv")")
    rm -rf "$work/variants"
    variant_runs+=("$(seconds "$bin" variants --model "$model" --genome "$genome" --vcf "$work/bench.vcf" \
        --threads "$threads" --quiet --out "$work/variants")")
done
python3 - "$snvs" "${score_runs[*]}" "${variant_runs[*]}" <<'PY'
import statistics, sys
windows = 4 * int(sys.argv[1])
score = [float(x) for x in sys.argv[2].split()]
variants = [float(x) for x in sys.argv[3].split()]
s, v = statistics.median(score), statistics.median(variants)
print(f"windows: {windows}")
print(f"score    seconds {' '.join(f'{x:.2f}' for x in score)}  median {s:.2f}  windows/s {windows / s:,.0f}")
print(f"variants seconds {' '.join(f'{x:.2f}' for x in variants)}  median {v:.2f}  windows/s {windows / v:,.0f}")
print(f"variants / score (windows/s): {s / v:.2f}")
PY
