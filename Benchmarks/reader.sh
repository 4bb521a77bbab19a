#!/usr/bin/env bash
# Reader speed against htslib's own tools, measured in one run (issue: foundation), not asserted.
#   Benchmarks/reader.sh GENOME.fa.gz [THREADS] [COPIES]   (bgzip FASTA with .fai; default threads 2, copies 8)
# Prints two ratios (motifattn throughput / tool throughput, higher is better):
#   (a) bgzip FASTA streamed into 200-bp windows (`motifattn windows`, output to /dev/null) vs
#       `bgzip -dc FILE > /dev/null` (goal at least 0.8). FILE holds COPIES copies of the genome's
#       records (renamed), BGZF-compressed by bgzip: a 21 Mb chromosome decompresses in 0.04 s, so
#       start-up and timer noise would decide a one-copy ratio; 8 copies of fly chr2R (168 Mb) take
#       about 0.3 s, the size of one human chromosome;
#   (b) 100,000 random 200-bp BED regions (`motifattn windows --regions`) vs `samtools faidx -r` (goal at least 1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
genome=$1; threads=${2:-2}; copies=${3:-8}
bin=${MOTIFATTN:-.build/release/motifattn}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
best() { local best=""; for _ in 1 2 3 4 5; do local t; t=$(seconds "$@"); if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi; done; echo "$best"; }

for copy in $(seq "$copies"); do bgzip -dc "$genome" | sed "s/^>\([^ \t]*\)/>\1_copy$copy/"; done | bgzip -@ "$threads" > "$work/copies.fa.gz"
stream_tool=$(best bash -c "bgzip -dc '$work/copies.fa.gz' > /dev/null")
stream_ours=$(best "$bin" windows "$work/copies.fa.gz" --window 200 --stride 200 --threads "$threads" --format bed -o /dev/null)

python3 - "$genome.fai" > "$work/regions.bed" <<'PY'
import random, sys
random.seed(1)
contigs = [(l.split("\t")[0], int(l.split("\t")[1])) for l in open(sys.argv[1])]
total = sum(n for _, n in contigs)
for _ in range(100_000):
    x = random.randrange(total)
    for name, n in contigs:
        if x < n:
            start = min(x, n - 200); print(f"{name}\t{start}\t{start + 200}"); break
        x -= n
PY
awk '{print $1":"$2+1"-"$3}' "$work/regions.bed" > "$work/regions.txt"
regions_tool=$(best samtools faidx "$genome" -r "$work/regions.txt")
regions_ours=$(best "$bin" windows "$genome" --regions "$work/regions.bed" --window 200 --threads "$threads" --format fasta -o /dev/null)
python3 - "$stream_tool" "$stream_ours" "$regions_tool" "$regions_ours" "$threads" "$copies" <<'PY'
import sys
st, so, rt, ro, threads, copies = map(float, sys.argv[1:])
copies = int(copies)
print(f"(a) bgzip stream to windows ({copies} copies): motifattn {so:.3f} s ({int(threads)} threads) vs bgzip -dc {st:.3f} s: ratio {st / so:.2f} (goal >= 0.8)")
print(f"(b) 100,000 regions: motifattn {ro:.2f} s vs samtools faidx -r {rt:.2f} s: ratio {rt / ro:.2f} (goal >= 1.0)")
PY
