#!/usr/bin/env bash
# Time of each step of a sharded scan without regions (measured, not asserted), and one scan for comparison.
#   Benchmarks/shards.sh GENOME.fa.gz [CHUNK_BASES] [THREADS]      (defaults: 1000000 bases, 2 threads)
# Runs the steps the workflow (Pipelines/) runs, one after another on this machine, with the bundled default
# model: phase 1 (scan --partial --shard) per shard, merge --phase threshold, phase 2 (--threshold --scored)
# per shard, merge; then one `scan` of the whole genome. Prints seconds per step, windows per second of
# phase 1, whether the merged tables equal the single scan's, and the projection for hg38 (62 million
# windows at stride 100, both strands) on N nodes, each running one shard job at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
genome=$1; chunk=${2:-1000000}; threads=${3:-2}
bin=${MOTIFATTN:-.build/release/motifattn}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ -f "$genome.fai" ] || samtools faidx "$genome"

seconds() {  # command... -> seconds (wall)
    /usr/bin/time -f "%e" -o "$work/time" "$@" > /dev/null 2>&1
    cat "$work/time"
}

shards=()
while IFS=$'\t' read -r name length _; do
    for ((start = 0; start < length; start += chunk)); do
        end=$((start + chunk < length ? start + chunk : length))
        shards+=("$name:$((start + 1))-$end")
    done
done < "$genome.fai"

phase1=(); phase2=(); parts1=(); parts2=()
for i in "${!shards[@]}"; do
    parts1+=("$work/scored/$i"); parts2+=("$work/parts/$i")
    phase1+=("$(seconds "$bin" scan "$genome" --partial --shard "${shards[$i]}" --threads "$threads" --quiet --out "$work/scored/$i")")
done
threshold=$(seconds "$bin" merge --phase threshold "${parts1[@]}" --out "$work/threshold" --quiet)
for i in "${!shards[@]}"; do
    phase2+=("$(seconds "$bin" scan "$genome" --partial --shard "${shards[$i]}" --threshold "$work/threshold/threshold.tsv" \
        --scored "$work/scored/$i" --threads "$threads" --quiet --out "$work/parts/$i")")
done
merge=$(seconds "$bin" merge "${parts2[@]}" --threads "$threads" --out "$work/merged" --quiet)
single=$(seconds "$bin" scan "$genome" --threads "$threads" --quiet --out "$work/single")
windows=$(grep -o '"windows_scored" : [0-9]*' "$work/single/run.json" | grep -o '[0-9]*$')
merge_scores=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["secondsPerStage"]["scores"])' "$work/merged/run.json")
same=yes
for f in head_motifs.tsv motifs.meme motif_matches.tsv interactions.tsv heads.tsv; do
    cmp -s <(grep -v '^##' "$work/single/$f") <(grep -v '^##' "$work/merged/$f") || same="no ($f differs; compare with tolerance)"
done

python3 - "$windows" "$threshold" "$merge" "$single" "$threads" "$chunk" "${#shards[@]}" "${phase1[*]}" "${phase2[*]}" "$same" "$merge_scores" <<'PY'
import sys
windows, threshold, merge, single, threads, chunk, n = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
phase1 = [float(x) for x in sys.argv[8].split()]; phase2 = [float(x) for x in sys.argv[9].split()]
same, merge_scores = sys.argv[10], float(sys.argv[11])
print(f"{n} shards of at most {chunk:,} bases, {threads} threads per job, {windows:,} windows")
print(f"phase 1 per shard: {' '.join(f'{x:.1f}' for x in phase1)} s (max {max(phase1):.1f}); "
      f"{windows / sum(phase1):,.0f} windows/s over all shards")
print(f"threshold: {threshold:.1f} s; phase 2 per shard: {' '.join(f'{x:.1f}' for x in phase2)} s (max {max(phase2):.1f}); "
      f"merge: {merge:.1f} s (of which concatenating and compressing the scores {merge_scores:.1f} s)")
print(f"sharded total, one job at a time: {sum(phase1) + threshold + sum(phase2) + merge:.1f} s; one scan: {single:.1f} s")
print(f"merged tables equal to the single scan's (byte for byte): {same}")
# hg38: 3.1 Gb -> about 62 million windows (stride 100, both strands) in 3,100 shards of 1 Mb. The threshold
# step and the merge's score table grow with the windows (scaled here); the rest of the merge (adding the
# states, the tests, the report) does not. Phase 2 is taken as measured (here each shard analyses a larger
# share of the capped windows than an hg38 shard would, so this overestimates it).
rate = windows / sum(phase1)
hg38_windows, hg38_shards = 62_000_000, 3_100
one_phase1 = hg38_windows / hg38_shards / rate
p2 = sum(phase2) / len(phase2)
print(f"hg38 projection (1-Mb shards, {hg38_shards} of them, phase 1 about {one_phase1:.0f} s each at this rate, phase 2 about {p2:.0f} s):")
for nodes in (1, 10, 100, 1000):
    waves = -(-hg38_shards // nodes)
    total = waves * (one_phase1 + p2) + (threshold + merge_scores) * hg38_windows / windows + (merge - merge_scores)
    print(f"  {nodes:>5} nodes: {total / 3600:6.2f} h")
PY
