#!/usr/bin/env python3
"""Accuracy and time of `motifattn bench-train` on a simulate.py benchmark, against its PWM oracle.

usage: train_accuracy.py SIMDIR MOTIFS.meme [--motifattn PATH] [--threads N] [--epochs E] [--lambda L]

Tokenises SIMDIR/train.fa and test.fa into 3-mer token tables (the k-mer scheme of
motifattn_torch.py: [CLS]=2, k-mers 5 + base-4 code, [UNK]=1, [SEP]=3), trains the default
configuration (k=3, conv 11, d 64, 4 heads, 2 layers, d_ff 128, batch 64), and prints test AUROC,
the oracle's AUROC (pwm_oracle.py), their ratio (goal >= 0.97), training time and sequences/s.
"""
import argparse, os, subprocess, sys

BASE = {"A": 0, "C": 1, "G": 2, "T": 3}


def tokens(seq, k=3):
    seq = seq.upper()
    ids = [2]
    for i in range(len(seq) - k + 1):
        code = 0
        for ch in seq[i:i + k]:
            if ch not in BASE:
                code = -1
                break
            code = code * 4 + BASE[ch]
        ids.append(1 if code < 0 else 5 + code)
    ids.append(3)
    return ids


def write_table(fasta, out):
    label, n = None, 0
    with open(fasta) as f, open(out, "w") as w:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                label = line.split("label=")[1].split()[0]
            elif line:
                w.write(f"{label}\t{','.join(map(str, tokens(line)))}\n")
                n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("simdir")
    ap.add_argument("meme")
    ap.add_argument("--motifattn", default=".build/release/motifattn")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lambda", dest="lam", type=float, default=0.0)
    ap.add_argument("--oracle", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Reference", "scripts", "pwm_oracle.py"))
    a = ap.parse_args()
    train, test = os.path.join(a.simdir, "train.tokens.tsv"), os.path.join(a.simdir, "test.tokens.tsv")
    write_table(os.path.join(a.simdir, "train.fa"), train)
    write_table(os.path.join(a.simdir, "test.fa"), test)
    run = subprocess.run([a.motifattn, "bench-train", "--train-tokens", train, "--test-tokens", test,
                          "--threads", str(a.threads), "--epochs", str(a.epochs), "--head-diversity", str(a.lam)],
                         check=True, capture_output=True, text=True)
    sys.stderr.write(run.stderr)
    header, row = run.stdout.strip().splitlines()[-2:]
    result = dict(zip(header.split("\t"), row.split("\t")))
    oracle = subprocess.run([sys.executable, a.oracle, a.simdir, a.meme], check=True, capture_output=True, text=True).stdout
    oracle_auroc = float(oracle.strip().split()[-1])
    auroc = float(result["test_auroc"])
    print(f"test AUROC {auroc:.4f}  oracle {oracle_auroc:.4f}  ratio {auroc / oracle_auroc:.3f}  "
          f"training {float(result['seconds']):.0f} s  {float(result['sequences_per_s']):.0f} sequences/s  "
          f"threads {result['threads']}  head similarity {result['head_similarity']}")


if __name__ == "__main__":
    main()
