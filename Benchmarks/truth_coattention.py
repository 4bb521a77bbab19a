#!/usr/bin/env python3
"""Is the co-attention signal in the model? Attention between planted partners, read straight from
ONNX Runtime (independent of motifattn's Swift code), against planted non-partners in negatives.

usage: truth_coattention.py SIMDIR MODEL.safetensors [--limit N] [--threads T]

SIMDIR is a simulate.py output (test.fa, sites.tsv). For every test sequence and every two planted
sites of different motifs, the score of a head is the largest attention weight between a token
covering one site and a token covering the other, in either direction (the co-attention score of
`motifattn analyze --co-attention raw`, on the planted sites instead of PWM-called instances).
Per planted pair, it prints the per-head mean for partners (positives) and for co-occurring
non-partner sites in negatives (the null), and the best head's one-sided Mann-Whitney z and p
(normal approximation with tie correction). With --non-partners, the same for pairs of planted
motifs that co-occur in positives without being partners (a pair member and a singleton). Needs numpy, onnx, onnxruntime, safetensors.
"""
import argparse, collections, math, os, sys
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer"))
import ort_peer  # noqa: E402


def mann_whitney_greater(x, y):
    """One-sided z and p that x tends to exceed y (normal approximation, ties corrected)."""
    both = np.concatenate([x, y])
    order = both.argsort(kind="mergesort")
    ranks = np.empty(len(both))
    sorted_values = both[order]
    i = 0
    while i < len(both):
        j = i
        while j + 1 < len(both) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n1, n2 = len(x), len(y)
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    _, counts = np.unique(both, return_counts=True)
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - (counts ** 3 - counts).sum() / (n * (n - 1)))
    z = (u - n1 * n2 / 2) / math.sqrt(variance)
    return z, 0.5 * math.erfc(z / math.sqrt(2))


def read_test_set(simdir, limit):
    """The first `limit` records of simulate.py's test.fa: names, sequences, labels (name -> 0/1) and the
    planted sites of each record from sites.tsv (name -> [(start, end, tf, role)])."""
    names, sequences = ort_peer.read_fasta(os.path.join(simdir, "test.fa"))
    names, sequences = names[:limit], sequences[:limit]
    labels = {}
    with open(os.path.join(simdir, "test.fa")) as fasta:
        for line in fasta:
            if line.startswith(">"):
                labels[line[1:].split()[0]] = int(line.split("label=")[1].split()[0])
    sites = collections.defaultdict(list)
    with open(os.path.join(simdir, "sites.tsv")) as table:
        next(table)
        for line in table:
            seq, start, end, _, _, tf, role = line.rstrip("\n").split("\t")
            if seq.startswith("test_"):
                sites[seq].append((int(start), int(end), tf, role))
    return names, sequences, labels, sites


def test_set_parser(doc):
    """A parser of the arguments every truth script takes: SIMDIR, MODEL, --limit, --threads."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("simdir")
    parser.add_argument("model")
    parser.add_argument("--limit", type=int, default=4000, help="test sequences read (default 4000)")
    parser.add_argument("--threads", type=int, default=2)
    return parser


def main():
    parser = test_set_parser(__doc__)
    parser.add_argument("--non-partners", action="store_true",
                        help="also print co-occurring non-partner motif pairs in positives (a pair member with a singleton)")
    args = parser.parse_args()

    config, weights = ort_peer.load(args.model)
    session = ort_peer.session(ort_peer.build(config, weights, with_attention=True), args.threads)
    names, sequences, labels, sites = read_test_set(args.simdir, args.limit)
    k, stride = config["tokenizer"]["k"], config["tokenizer"]["stride"]

    partner_scores = collections.defaultdict(list)
    bound_non_partner_scores = collections.defaultdict(list)
    null_scores = []
    for first in range(0, len(names), 256):
        ids = ort_peer.tokenize(sequences[first:first + 256], k, stride)
        attention = session.run(None, {session.get_inputs()[0].name: ids})[1:]
        tokens = ids.shape[1] - 2
        for row in range(ids.shape[0]):
            name = names[first + row]
            planted = sites.get(name, [])

            def covering(site):
                # token t (1-based after [CLS]) covers bases (t-1)*stride ..< (t-1)*stride + k
                t = np.arange(1, tokens + 1)
                begin = (t - 1) * stride
                return t[(begin < site[1]) & (begin + k > site[0])]

            for i in range(len(planted)):
                for j in range(i + 1, len(planted)):
                    a, b = planted[i], planted[j]
                    if a[2] == b[2]:
                        continue
                    ta, tb = covering(a), covering(b)
                    if len(ta) == 0 or len(tb) == 0:
                        continue
                    score = np.concatenate([
                        np.maximum(layer[row][:, ta][:, :, tb].max(axis=(1, 2)),
                                   layer[row][:, tb][:, :, ta].max(axis=(1, 2))) for layer in attention])
                    if a[3].startswith("pair") and b[3].startswith("pair"):
                        partner_scores[" + ".join(sorted([a[2], b[2]]))].append(score)
                    elif labels[name] == 0:
                        null_scores.append(score)
                    else:
                        bound_non_partner_scores[" + ".join(sorted([a[2], b[2]]))].append(score)
    heads = config["n_heads"]
    null = np.array(null_scores)
    head_names = [f"L{h // heads}H{h % heads}" for h in range(null.shape[1])]
    print(f"model {args.model}; {len(names)} test sequences; null: {len(null)} non-partner site pairs in negatives")
    print("pair\tn\t" + "\t".join(head_names) + "\tbest_head\tz\tp")
    print("null\t%d\t" % len(null) + "\t".join("%.3f" % v for v in null.mean(0)) + "\t.\t.\t.")
    rows = sorted(partner_scores.items())
    if args.non_partners:
        rows += [("(non-partners) " + pair, scores) for pair, scores in sorted(bound_non_partner_scores.items()) if len(scores) >= 20]
    for pair, scores in rows:
        scores = np.array(scores)
        tests = [mann_whitney_greater(scores[:, h], null[:, h]) for h in range(scores.shape[1])]
        best = int(np.argmax([z for z, _ in tests]))
        z, p = tests[best]
        print(f"{pair}\t{len(scores)}\t" + "\t".join("%.3f" % v for v in scores.mean(0))
              + f"\t{head_names[best]}\t{z:.1f}\t{p:.1e}")


if __name__ == "__main__":
    main()
