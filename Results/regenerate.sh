#!/usr/bin/env bash
# Regenerates Results/: the reference run of motifattn scan on the bundled demo genome
# (Reference/demo, simulate.py seed 1) with the bundled default model and JASPAR, then
# compares it with the planted truth and writes Results/README.md.
#   Results/regenerate.sh [MOTIFATTN_BINARY]        (make results)
# The outputs do not depend on the thread count; the run takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/motifattn}
out=Results/reference-run
# A fixed working folder, so the command line recorded in the outputs is the same at every regeneration.
tmp=Results/.regenerate
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
"$bin" scan Reference/demo/genome.fa.gz --regions Reference/demo/peaks.bed --threads "${THREADS:-$(nproc)}" --quiet --out "$tmp/run"
evaluation=$("$bin" evaluate "$tmp/run" --truth-pairs Reference/demo/truth_pairs.tsv --truth-motifs Reference/demo/truth_motifs.tsv)
# Indented as a Markdown code block, every line.
evaluation_block=$(printf "%s\n" "$evaluation" | sed "2,\$s/^/    /")
rm -rf "$out"
mv "$tmp/run" "$out"

top_pairs=$(grep -v '^#' "$out/interactions.tsv" | awk -F'\t' 'NR == 1 || $6 == "all"' | head -11 | cut -f1-4,7,11,13,14,24,27 | sed 's/\t/ | /g; s/^/| /; s/$/ |/')
header_rule=$(echo "$top_pairs" | head -1 | sed 's/[^|]/-/g; s/-|-/ | /g')
top_motifs=$(grep -v '^#' "$out/head_motifs.tsv" | cut -f1-5,9,10,11,13 | sed 's/\t/ | /g; s/^/| /; s/$/ |/')
motif_rule=$(echo "$top_motifs" | head -1 | sed 's/[^|]/-/g; s/-|-/ | /g')
truth=$(tail -n +2 Reference/demo/truth_pairs.tsv | awk -F'\t' '{printf "%s%s (%s) + %s (%s)", sep, $2, $1, $4, $3; sep="; "}')
cat > Results/README.md <<MD
# Results: the reference run

\`make results\` regenerates this folder (script: \`Results/regenerate.sh\`). The run is

    motifattn scan Reference/demo/genome.fa.gz --regions Reference/demo/peaks.bed --out Results/reference-run

on the bundled demo genome (4 simulated chromosomes, 2.4 Mb, 2,000 peaks; \`Reference/README.md\` has the
simulate.py command), with the bundled default model (\`Reference/model/default.safetensors\`, trained by
\`motifattn train\`) and JASPAR 2026 CORE vertebrates. Every output file is in \`reference-run/\`;
\`run.json\` records versions, inputs with SHA-256, parameters, counts and timings.

## Against the planted truth

Planted interacting pairs: ${truth}. Singletons (motifs planted alone, in bound and background
windows alike) make the negatives.

    ${evaluation_block}

Pairs count as found when they are among the first 2 × 3 distinct pairs with q ≤ 0.05 in
\`interactions.tsv\`, each planted motif within its row's look-alike class (\`class_a\`, \`class_b\`; a class
is named by its representative, e.g. ELK4 for the 52 ETS motifs, and the sizes are printed above); motifs when a head motif's best JASPAR match (q ≤ 0.05) is the planted motif or a
motif of its TF family. The second line counts the motifs as the pairs are counted: a planted motif is
also found when the best match is one of its look-alikes (JDP2 for the CRE-type FOSL1::JUN), the best
matches count once per look-alike class, and each planted motif found is shown with its class size. The
third line is thresholdless: for each planted motif, −log10 of the smallest match p-value of any head
motif against it (\`motif_matches.tsv\`), whichever look-alike is that head motif's best match. See
\`docs/analysis.md\` for the methods.

## Top candidate interactions (combined rows, \`head\` = all)

${top_pairs/$'\n'/$'\n'$header_rule$'\n'}

## Head motifs

${top_motifs/$'\n'/$'\n'$motif_rule$'\n'}
MD
echo "results: $evaluation"
