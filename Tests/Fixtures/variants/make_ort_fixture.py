#!/usr/bin/env python3
"""Expected `motifattn variants` logits for ort.vcf, computed without motifattn.

Cuts each allele's REF and ALT windows from the demo genome (the rule of docs/variants.md: the allele centred,
left flank (W - allele length) // 2, flanks from the genome), scores both strands of each with ONNX Runtime
(Benchmarks/peer/ort_peer.py) and writes ort.expected.tsv: chrom, pos, ref, alt, ref_logit, alt_logit, delta_logit
(each logit the mean of both strands). Run from the repository root:

    python3 Tests/Fixtures/variants/make_ort_fixture.py
"""
import gzip, os, subprocess, tempfile

W = 200  # the default model's training window (its motifattn_training metadata)
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "../../.."))
genome = {}
name = None
with gzip.open(os.path.join(root, "Reference/demo/genome.fa.gz"), "rt") as f:
    for line in f:
        line = line.strip()
        if line.startswith(">"):
            name = line[1:].split()[0]
            genome[name] = []
        else:
            genome[name].append(line.upper())
genome = {k: "".join(v) for k, v in genome.items()}
comp = str.maketrans("ACGTN", "TGCAN")

rows, records = [], []
for line in open(os.path.join(here, "ort.vcf")):
    if line.startswith("#"):
        continue
    chrom, pos, _id, ref, alts = line.split("\t")[:5]
    p = int(pos) - 1
    g = genome[chrom]
    assert g[p:p + len(ref)] == ref, line
    for alt in alts.split(","):
        ref_left = (W - len(ref)) // 2
        alt_left = (W - len(alt)) // 2
        alt_right = W - len(alt) - alt_left
        ref_window = g[p - ref_left:p - ref_left + W]
        alt_window = g[p - alt_left:p] + alt + g[p + len(ref):p + len(ref) + alt_right]
        assert len(ref_window) == W and len(alt_window) == W
        rows.append((chrom, pos, ref, alt))
        records += [ref_window, ref_window.translate(comp)[::-1], alt_window, alt_window.translate(comp)[::-1]]

with tempfile.TemporaryDirectory() as tmp:
    fasta, table = os.path.join(tmp, "w.fa"), os.path.join(tmp, "w.tsv")
    with open(fasta, "w") as f:
        for i, s in enumerate(records):
            f.write(f">w{i}\n{s}\n")
    subprocess.run(["python3", os.path.join(root, "Benchmarks/peer/ort_peer.py"), "score",
                    os.path.join(root, "Reference/model/default.safetensors"), fasta, "--threads", "1", "--out", table],
                   check=True, stdout=subprocess.DEVNULL)
    logits = {l.split("\t")[0]: float(l.split("\t")[1]) for l in open(table)}

with open(os.path.join(here, "ort.expected.tsv"), "w") as out:
    out.write("chrom\tpos\tref\talt\tref_logit\talt_logit\tdelta_logit\n")
    for i, (chrom, pos, ref, alt) in enumerate(rows):
        r = (logits[f"w{4 * i}"] + logits[f"w{4 * i + 1}"]) / 2
        a = (logits[f"w{4 * i + 2}"] + logits[f"w{4 * i + 3}"]) / 2
        out.write(f"{chrom}\t{pos}\t{ref}\t{alt}\t{r:.6f}\t{a:.6f}\t{a - r:.6f}\n")
