#!/usr/bin/env bash
# Speed and memory of `motifattn scan` (issue: scan end to end), measured, not asserted.
#   Benchmarks/scan.sh GENOME.fa.gz [PEAKS.bed] [THREADS]      (default threads: 2)
# Prints, for the genome with the bundled default model:
#   - bases/s of the whole scan, and of the encoder alone on the same windows (motifattn score with the
#     same windowing), and their ratio (goal: at least 0.85 — reading, tokenizing and analysis must not
#     dominate; the analysis of bound/background windows is extra work the encoder-alone run does not do);
#   - peak RSS of the scan on the genome and on the genome repeated 4 times (goal: ratio at most 1.1).
# Example (the largest real genome given to the project, fly chr2R, 21 Mb, with insulator peaks):
#   Benchmarks/scan.sh dm3_chr2R.fa.gz dm3_chr2R.insulator_peaks_Bushey2009.bed.gz   (the dm3 chr2R genome and
#   Bushey 2009 insulator peaks given to the project; not bundled, 6.6 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
genome=$1; peaks=${2:-}; threads=${3:-2}
bin=${MOTIFATTN:-.build/release/motifattn}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
regions=()
if [ -n "$peaks" ]; then zcat -f "$peaks" | cut -f1-3 > "$work/peaks.bed"; regions=(--regions "$work/peaks.bed"); fi
bases=$(zcat -f "$genome" | grep -v '>' | tr -d '\n' | wc -c)

rss_and_seconds() {  # command... -> "peak_kB seconds"
    /usr/bin/time -f "%M %e" -o "$work/time" "$@" > /dev/null 2>&1
    cat "$work/time"
}

read -r scan_kb scan_s < <(rss_and_seconds "$bin" scan "$genome" "${regions[@]}" --threads "$threads" --quiet --out "$work/scan")
read -r _ score_s < <(rss_and_seconds "$bin" score --model Reference/model/default.safetensors "$genome" \
    --window 200 --stride 100 --strand both --threads "$threads" --quiet -o "$work/scores.tsv")

# The genome four times (sequences renamed), bgzipped, with the peaks repeated on each copy.
for copy in 1 2 3 4; do zcat -f "$genome" | sed "s/^>\([^ ]*\).*/>\1_copy$copy/"; done | bgzip -c > "$work/four.fa.gz"
four_regions=()
if [ -n "$peaks" ]; then
    for copy in 1 2 3 4; do awk -v c="$copy" 'BEGIN{OFS="\t"} {$1=$1"_copy"c; print}' "$work/peaks.bed"; done > "$work/four.bed"
    four_regions=(--regions "$work/four.bed")
fi
read -r four_kb four_s < <(rss_and_seconds "$bin" scan "$work/four.fa.gz" "${four_regions[@]}" --threads "$threads" --quiet --out "$work/scan4")

python3 - "$bases" "$scan_s" "$score_s" "$scan_kb" "$four_kb" "$four_s" "$threads" <<'PY'
import sys
bases, scan_s, score_s, scan_kb, four_kb, four_s, threads = sys.argv[1:]
bases = int(bases); scan_s, score_s, four_s = float(scan_s), float(score_s), float(four_s)
print(f"genome: {bases:,} bases, {threads} threads")
print(f"scan end to end: {bases / scan_s:,.0f} bases/s ({scan_s:.1f} s); encoder alone (score, same windows): "
      f"{bases / score_s:,.0f} bases/s ({score_s:.1f} s); ratio {score_s / scan_s:.2f} (goal >= 0.85)")
print(f"peak RSS: genome {int(scan_kb) / 1024:.0f} MiB, genome x4 {int(four_kb) / 1024:.0f} MiB ({four_s:.1f} s); "
      f"ratio {int(four_kb) / int(scan_kb):.2f} (goal <= 1.1)")
PY
